"""Consultation on policy drafts: invited parties comment (an enterprise only when invited), the drafter
answers every comment before a round can close, rounds repeat, and the issued version shows what changed."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from rencai.accounts.models import ApiToken
from rencai.coordination.models import AnswerOutcome, ConsultationState
from rencai.coordination.selectors import consultation as selectors
from rencai.coordination.services import consultation as service
from rencai.core.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import Notification
from rencai.policies import services as policies
from rencai.policies.models import Policy, PolicyVersion, VersionStatus
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = dt.date(2017, 3, 1)


@pytest.fixture
def draft(world):
    """Jiangshan's draft talent policy, version 1."""
    policy = Policy.objects.create(
        code="js-new-deal",
        name="江山市人才新政（征求意见稿）",
        region=world.county_a,
        kind="subsidy",
        summary="引进博士给予补贴。",
    )
    return PolicyVersion.objects.create(
        policy=policy,
        number=1,
        effective_from=dt.date(2017, 7, 1),
        eligibility_rule='talent.degree == "doctor"',
        amount_rule="100000",
        status=VersionStatus.DRAFT,
    )


@pytest.fixture
def round_one(world, draft):
    return service.consultation_open(
        actor=world.users["county_org_dept"],
        version=draft,
        deadline=dt.date(2017, 3, 15),
        departments=[world.users["department"].department],
        enterprises=[world.enterprise_a],
        today=TODAY,
    )


@pytest.fixture
def outsider(world):
    """An enterprise of Jiangshan that was not invited."""
    enterprise = factories.make_enterprise(world.county_a, name="江山未邀请企业")
    return factories.make_user("uninvited", "enterprise", enterprise=enterprise)


def test_opening_a_round_keeps_the_draft_and_tells_the_invited(world, round_one):
    assert round_one.snapshot["amount_rule"] == "100000"
    assert round_one.snapshot["name"] == "江山市人才新政（征求意见稿）"
    told = set(
        Notification.objects.filter(kind="coordination.consultation").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"dept", "ent"}


def test_invited_parties_comment_and_an_enterprise_sees_its_own_comments_only(world, round_one):
    by_dept = service.comment_add(
        actor=world.users["department"],
        consultation=round_one,
        body="补贴标准偏低",
        clause="金额规则",
        today=TODAY,
    )
    by_ent = service.comment_add(
        actor=world.users["enterprise"], consultation=round_one, body="请覆盖硕士", today=TODAY
    )

    assert by_dept.party == "江山市人力资源和社会保障局" and by_dept.clause == "金额规则"
    assert by_ent.party == "江山天蓬测试集团"
    assert list(selectors.comments_of(round_one, world.users["enterprise"])) == [by_ent]
    assert len(selectors.comments_of(round_one, world.users["county_org_dept"])) == 2


def test_an_uninvited_enterprise_can_neither_see_nor_comment(world, round_one, outsider):
    with pytest.raises(NotFound):
        selectors.get_consultation(outsider, round_one.pk)
    with pytest.raises(NotFound):
        service.comment_add(actor=outsider, consultation=round_one, body="x", today=TODAY)
    assert not selectors.consultations_for(outsider).exists()


def test_another_county_does_not_see_the_draft_and_a_talent_may_not_comment(world, round_one):
    longyou = factories.make_user("longyou", "county_org_dept", region=world.county_b)

    with pytest.raises(NotFound):
        selectors.get_consultation(longyou, round_one.pk)
    with pytest.raises(PermissionDenied):
        service.comment_add(actor=world.users["talent"], consultation=round_one, body="x", today=TODAY)


def test_no_comment_after_the_deadline(world, round_one):
    with pytest.raises(DomainError) as refused:
        service.comment_add(
            actor=world.users["department"], consultation=round_one, body="晚了", today=dt.date(2017, 3, 16)
        )
    assert refused.value.code == ErrorCode.DEADLINE_PASSED


