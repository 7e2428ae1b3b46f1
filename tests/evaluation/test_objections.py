"""Objections by real name on the public notice: sealed personal data, one per person, case and point (a
database fact, also under concurrency), assigned and answered."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rencai.core.errors import DomainError, NotFound, ValidationFailed
from rencai.core.models import Notification
from rencai.evaluation.choices import CaseState, ObjectionState
from rencai.evaluation.models import Objection
from rencai.evaluation.services import notices
from tests.concurrency import at_once, on_postgresql
from tests.evaluation.builders import TODAY, make_case, make_round, make_scheme, today_is

pytestmark = pytest.mark.django_db
ID = "330881199003070020"


@pytest.fixture
def notice(world, open_round, monkeypatch):
    today_is(monkeypatch, TODAY)
    make_case(open_round, world.talent_a, state=CaseState.SECOND_PASSED, total_score=Decimal("80"))
    return notices.notice_publish(actor=world.users["city_org_dept"], round=open_round)


def _submit(notice, **changes):
    values = {
        "notice": notice,
        "case": notice.cases.get(),
        "name": "李四",
        "id_number": ID,
        "phone": "13912345678",
        "point": "achievement",
        "statement": "所列专利的第一发明人另有其人",
    }
    values.update(changes)
    return notices.objection_submit(**values)


def test_an_objection_is_sealed_assigned_to_the_countys_officer_and_due_in_ten_working_days(world, notice):
    objection = _submit(notice, evidence=SimpleUploadedFile("证据.pdf", b"%PDF-1.4 evidence"))

    assert objection.assigned_to == world.users["county_org_dept"]  # the case is Jiangshan's
    # 8–11 December, 14–18 December, 21 December: ten working days from Monday 7 December
    assert objection.due_on == dt.date(2026, 12, 21)
    stored = Objection.objects.filter(pk=objection.pk).values()[0]
    assert ID not in str(stored) and "13912345678" not in str(stored)
    assert objection.objector_id_masked.startswith("33") and ID[2:] not in objection.objector_id_masked
    assert objection.evidence_name == "证据.pdf" and objection.evidence.name.endswith(".pdf")
    assert Notification.objects.filter(recipient=world.users["county_org_dept"], kind="evaluation.objection")


def test_a_second_objection_on_the_same_point_is_refused_in_both_languages(notice):
    _submit(notice)

    with pytest.raises(DomainError) as caught:
        _submit(notice, statement="再次提出")

    assert caught.value.code == "objection_duplicate" and caught.value.status == 409
    assert "同一事项" in caught.value.message_zh and "same point" in caught.value.message_en
    _submit(notice, point="integrity")  # another point is another objection
    assert Objection.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_identical_objections_at_once_make_one(world, monkeypatch):
    today_is(monkeypatch, TODAY)
    # a draft scheme: the flush that ends a transactional test cannot delete a published scheme's indicators
    # (migration 0002 freezes them), and the notice does not depend on publication
    round_ = make_round(make_scheme(world.regions["330800"], publish=False), world.regions["330800"])
    make_case(round_, world.talent_a, state=CaseState.SECOND_PASSED, total_score=Decimal("80"))
    notice = notices.notice_publish(actor=world.users["city_org_dept"], round=round_)

    def attempt():
        return _submit(notice)

    results = at_once(attempt, attempt, parallel=on_postgresql())

    assert Objection.objects.count() == 1
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and refused[0].code == "objection_duplicate"


def test_bad_input_is_listed_at_once(notice):
    with pytest.raises(ValidationFailed) as caught:
        _submit(
            notice,
            name=" ",
            id_number="330881199003070021",
            phone="12345",
            point="gossip",
            statement="",
            evidence=SimpleUploadedFile("run.exe", b"MZ"),
        )
    fields = sorted(d["field"] for d in caught.value.details)
    assert fields == ["evidence", "id_number", "name", "phone", "point", "statement"]
    assert not Objection.objects.exists()


def test_no_objection_after_the_period(notice, monkeypatch):
    today_is(monkeypatch, notice.ends_on + dt.timedelta(days=1))
    with pytest.raises(DomainError) as caught:
        _submit(notice)
    assert caught.value.code == "deadline_passed"


def test_one_person_is_throttled_after_a_few_objections(notice, monkeypatch):
    monkeypatch.setattr(notices, "OBJECTIONS_PER_HOUR", 2)
    _submit(notice, point="achievement")
    _submit(notice, point="integrity")

    with pytest.raises(DomainError) as caught:
        _submit(notice, point="procedure")

    assert caught.value.code == "too_many_attempts" and caught.value.status == 429
    assert Objection.objects.count() == 2
    _submit(notice, point="procedure", id_number="330825198501011239")  # someone else is not held up


def test_the_public_form_takes_an_objection_without_login(client, notice):
    response = client.post(
        f"/notice/{notice.pk}/object/",
        {
            "case": notice.cases.get().pk,
            "point": "integrity",
            "name": "王五",
            "id_number": ID,
            "phone": "13912345678",
            "statement": "申报人曾受行政处罚",
        },
    )
    assert response.status_code == 302
    assert Objection.objects.get().objector_name == "王五"

    again = client.post(
        f"/notice/{notice.pk}/object/",
        {
            "case": notice.cases.get().pk,
            "point": "integrity",
            "name": "王五",
            "id_number": ID,
            "phone": "13912345678",
            "statement": "再提一次",
        },
    )
    assert again.status_code == 409 and "同一事项" in again.content.decode()


def test_an_answer_settles_the_objection_once_and_only_in_the_officers_scope(world, notice):
    objection = _submit(notice)
    other = world.users["county_org_dept"].__class__.objects.create(
        username="longyou", role="county_org_dept", region=world.county_b
    )
    with pytest.raises(NotFound):
        notices.objection_answer(actor=other, objection=objection, upheld=True, answer="成立")
    with pytest.raises(ValidationFailed):
        notices.objection_answer(
            actor=world.users["county_org_dept"], objection=objection, upheld=True, answer=""
        )

    notices.objection_answer(
        actor=world.users["county_org_dept"], objection=objection, upheld=False, answer="经核实，专利真实"
    )
    objection.refresh_from_db()
    assert (
        objection.state == ObjectionState.DISMISSED
        and objection.answered_by == world.users["county_org_dept"]
    )
    with pytest.raises(DomainError):
        notices.objection_answer(
            actor=world.users["city_org_dept"], objection=objection, upheld=True, answer="改判"
        )


def test_the_officers_list_and_answer_page_show_due_dates_and_masked_data_only(client, world, notice):
    objection = _submit(notice)
    client.force_login(world.users["county_org_dept"])

    listed = client.get("/evaluation/objections/").content.decode()
    assert "2026-12-21" in listed and world.talent_a.name in listed
    page = client.get(f"/evaluation/objections/{objection.pk}/").content.decode()
    assert objection.objector_id_masked in page and ID not in page and "13912345678" not in page

    answered = client.post(
        f"/evaluation/objections/{objection.pk}/", {"upheld": "no", "answer": "经核实不成立"}
    )
    assert answered.status_code == 302
    assert Objection.objects.get().state == ObjectionState.DISMISSED
    client.force_login(world.users["talent"])
    assert client.get(f"/evaluation/objections/{objection.pk}/").status_code in (403, 404)
