"""Public notice (公示): the period in working days, the page without login that shows name, employer and
result only, and the decision refused until the period is over and every objection is settled."""

import datetime as dt
from decimal import Decimal

import pytest

from rencai.core.errors import DomainError, PermissionDenied
from rencai.evaluation.choices import CaseResult, CaseState, NoticeState, ObjectionState, RoundState
from rencai.evaluation.models import Case, PublicNotice
from rencai.evaluation.services import notices
from tests.evaluation.builders import make_case, today_is

pytestmark = pytest.mark.django_db
S = CaseState
PUBLISHED = dt.date(2026, 9, 29)  # a Tuesday before the National Day holiday (1–7 October)


@pytest.fixture
def noticed(world, open_round, monkeypatch):
    """Two cases past second review, published on PUBLISHED for five working days."""
    today_is(monkeypatch, PUBLISHED)
    a = make_case(open_round, world.talent_a, state=S.SECOND_PASSED, total_score=Decimal("91.50"))
    b = make_case(open_round, world.talent_b, state=S.SECOND_PASSED, total_score=Decimal("76"))
    notice = notices.notice_publish(actor=world.users["city_org_dept"], round=open_round)
    return notice, a, b


def _objection(notice, case, state=ObjectionState.OPEN, answer=""):
    return notice.objections.create(
        case=case,
        point="achievement",
        objector_name="张三",
        objector_id_ciphertext="x",
        objector_id_index=f"idx-{state}",
        objector_id_masked="3308**********0020",
        phone_ciphertext="x",
        phone_masked="138****1234",
        statement="成果不实",
        due_on=dt.date(2026, 10, 20),
        state=state,
        answer=answer,
    )


def test_the_period_is_counted_in_working_days_past_the_holiday(noticed, open_round):
    notice, a, b = noticed
    # 30 September, then 8, 9, 10 (a worked Saturday) and 12 October
    assert (notice.starts_on, notice.ends_on, notice.days) == (PUBLISHED, dt.date(2026, 10, 12), 5)
    assert set(notice.cases.values_list("pk", flat=True)) == {a.pk, b.pk}
    a.refresh_from_db()
    assert (a.state, a.result_tier) == (S.NOTICE, "C")  # 91.5 reaches C (90)
    open_round.refresh_from_db()
    assert open_round.state == RoundState.NOTICE


def test_nothing_to_publish_and_a_county_officer_on_a_city_round_are_refused(world, open_round):
    with pytest.raises(DomainError) as caught:
        notices.notice_publish(actor=world.users["city_org_dept"], round=open_round)
    assert caught.value.code == "round_closed"
    make_case(open_round, world.talent_a, state=S.SECOND_PASSED)
    with pytest.raises(PermissionDenied):
        notices.notice_publish(actor=world.users["county_org_dept"], round=open_round)
    assert not PublicNotice.objects.exists()


def test_deciding_before_the_period_is_over_is_refused(world, noticed, monkeypatch):
    notice, a, _b = noticed
    today_is(monkeypatch, notice.ends_on)  # the last day of the notice

    with pytest.raises(DomainError) as caught:
        notices.case_decide(actor=world.users["city_org_dept"], case=a)

    assert caught.value.code == "notice_not_over"
    assert "2026-10-12" in caught.value.message_zh and "2026-10-12" in caught.value.message_en
    assert Case.objects.get(pk=a.pk).state == S.NOTICE


def test_deciding_with_an_objection_open_is_refused_then_allowed_once_it_is_settled(
    world, noticed, monkeypatch
):
    notice, a, _b = noticed
    objection = _objection(notice, a)
    today_is(monkeypatch, dt.date(2026, 10, 13))
    city = world.users["city_org_dept"]

    with pytest.raises(DomainError) as caught:
        notices.case_decide(actor=city, case=a)
    assert caught.value.code == "notice_not_over" and "1" in caught.value.message_en

    notices.objection_answer(actor=city, objection=objection, upheld=False, answer="经核实，成果真实")
    decided = notices.case_decide(actor=city, case=a)

    assert (decided.state, decided.result, decided.result_tier) == (S.RECOGNIZED, CaseResult.PASSED, "C")


def test_an_upheld_objection_means_not_recognized(world, noticed, monkeypatch):
    notice, a, _b = noticed
    _objection(notice, a, state=ObjectionState.UPHELD, answer="经核实，专利不属本人")
    today_is(monkeypatch, dt.date(2026, 10, 13))

    decided = notices.case_decide(actor=world.users["city_org_dept"], case=a)

    assert (decided.state, decided.result) == (S.NOT_RECOGNIZED, CaseResult.FAILED)
    assert "专利不属本人" in decided.transitions.get(to_state=S.NOT_RECOGNIZED).comment


def test_a_round_decides_what_it_can_and_the_rest_waits(world, noticed, monkeypatch):
    notice, a, b = noticed
    _objection(notice, b)
    today_is(monkeypatch, dt.date(2026, 10, 13))

    result = notices.round_decide(actor=world.users["city_org_dept"], round=notice.round)

    assert result == {"decided": 1, "waiting": 1}
    assert Case.objects.get(pk=a.pk).state == S.RECOGNIZED and Case.objects.get(pk=b.pk).state == S.NOTICE
    assert PublicNotice.objects.get(pk=notice.pk).state == NoticeState.ENDED


def test_the_public_page_needs_no_login_and_shows_name_employer_and_result_only(client, world, noticed):
    notice, _a, _b = noticed

    response = client.get(f"/notice/{notice.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert world.talent_a.name in page and world.enterprise_a.name in page and world.talent_b.name in page
    assert "C类人才" in page
    for talent in (world.talent_a, world.talent_b):
        assert talent.id_number_masked not in page and talent.phone_masked not in page
        assert str(talent.birth_date.year) not in page
    assert "91.5" not in page and "76.00" not in page
    assert client.get("/notice/").status_code == 200
    assert client.get(f"/notice/{notice.pk}/object/").status_code == 200
    assert client.get(f"/notice/{notice.pk + 99}/").status_code == 404


def test_the_public_page_reads_the_notice_in_a_few_queries(
    client, world, noticed, django_assert_max_num_queries
):
    notice, _a, _b = noticed
    with django_assert_max_num_queries(6):
        client.get(f"/notice/{notice.pk}/")


def test_the_notice_and_the_objection_form_are_public_in_the_api_too(client, world, noticed):
    notice, a, _b = noticed

    listed = client.get("/api/evaluation/notices")
    detail = client.get(f"/api/evaluation/notices/{notice.pk}")
    objected = client.post(
        f"/api/evaluation/notices/{notice.pk}/objections",
        {
            "case_id": a.pk,
            "name": "李四",
            "id_number": "330881199003070020",
            "phone": "13912345678",
            "point": "procedure",
            "statement": "评审程序不合规",
        },
        content_type="application/json",
    )

    assert listed.status_code == 200 and listed.json()[0]["id"] == notice.pk
    lines = detail.json()["lines"]
    assert {line["name"] for line in lines} == {world.talent_a.name, world.talent_b.name}
    assert set(lines[0]) == {"case_id", "name", "employer", "tier", "honour"}
    assert objected.status_code == 201 and objected.json()["state"] == "open"
    assert client.get("/api/evaluation/cases").status_code == 401  # the rest of the API needs a sign-in
