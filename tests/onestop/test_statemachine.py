"""The lifecycle table: every allowed transition works and is logged; every other one is refused."""

import itertools

import pytest
from django.utils import timezone

from rencai.core.models import AuditEntry
from rencai.onestop.models import Application, ApplicationState, ServiceItem, Transition
from rencai.onestop.statemachine import (
    ALLOWED,
    APPLICANT,
    DEPARTMENT,
    NEW,
    ROLES,
    SYSTEM,
    WINDOW,
    IllegalTransition,
    allowed_targets,
    transition,
)
from rencai.registry.models import Department
from tests import factories

pytestmark = pytest.mark.django_db

STATES = list(ApplicationState.values)
ILLEGAL = [
    (start, to, role)
    for start, to, role in itertools.product([NEW, *STATES], STATES, ROLES)
    if role not in ALLOWED.get((start, to), frozenset())
]
LEGAL = [(start, to, role) for (start, to), roles in ALLOWED.items() for role in sorted(roles)]


@pytest.fixture
def parties(regions):
    """A talent with an account, an item, and one actor per role (None is the system)."""
    county = regions["330881"]
    talent_user = factories.make_user("talent", "talent")
    talent = factories.make_talent(county, account=talent_user)
    department = Department.objects.create(region=county, kind="hrss", name="江山人社")
    item = ServiceItem.objects.create(
        region=regions["330800"], code="gold_card", name="金卡", outcome="gold_card"
    )
    actors = {
        APPLICANT: talent_user,
        WINDOW: factories.make_user("window", "county_org_dept", region=county),
        DEPARTMENT: factories.make_user("dept", "department", region=county, department=department),
        SYSTEM: None,
    }
    return talent, item, actors


def application_in(state: str, talent, item) -> Application:
    application = Application(talent=talent, item=item, region=talent.region, idempotency_key=f"k-{state}")
    if state != NEW:
        application.state = state
        application.completed_at = timezone.now() if state == "completed" else None
        application.save()
    return application


def test_the_table_covers_the_documented_lifecycle():
    assert allowed_targets("submitted", WINDOW) == ["accepted", "returned"]
    assert allowed_targets("resubmitted", WINDOW) == ["accepted"]  # no second return, by design
    assert set(allowed_targets("returned", APPLICANT)) == {"resubmitted", "withdrawn"}
    assert not any(start in ("completed", "rejected", "withdrawn") for start, _to in ALLOWED)
    assert len(ILLEGAL) + len(LEGAL) == (len(STATES) + 1) * len(STATES) * len(ROLES)


@pytest.mark.parametrize(("start", "to", "role"), ILLEGAL, ids=lambda v: v or "new")
def test_every_transition_outside_the_table_is_refused(parties, start, to, role):
    talent, item, actors = parties
    application = application_in(start, talent, item)
    with pytest.raises(IllegalTransition) as refused:
        transition(application, to, actor=actors[role])
    assert refused.value.code == "illegal_transition"
    assert refused.value.message_zh and refused.value.message_en
    assert Transition.objects.count() == 0
    if start != NEW:
        assert Application.objects.get(pk=application.pk).state == start
    else:
        assert not Application.objects.exists()


@pytest.mark.parametrize(("start", "to", "role"), LEGAL, ids=lambda v: v or "new")
def test_every_transition_in_the_table_moves_and_is_logged(parties, start, to, role):
    talent, item, actors = parties
    application = application_in(start, talent, item)
    transition(application, to, actor=actors[role], comment="说明")
    application.refresh_from_db()
    assert application.state == to
    log = Transition.objects.get(application=application)
    assert (log.from_state, log.to_state, log.role, log.actor, log.comment) == (
        start,
        to,
        role,
        actors[role],
        "说明",
    )
    entry = AuditEntry.objects.get(action=f"onestop.application.{to}")
    assert entry.object_id == str(application.pk) and entry.detail["from"] == start


def test_a_refusal_explains_itself_in_both_languages(parties):
    talent, item, actors = parties
    application = application_in("resubmitted", talent, item)
    with pytest.raises(IllegalTransition) as refused:
        transition(application, "returned", actor=actors[WINDOW])
    assert refused.value.message_zh == "窗口受理人员不能将申请从“补正后提交”变为“已退回补正”"
    assert refused.value.message_en == (
        "The window officer cannot move an application from 'resubmitted' to 'returned for correction'"
    )


def test_a_stranger_is_no_party_to_an_application(parties):
    talent, item, _actors = parties
    application = application_in("submitted", talent, item)
    with pytest.raises(Exception) as refused:
        transition(application, "withdrawn", actor=factories.make_user("someone", "talent"))
    assert getattr(refused.value, "code", "") == "permission_denied"