def test_a_round_closes_only_once_every_comment_is_answered(world, round_one):
    drafter = world.users["county_org_dept"]
    comment = service.comment_add(
        actor=world.users["department"], consultation=round_one, body="标准偏低", today=TODAY
    )

    with pytest.raises(DomainError) as refused:
        service.consultation_close(actor=drafter, consultation=round_one)
    assert refused.value.code == ErrorCode.COMMENTS_UNANSWERED
    with pytest.raises(ValidationFailed):  # not adopted needs its reason
        service.comment_answer(actor=drafter, comment=comment, outcome=AnswerOutcome.NOT_ADOPTED)
    with pytest.raises(PermissionDenied):  # only the drafter answers
        service.comment_answer(
            actor=world.users["department"], comment=comment, outcome=AnswerOutcome.ADOPTED
        )
    service.comment_answer(
        actor=drafter, comment=comment, outcome=AnswerOutcome.PARTLY, reason="提高至15万元"
    )

    closed = service.consultation_close(actor=drafter, consultation=round_one)
    assert closed.state == ConsultationState.CLOSED
    with pytest.raises(DomainError) as late:
        service.comment_add(actor=world.users["department"], consultation=round_one, body="x", today=TODAY)
    assert late.value.code == ErrorCode.CONSULTATION_CLOSED


def test_a_second_round_waits_for_the_first_and_keeps_the_revised_draft(world, draft, round_one):
    drafter = world.users["county_org_dept"]
    with pytest.raises(DomainError):
        service.consultation_open(
            actor=drafter,
            version=draft,
            deadline=dt.date(2017, 4, 1),
            enterprises=[world.enterprise_a],
            today=TODAY,
        )
    service.consultation_close(actor=drafter, consultation=round_one)
    policies.update_draft(
        actor=drafter,
        version=draft,
        eligibility_rule=draft.eligibility_rule,
        amount_rule="150000",
        effective_from=draft.effective_from,
    )

    second = service.consultation_open(
        actor=drafter,
        version=draft,
        deadline=dt.date(2017, 4, 1),
        enterprises=[world.enterprise_a],
        today=TODAY,
    )

    assert second.round_number == 2 and second.snapshot["amount_rule"] == "150000"


def test_only_the_drafting_region_opens_a_round_and_only_inside_it(world, draft):
    longyou = factories.make_user("longyou", "county_org_dept", region=world.county_b)
    with pytest.raises(PermissionDenied):
        service.consultation_open(
            actor=longyou,
            version=draft,
            deadline=dt.date(2017, 4, 1),
            enterprises=[world.enterprise_a],
            today=TODAY,
        )
    with pytest.raises(ValidationFailed) as refused:
        service.consultation_open(
            actor=world.users["county_org_dept"],
            version=draft,
            deadline=dt.date(2017, 4, 1),
            enterprises=[world.enterprise_b],
            today=TODAY,
        )
    assert "龙游测试纸业" in refused.value.details[0]["message_zh"]


def test_the_issued_version_shows_what_changed_after_consultation(world, draft, round_one):
    drafter = world.users["county_org_dept"]
    comment = service.comment_add(
        actor=world.users["enterprise"],
        consultation=round_one,
        body="标准偏低",
        today=TODAY,
    )
    service.comment_answer(actor=drafter, comment=comment, outcome=AnswerOutcome.ADOPTED)
    service.consultation_close(actor=drafter, consultation=round_one)
    policies.update_draft(
        actor=drafter,
        version=draft,
        eligibility_rule=draft.eligibility_rule,
        amount_rule="150000",
        effective_from=draft.effective_from,
        note="采纳企业意见，提高补贴标准",
    )
    policies.issue_version(actor=drafter, version=draft)
    draft.refresh_from_db()

    changes = selectors.changes_after_consultation(draft, [round_one])
    page = _client(drafter).get(reverse("coordination:consultation_changes", args=[draft.pk]))
    api = _api(world.users["enterprise"]).get(f"/api/coordination/consultations/versions/{draft.pk}/changes")

    assert [c.key for c in changes] == ["amount_rule", "note"]
    assert ("delete", "0") in changes[0].pieces and ("insert", "5") in changes[0].pieces
    html = page.content.decode()
    assert page.status_code == 200 and "已于" in html and "<ins>5</ins>" in html and "标准偏低" in html
    assert api.status_code == 200 and api.json()["status"] == "issued"
    assert [c["key"] for c in api.json()["changes"]] == ["amount_rule", "note"]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> Client:
    _token, key = ApiToken.issue(user)
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_the_pages_let_the_invited_comment_and_the_drafter_answer(world, round_one, outsider, monkeypatch):
    from rencai.coordination.services import consultation as module

    monkeypatch.setattr(module.timezone, "localdate", lambda: TODAY)
    url = reverse("coordination:consultation_detail", args=[round_one.pk])
    enterprise = _client(world.users["enterprise"])

    posted = enterprise.post(
        url, {"form": "comment", "body": "请覆盖硕士", "clause": "资格规则"}, follow=True
    )
    comment = round_one.comments.get()
    answered = _client(world.users["county_org_dept"]).post(
        reverse("coordination:comment_answer", args=[round_one.pk, comment.pk]),
        {"outcome": "not_adopted", "reason": "财力有限"},
        follow=True,
    )

    assert posted.status_code == 200 and "请覆盖硕士" in posted.content.decode()
    assert answered.status_code == 200 and "财力有限" in answered.content.decode()
    assert _client(outsider).get(url).status_code == 404
    assert (
        "江山市人才新政"
        not in _client(outsider).get(reverse("coordination:consultation_list")).content.decode()
    )


