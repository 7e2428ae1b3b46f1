"""Results reach the platform: a recognized tier and honour are written to the registry, the next matching
run turns the tier into an entitlement (免申即享), and revoking the result restores the tier, removes the
honour and flags the entitlement for review."""

import datetime as dt
from decimal import Decimal

import pytest

from rencai.core.audit import verify_chain
from rencai.core.errors import PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry
from rencai.evaluation.choices import CaseState
from rencai.evaluation.models import Case
from rencai.evaluation.services import notices, outcomes
from rencai.policies.matching import run_match
from rencai.policies.models import Entitlement, Policy, PolicyVersion
from rencai.registry.models import Honour, Talent
from tests.evaluation.builders import make_case, make_round, make_scheme, today_is

pytestmark = pytest.mark.django_db
S = CaseState
PUBLISHED = dt.date(2026, 9, 29)
AFTER = dt.date(2026, 10, 13)  # the day after the five-working-day notice


def _tier_c_allowance(world) -> Policy:
    """A demo policy that pays every tier C talent, proactively (免申即享)."""
    policy = Policy.objects.create(
        code="tier-c-allowance",
        name="C类人才生活补贴",
        region=world.regions["330800"],
        kind="subsidy",
        is_proactive=True,
    )
    PolicyVersion.objects.create(
        policy=policy,
        number=1,
        effective_from=dt.date(2017, 1, 1),
        eligibility_rule='talent.tier == "C"',
        amount_rule="20000",
        status="issued",
    )
    return policy


@pytest.fixture
def recognized(world, monkeypatch):
    """Talent A (tier D) recognized at tier C with the city programme honour, after a clean notice."""
    city = world.regions["330800"]
    scheme = make_scheme(city, code="recognition-c", honour="city_programme")
    round_ = make_round(scheme, city)
    case = make_case(round_, world.talent_a, state=S.SECOND_PASSED, total_score=Decimal("92"))
    today_is(monkeypatch, PUBLISHED)
    notices.notice_publish(actor=world.users["city_org_dept"], round=round_)
    today_is(monkeypatch, AFTER)
    return notices.case_decide(actor=world.users["city_org_dept"], case=case)


def test_a_recognized_tier_and_honour_are_written_to_the_registry_and_audited(world, recognized):
    talent = Talent.objects.get(pk=world.talent_a.pk)
    assert (recognized.state, recognized.result_tier) == (S.RECOGNIZED, "C")
    assert talent.tier == "C"
    honour = Honour.objects.get(talent=talent)
    assert (honour.programme, honour.level, honour.year) == ("city_programme", "city", 2026)
    assert recognized.registry_effect == {"previous_tier": "D", "tier": "C", "honour_id": honour.pk}
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "talent.tier_from_evaluation",
        "talent.honour_from_evaluation",
        "evaluation.case.recognized",
    } <= actions
    assert verify_chain().ok


def test_the_next_matching_run_turns_the_recognized_tier_into_an_entitlement(world, recognized):
    policy = _tier_c_allowance(world)

    run_match(evaluation_date=AFTER)

    entitlements = Entitlement.objects.filter(policy=policy)
    # talent B was tier C already; talent A is newly C through the evaluation
    assert {e.talent_id: e.status for e in entitlements} == {
        world.talent_a.pk: "granted",
        world.talent_b.pk: "granted",
    }
    assert entitlements.get(talent=world.talent_a).amount == Decimal("20000.00")


def test_revocation_restores_the_tier_removes_the_honour_and_flags_the_entitlement(world, recognized):
    policy = _tier_c_allowance(world)
    run_match(evaluation_date=AFTER)

    revoked = outcomes.case_revoke(actor=world.users["city_org_dept"], case=recognized, reason="代表作系抄袭")

    assert revoked.state == S.REVOKED and revoked.revoked_reason == "代表作系抄袭"
    assert Talent.objects.get(pk=world.talent_a.pk).tier == "D"
    assert not Honour.objects.filter(talent=world.talent_a).exists()
    assert Entitlement.objects.get(policy=policy, talent=world.talent_a).status == "flagged"
    # talent B's entitlement did not rest on this result
    assert Entitlement.objects.get(policy=policy, talent=world.talent_b).status == "granted"
    entry = AuditEntry.objects.filter(action="evaluation.case.revoke").get()
    assert entry.detail["entitlements_flagged"] == 1
    assert verify_chain().ok


def test_a_lower_tier_never_downgrades_the_registry(world, monkeypatch):
    city = world.regions["330800"]
    scheme = make_scheme(city, code="low", tier_thresholds={"E": 60})
    case = make_case(
        make_round(scheme, city), world.talent_b, state=S.SECOND_PASSED, total_score=Decimal("70")
    )
    today_is(monkeypatch, PUBLISHED)
    notices.notice_publish(actor=world.users["city_org_dept"], round=case.round)
    today_is(monkeypatch, AFTER)

    decided = notices.case_decide(actor=world.users["city_org_dept"], case=case)

    assert decided.result_tier == "E" and decided.registry_effect == {}
    assert Talent.objects.get(pk=world.talent_b.pk).tier == "C"


def test_revocation_needs_a_reason_and_the_organizers_right(world, recognized):
    with pytest.raises(ValidationFailed):
        outcomes.case_revoke(actor=world.users["city_org_dept"], case=recognized, reason=" ")
    with pytest.raises(PermissionDenied):
        outcomes.case_revoke(actor=world.users["county_org_dept"], case=recognized, reason="x")
    assert Case.objects.get(pk=recognized.pk).state == S.RECOGNIZED
