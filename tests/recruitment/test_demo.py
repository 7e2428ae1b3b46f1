"""`rencai demo_recruitment`: stations, events, agencies, demands, referrals, placements and rewards built
through the services on top of the small registry demo and the demo policies, in the Makefile's order."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import visible_to
from rencai.core.models import AuditEntry
from rencai.policies import ledger
from rencai.recruitment.choices import (
    DemandState,
    InstalmentState,
    LeadOutcome,
    Place,
    PlacementState,
    ReferralState,
    RewardPurpose,
    WorkMode,
)
from rencai.recruitment.demo import AGENCY_LOGINS, STATIONS
from rencai.recruitment.models import (
    Agency,
    Demand,
    Event,
    Lead,
    Placement,
    Referral,
    Reward,
    RewardCap,
    RewardInstalment,
    RewardScheme,
    Station,
)
from rencai.registry.demo import MIN_TALENTS

pytestmark = pytest.mark.django_db


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_output():
    """The registry with the fewest talents the demo allows, the policies, then the recruitment demo."""
    run("demo", "--talents", str(MIN_TALENTS))
    run("demo_policies")
    return run("demo_recruitment")


def test_demo_recruitment_refuses_without_the_registry_demo_in_both_languages():
    with pytest.raises(CommandError) as refused:
        call_command("demo_recruitment", stdout=io.StringIO())
    assert "请先运行" in str(refused.value) and "run `rencai demo`" in str(refused.value)
    assert not Station.objects.exists() and not Agency.objects.exists()


def test_demo_recruitment_refuses_without_the_demo_policies():
    run("demo", "--talents", str(MIN_TALENTS))
    with pytest.raises(CommandError) as refused:
        call_command("demo_recruitment", stdout=io.StringIO())
    assert "demo_policies" in str(refused.value)
    assert not Demand.objects.exists()


def test_three_stations_with_operators_and_a_season_of_events_with_leads(demo_output):
    stations = Station.objects.order_by("pk")
    assert [s.city for s in stations] == ["北京", "上海", "杭州"]
    for station, (_, _, _, operator, _) in zip(stations, STATIONS, strict=True):
        assert list(station.operators.values_list("username", flat=True)) == [operator]
    assert Event.objects.count() == 5
    assert Event.objects.filter(station__isnull=True).count() == 0
    outcomes = set(Lead.objects.values_list("outcome", flat=True))
    assert {LeadOutcome.CONTACTED, LeadOutcome.DECLINED} <= outcomes
    assert all(event.demands.exists() for event in Event.objects.all())
    assert "北京" in demo_output and "推介会 5 场" in demo_output


def test_a_dozen_agencies_under_contract_two_with_logins_who_see_only_their_own(demo_output):
    assert Agency.objects.count() == 12
    assert Agency.objects.filter(active=True).count() == 12
    for username, _ in AGENCY_LOGINS:
        agent = User.objects.get(username=username)
        own = agent.agency_membership.agency
        seen = visible_to(agent, Referral.objects.all())
        assert seen.exists()
        assert set(seen.values_list("agency_id", flat=True)) == {own.pk}
    assert Referral.objects.values("agency").distinct().count() == 2


def test_demands_of_the_demo_enterprises_in_every_state(demo_output):
    states = set(Demand.objects.values_list("state", flat=True))
    wanted = {
        DemandState.DRAFT,
        DemandState.SUBMITTED,
        DemandState.RETURNED,
        DemandState.PUBLISHED,
        DemandState.CLOSED,
        DemandState.EXPIRED,
    }
    assert wanted <= states
    assert Demand.objects.filter(place=Place.HANGZHOU_ENCLAVE).exists()
    assert Demand.objects.filter(place=Place.SHANGHAI_ENCLAVE).exists()
    assert Demand.objects.filter(work_mode=WorkMode.FLEXIBLE).exists()
    returned = Demand.objects.get(state=DemandState.RETURNED)
    assert returned.review_comment and returned.reviewed_by.username == "longyou"
    assert "已发布" in demo_output and "已过期" in demo_output


def test_referrals_in_every_state_and_the_refused_second_referral_is_reported(demo_output):
    states = set(Referral.objects.values_list("state", flat=True))
    assert states == set(ReferralState.values)
    assert "重复推荐被拒" in demo_output and "其他机构推荐" in demo_output
    # the refused referral wrote nothing: one live referral per person and enterprise
    first = Referral.objects.filter(state=ReferralState.PLACED).order_by("pk").first()
    assert Referral.objects.filter(enterprise=first.enterprise, person_index=first.person_index).count() == 1
    # candidates' personal data is sealed and masked
    candidate = first.candidate
    assert "*" in candidate.id_number_masked and candidate.id_number_ciphertext


def test_placements_confirmed_by_the_registry_in_every_state_the_services_reach(demo_output):
    states = set(Placement.objects.values_list("state", flat=True))
    assert {PlacementState.CONFIRMED, PlacementState.RETAINED, PlacementState.LEFT_EARLY} <= states
    for placement in Placement.objects.select_related("talent"):
        assert placement.talent.employments.filter(enterprise=placement.enterprise).exists()
    retained = Placement.objects.get(state=PlacementState.RETAINED)
    assert (retained.confirmed_on - retained.arrived_on).days >= 365
    left = Placement.objects.get(state=PlacementState.LEFT_EARLY)
    assert left.left_on and left.talent.status == "departed"
    assert Referral.objects.filter(state=ReferralState.PLACED).count() >= 3
    assert Demand.objects.filter(filled__gt=0).exists()


def test_reward_schemes_settle_within_the_cap_and_the_leavers_second_instalment_is_cancelled(demo_output):
    platform = RewardScheme.objects.get(purpose=RewardPurpose.PLATFORM_ENTERPRISE)
    assert platform.cap_per_enterprise_year == 1_000_000
    assert platform.stages == [[50, 0], [50, 12]]
    agency = RewardScheme.objects.get(purpose=RewardPurpose.AGENCY_PLACEMENT)
    assert agency.bonus_threshold == 3
    assert Reward.objects.filter(scheme=agency).exists() and Reward.objects.filter(scheme=platform).exists()
    assert RewardInstalment.objects.filter(state=InstalmentState.PAID).exists()
    for cap in RewardCap.objects.all():
        assert cap.committed <= cap.cap == 1_000_000
    left = Placement.objects.get(state=PlacementState.LEFT_EARLY)
    cancelled = RewardInstalment.objects.filter(reward__placement=left)
    assert cancelled.exists()
    assert InstalmentState.SCHEDULED not in set(cancelled.values_list("state", flat=True))
    assert ledger.discrepancies() == []
    assert "结算" in demo_output


def test_second_demo_recruitment_run_changes_nothing(demo_output):
    counts = (
        Demand.objects.count(),
        Referral.objects.count(),
        Placement.objects.count(),
        Reward.objects.count(),
        AuditEntry.objects.count(),
    )
    again = run("demo_recruitment")
    assert "未作任何修改" in again and "nothing changed" in again
    assert (
        Demand.objects.count(),
        Referral.objects.count(),
        Placement.objects.count(),
        Reward.objects.count(),
        AuditEntry.objects.count(),
    ) == counts
    report = audit.verify_chain()
    assert report.ok, report.reason