def test_the_api_takes_a_comment_once_and_refuses_an_uninvited_enterprise(
    world, round_one, outsider, monkeypatch
):
    from rencai.coordination.services import consultation as module

    monkeypatch.setattr(module.timezone, "localdate", lambda: TODAY)
    url = f"/api/coordination/consultations/{round_one.pk}/comments"
    body = {"body": "请覆盖硕士"}
    headers = {"Idempotency-Key": "c-1"}
    client = _api(world.users["enterprise"])

    first = client.post(url, body, content_type="application/json", headers=headers)
    again = client.post(url, body, content_type="application/json", headers=headers)
    refused = _api(outsider).post(url, body, content_type="application/json")

    assert (first.status_code, again.status_code, refused.status_code) == (201, 201, 404)
    assert round_one.comments.count() == 1


# -- deadline reminders in the daily sweep ------------------------------------------------------------------


def _reminders():
    return Notification.objects.filter(kind=service.KIND_REMINDER)


def test_parties_that_have_not_commented_are_reminded_two_working_days_before_the_deadline_once(
    world, round_one
):
    from rencai.core import sweeps

    # deadline Wednesday 15 March 2017: Friday the 10th is three working days before, too early
    assert sweeps.run_all(dt.date(2017, 3, 10))["coordination_consultations"]["reminded"] == 0
    assert not _reminders().exists()
    service.comment_add(
        actor=world.users["department"],
        consultation=round_one,
        body="补贴标准偏低",
        today=dt.date(2017, 3, 10),
    )

    # Monday the 13th, two working days before: the enterprise has not commented, the department has
    report = sweeps.run_all(dt.date(2017, 3, 13))["coordination_consultations"]
    assert report == {"reminded": 1, "already_commented": 1, "told": 1}
    message = _reminders().get()
    assert message.recipient == world.users["enterprise"]
    assert message.subject == "征求意见即将截止：江山市人才新政（征求意见稿）"
    assert "2017年03月15日" in message.body and world.enterprise_a.name in message.body
    assert message.link == reverse("coordination:consultation_detail", args=[round_one.pk])
    assert round_one.invitations.get(enterprise=world.enterprise_a).reminded_on == dt.date(2017, 3, 13)

    # run again that day, and the next: nothing is sent twice
    assert service.consultation_sweep(dt.date(2017, 3, 13))["reminded"] == 0
    assert service.consultation_sweep(dt.date(2017, 3, 14))["reminded"] == 0
    assert _reminders().count() == 1


def test_a_missed_sweep_reminds_on_the_next_day_but_never_after_the_deadline_or_a_closed_round(world, draft):
    late = service.consultation_open(
        actor=world.users["county_org_dept"],
        version=draft,
        deadline=dt.date(2017, 3, 15),
        enterprises=[world.enterprise_a],
        today=TODAY,
    )
    assert service.consultation_sweep(dt.date(2017, 3, 16))["reminded"] == 0  # the deadline has passed
    assert service.consultation_sweep(dt.date(2017, 3, 14))["reminded"] == 1  # the 13th's sweep did not run
    assert _reminders().count() == 1

    service.consultation_close(actor=world.users["county_org_dept"], consultation=late)
    again = service.consultation_open(
        actor=world.users["county_org_dept"],
        version=draft,
        deadline=dt.date(2017, 3, 20),
        enterprises=[world.enterprise_a],
        today=dt.date(2017, 3, 15),
    )
    service.consultation_close(actor=world.users["county_org_dept"], consultation=again)
    assert service.consultation_sweep(dt.date(2017, 3, 17))["reminded"] == 0  # closed: nobody to remind
    assert _reminders().count() == 1
