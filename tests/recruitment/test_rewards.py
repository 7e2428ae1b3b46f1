"""Reward schemes and their settlement: by tier, capped per platform enterprise and year at 1,000,000 (what
fits is taken, then CAP_REACHED), within the policy's budget through the one ledger (BUDGET_EXHAUSTED),
one channel per person (ALREADY_PAID), paid in stages while the registry confirms the talent, cancelled
or clawed back when the talent leaves early, and idempotent."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from rencai.core.errors import PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry
from rencai.policies import ledger
from rencai.policies.models import TOTAL, BudgetAccount, Policy, Reservation, ReservationSource
from rencai.recruitment.choices import (
    Channel,
    InstalmentState,
    PlacementState,
    ReferralState,
    RewardPurpose,
    RewardState,
)
from rencai.recruitment.models import Placement, Reward, RewardCap, RewardInstalment
from rencai.recruitment.services.rewards import reward_scheme_create, rewards_for, rewards_settle
from rencai.registry.models import Employment
from tests import factories
from tests.recruitment.builders import (
    TODAY,
    make_agency,
    make_agency_user,
    make_candidate,
    make_demand,
    make_placement,
    make_referral,
)

pytestmark = pytest.mark.django_db

ARRIVED = dt.date(2026, 3, 1)


def make_fund(world, code="recruit-fund", *, total="5000000", yearly="3000000") -> Policy:
    """A non-proactive funding policy: a budget, no version, so matching never pays it per talent."""
    return Policy.objects.create(
        code=code,
        name=f"引才资金{code}",
        region=world.regions["330800"],
        kind="reward",
        budget_total=Decimal(total) if total else None,
        budget_per_year=Decimal(yearly) if yearly else None,
    )


def scheme_data(world, policy, **overrides) -> dict:
    data = {
        "code": "platform-2026",
        "name": "平台型企业引才重奖",
        "purpose": RewardPurpose.PLATFORM_ENTERPRISE,
        "region": world.regions["330800"],
        "policy": policy,
        "effective_from": dt.date(2026, 1, 1),
        "amounts": {"A": "600000", "B": "300000", "C": "100000", "D": "50000"},
        "cap_per_enterprise_year": "1000000",
        "stages": [[50, 0], [50, 12]],
        "months_required": 12,
        "clawback": False,
    }
    data.update(overrides)
    return data


def _arrival(world, enterprise, *, tier="D", **fields):
    talent = factories.make_talent(enterprise.region, tier=tier, current_employer=enterprise)
    return make_placement(talent, enterprise, arrived_on=fields.pop("arrived_on", ARRIVED), **fields)


def _committed(policy) -> Decimal:
    account = BudgetAccount.objects.filter(policy=policy, year=TOTAL).first()
    return account.committed if account else Decimal(0)


def settle(world, today=TODAY):
    return rewards_settle(actor=world.users["city_org_dept"], today=today)


# -- schemes ----------------------------------------------------------------------------------------------


def test_a_scheme_lists_every_problem_at_once_and_writes_nothing(world):
    proactive = make_fund(world, "proactive-fund")
    proactive.is_proactive = True
    proactive.save()
    bad = scheme_data(
        world,
        proactive,
        code="",
        amounts={"Z": "100", "A": "-5"},
        cap_per_enterprise_year="2000000",
        stages=[[60, 0], [50, 12]],
        effective_to=dt.date(2025, 1, 1),
    )
    with pytest.raises(ValidationFailed) as refused:
        reward_scheme_create(actor=world.users["city_org_dept"], data=bad)
    fields = {p["field"] for p in refused.value.details}
    assert fields == {"code", "policy", "amounts", "cap_per_enterprise_year", "stages", "effective_to"}
    assert any("100万元" in p["message_zh"] and "1,000,000" in p["message_en"] for p in refused.value.details)
    assert not Reward.objects.exists()


def test_only_organization_departments_make_schemes_and_only_the_city_settles(world):
    policy = make_fund(world)
    with pytest.raises(PermissionDenied):
        reward_scheme_create(actor=world.users["enterprise"], data=scheme_data(world, policy))
    scheme = reward_scheme_create(actor=world.users["city_org_dept"], data=scheme_data(world, policy))
    assert scheme.stages == [[50, 0], [50, 12]] and scheme.cap_per_enterprise_year == Decimal("1000000")
    assert AuditEntry.objects.filter(action="recruitment.scheme.create", object_id=str(scheme.pk)).exists()
    with pytest.raises(PermissionDenied):
        rewards_settle(actor=world.users["county_org_dept"], today=TODAY)


# -- the platform-enterprise reward: tiers, the cap, stages --------------------------------------------------


def test_the_platform_reward_takes_what_fits_under_the_cap_then_refuses_and_twice_creates_nothing(world):
    policy = make_fund(world)
    scheme = reward_scheme_create(actor=world.users["city_org_dept"], data=scheme_data(world, policy))
    first = _arrival(world, world.enterprise_a, tier="A", arrived_on=dt.date(2026, 2, 1))
    second = _arrival(world, world.enterprise_a, tier="A", arrived_on=dt.date(2026, 3, 1))
    third = _arrival(world, world.enterprise_a, tier="D", arrived_on=dt.date(2026, 4, 1))
    _arrival(world, world.enterprise_b, tier="A")  # not a platform enterprise: no platform reward

    report = settle(world)

    amounts = dict(Reward.objects.values_list("placement_id", "amount"))
    assert amounts == {first.pk: Decimal("600000"), second.pk: Decimal("400000")}
    assert (report.created, report.capped_partially, report.cap_reached) == (2, 1, 1)
    assert report.refusals[0]["code"] == "cap_reached" and report.refusals[0]["placement"] == third.pk
    assert "已达上限" in report.refusals[0]["message_zh"] and "cap" in report.refusals[0]["message_en"]
    cap = RewardCap.objects.get(scheme=scheme, enterprise=world.enterprise_a, year=2026)
    assert cap.committed == cap.cap == Decimal("1000000")
    assert _committed(policy) == Decimal("1000000") and ledger.discrepancies() == []
    held = Reservation.objects.get(talent=first.talent, policy=policy)
    assert (held.amount, held.source) == (Decimal("600000"), ReservationSource.REWARD)
    assert held.reference == Reward.objects.get(placement=first).reservation_reference

    # half on arrival (paid: the registry shows them there), half twelve months on
    stages = list(
        RewardInstalment.objects.filter(reward__placement=first).values_list(
            "number", "due_on", "amount", "state"
        )
    )
    assert stages == [
        (1, dt.date(2026, 2, 1), Decimal("300000"), InstalmentState.PAID),
        (2, dt.date(2027, 2, 1), Decimal("300000"), InstalmentState.SCHEDULED),
    ]
    assert report.instalments_paid == 2

    again = settle(world)
    assert (again.created, again.instalments_paid) == (0, 0)
    assert Reward.objects.count() == 2 and RewardInstalment.objects.count() == 4
    assert _committed(policy) == Decimal("1000000") and ledger.discrepancies() == []

    # a new year opens a new cap; the second half is paid when due, the reward then completed
    later = settle(world, today=dt.date(2027, 3, 1))
    assert later.instalments_paid == 2 and later.created == 0
    assert set(Reward.objects.values_list("state", flat=True)) == {RewardState.COMPLETED}


def test_a_reward_beyond_the_budget_is_not_created_and_the_report_says_why(world):
    policy = make_fund(world, total="700000", yearly=None)
    reward_scheme_create(actor=world.users["city_org_dept"], data=scheme_data(world, policy))
    paid = _arrival(world, world.enterprise_a, tier="A", arrived_on=dt.date(2026, 2, 1))
    refused = _arrival(world, world.enterprise_a, tier="B", arrived_on=dt.date(2026, 3, 1))

    report = settle(world)

    assert list(Reward.objects.values_list("placement_id", flat=True)) == [paid.pk]
    assert report.budget_exhausted == 1
    assert report.refusals == [
        {
            "code": "budget_exhausted",
            "placement": refused.pk,
            "message_zh": "引才资金recruit-fund预算余额不足，无法承诺 300000 元",
            "message_en": "The budget of recruit-fund cannot cover 300000 yuan",
        }
    ]
    assert _committed(policy) == Decimal("600000") and ledger.discrepancies() == []


def test_one_person_is_paid_once_from_a_policy_whatever_the_channel(world):
    """An agency scheme and the platform scheme paying from one policy: the person referred by an agency
    to a platform enterprise is rewarded by one channel only; one paid through the window is refused."""
    policy = make_fund(world)
    reward_scheme_create(actor=world.users["city_org_dept"], data=scheme_data(world, policy))
    reward_scheme_create(
        actor=world.users["city_org_dept"],
        data=scheme_data(
            world,
            policy,
            code="agency-2026",
            name="中介引才奖励",
            purpose=RewardPurpose.AGENCY_PLACEMENT,
            cap_per_enterprise_year=None,
        ),
    )
    referred = _referred(world, make_agency(world.county_a), tier="C", enterprise=world.enterprise_a)
    already = factories.make_talent(world.county_a, tier="C", current_employer=world.enterprise_a)
    ledger.reserve(
        policy_id=policy.pk,
        talent_id=already.pk,
        amount=Decimal("1000"),
        year=2026,
        source=ReservationSource.APPLICATION,
        reference="application:1",
    )
    make_placement(already, world.enterprise_a, arrived_on=dt.date(2026, 6, 1))

    report = settle(world)

    assert (report.created, report.already_paid) == (1, 2)
    assert Reward.objects.get().placement == referred
    assert {r["code"] for r in report.refusals} == {"already_paid"}
    assert Reservation.objects.filter(policy=policy, status="held").count() == 2
    assert ledger.discrepancies() == []


# -- agencies: by tier, and the yearly bonus --------------------------------------------------------------


def _referred(world, agency, *, tier="D", arrived_on=ARRIVED, enterprise=None):
    """A placement brought by `agency`'s referral (a candidate and a talent with the same ID number)."""
    enterprise = enterprise or world.enterprise_b
    number = factories.make_id_number("330881", dt.date(1980 + arrived_on.month, arrived_on.day % 28 + 1, 3))
    demand = make_demand(enterprise)
    referral = make_referral(agency, demand, make_candidate(world.county_a, id_number=number), state="placed")
    talent = factories.make_talent(world.county_b, id_number=number, tier=tier, current_employer=enterprise)
    return make_placement(
        talent, enterprise, channel=Channel.REFERRAL, referral=referral, arrived_on=arrived_on
    )


def test_agencies_are_rewarded_by_tier_and_a_bonus_once_three_arrive_in_a_year(world):
    placement_fund, bonus_fund = make_fund(world, "agency-fund"), make_fund(world, "agency-bonus-fund")
    reward_scheme_create(
        actor=world.users["city_org_dept"],
        data=scheme_data(
            world,
            placement_fund,
            code="agency-2026",
            name="中介引才奖励",
            purpose=RewardPurpose.AGENCY_PLACEMENT,
            amounts={"C": "30000", "D": "10000"},
            cap_per_enterprise_year=None,
            stages=[[100, 0]],
        ),
    )
    reward_scheme_create(
        actor=world.users["city_org_dept"],
        data=scheme_data(
            world,
            bonus_fund,
            code="agency-bonus-2026",
            name="中介年度加奖",
            purpose=RewardPurpose.AGENCY_BONUS,
            amounts={},
            bonus_threshold=3,
            bonus_amount="50000",
            cap_per_enterprise_year=None,
            stages=[[100, 0]],
        ),
    )
    busy, quiet = make_agency(world.county_a), make_agency(world.county_a)
    arrivals = [
        _referred(world, busy, tier="C", arrived_on=dt.date(2026, 1, 5)),
        _referred(world, busy, arrived_on=dt.date(2026, 2, 5)),
        _referred(world, busy, arrived_on=dt.date(2026, 3, 5)),
        _referred(world, busy, arrived_on=dt.date(2026, 4, 5)),
    ]
    _referred(world, quiet, arrived_on=dt.date(2026, 5, 6))

    report = settle(world)

    by_agency = Reward.objects.filter(purpose=RewardPurpose.AGENCY_PLACEMENT)
    assert sorted(by_agency.filter(agency=busy).values_list("amount", flat=True)) == [
        Decimal("10000")
    ] * 3 + [Decimal("30000")]
    assert by_agency.filter(agency=quiet).count() == 1
    bonus = Reward.objects.get(purpose=RewardPurpose.AGENCY_BONUS)
    assert (bonus.agency, bonus.placement, bonus.amount, bonus.year) == (
        busy,
        arrivals[2],
        Decimal("50000"),
        2026,
    )
    assert report.created == 6
    assert (_committed(placement_fund), _committed(bonus_fund)) == (Decimal("70000"), Decimal("50000"))

    assert settle(world).created == 0 and Reward.objects.count() == 6
    assert ledger.discrepancies() == []

    # who sees which: an agency its own, an enterprise the rewards paid to it, officers all in the region
    agent = make_agency_user(busy)
    assert set(rewards_for(agent).values_list("agency_id", flat=True)) == {busy.pk}
    assert rewards_for(agent).count() == 5
    assert not rewards_for(world.users["enterprise"]).exists()
    assert rewards_for(world.users["city_org_dept"]).count() == 6


# -- leaving early ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("clawback", [False, True])
def test_a_talent_who_leaves_early_loses_the_scheduled_instalment_and_with_clawback_the_paid_one(
    world, clawback
):
    policy = make_fund(world)
    scheme = reward_scheme_create(
        actor=world.users["city_org_dept"], data=scheme_data(world, policy, clawback=clawback)
    )
    placement = _arrival(world, world.enterprise_a, tier="B")
    settle(world)
    assert _committed(policy) == Decimal("300000")
    assert RewardInstalment.objects.filter(state=InstalmentState.PAID).count() == 1

    talent = placement.talent
    talent.status, talent.departed_on = "departed", dt.date(2026, 11, 30)
    talent.save()
    report = settle(world)

    placement.refresh_from_db()
    reward = Reward.objects.get()
    states = list(reward.instalments.values_list("state", flat=True))
    assert placement.state == PlacementState.LEFT_EARLY and reward.state == RewardState.CANCELLED
    if clawback:
        assert states == [InstalmentState.CLAWED_BACK, InstalmentState.CANCELLED]
        assert _committed(policy) == Decimal("0") and report.clawed_back == 1
        assert RewardCap.objects.get(scheme=scheme).committed == Decimal("0")
    else:
        assert states == [InstalmentState.PAID, InstalmentState.CANCELLED]
        assert _committed(policy) == Decimal("150000")  # what was paid stays spent
        assert Reservation.objects.get(policy=policy).amount == Decimal("150000")
    assert report.instalments_cancelled == 1 and ledger.discrepancies() == []
    assert AuditEntry.objects.filter(action="recruitment.reward.cancel", object_id=str(reward.pk)).exists()
    again = settle(world)
    assert (again.rewards_cancelled, again.instalments_cancelled, again.created) == (0, 0, 0)


def test_an_instalment_is_paid_only_while_the_registry_shows_the_talent_there(world):
    policy = make_fund(world)
    reward_scheme_create(actor=world.users["city_org_dept"], data=scheme_data(world, policy))
    placement = _arrival(world, world.enterprise_a, tier="C")
    settle(world)
    talent = placement.talent
    talent.current_employer = world.enterprise_b  # moved: the review marks the placement left early
    talent.save()

    report = settle(world, today=dt.date(2027, 3, 2))

    assert report.instalments_paid == 0
    assert list(RewardInstalment.objects.values_list("state", flat=True)) == [
        InstalmentState.PAID,
        InstalmentState.CANCELLED,
    ]


# -- pages and API ------------------------------------------------------------------------------------------


def test_pages_and_api_show_each_party_its_own_rewards_and_the_city_settles_from_the_page(client, world):
    policy = make_fund(world)
    reward_scheme_create(actor=world.users["city_org_dept"], data=scheme_data(world, policy))
    platform = _arrival(world, world.enterprise_a, tier="C")
    agency = make_agency(world.county_a)
    reward_scheme_create(
        actor=world.users["city_org_dept"],
        data=scheme_data(
            world,
            make_fund(world, "agency-fund"),
            code="agency-2026",
            name="中介引才奖励",
            purpose=RewardPurpose.AGENCY_PLACEMENT,
            cap_per_enterprise_year=None,
        ),
    )
    referred = _referred(world, agency, tier="D")

    client.force_login(world.users["city_org_dept"])
    answer = client.post("/recruitment/rewards/settle/", follow=True)
    page = answer.content.decode()
    assert answer.status_code == 200 and 'id="settle-report"' in page
    assert Reward.objects.count() == 2
    assert f'data-reward="{Reward.objects.get(placement=platform).pk}"' in page
    assert "引才资金recruit-fund" in client.get("/recruitment/rewards/schemes/").content.decode()
    assert f'data-placement="{referred.pk}"' in client.get("/recruitment/placements/").content.decode()

    own = Reward.objects.get(placement=platform)
    theirs = Reward.objects.get(placement=referred)
    client.force_login(world.users["enterprise"])  # enterprise_a: the platform reward paid to it
    assert [r["id"] for r in client.get("/api/recruitment/rewards").json()["items"]] == [own.pk]
    assert client.get(f"/recruitment/rewards/{theirs.pk}/").status_code == 404
    detail = client.get(f"/api/recruitment/rewards/{own.pk}").json()
    assert [i["state"] for i in detail["instalments"]] == ["paid", "scheduled"]
    assert client.post("/recruitment/rewards/settle/").status_code in (403, 302)
    assert Reward.objects.count() == 2

    client.force_login(make_agency_user(agency))
    assert [r["id"] for r in client.get("/api/recruitment/rewards").json()["items"]] == [theirs.pk]
    assert client.get(f"/recruitment/rewards/{theirs.pk}/").status_code == 200
    assert client.get(f"/api/recruitment/rewards/{own.pk}").status_code == 404


# -- a referral counts only for an arrival that came after it --------------------------------------------


@pytest.mark.parametrize(
    ("made", "credited"),
    [
        (dt.datetime(2026, 3, 1, 23, 30), True),  # the evening of the day the talent started: it brought them
        (dt.datetime(2026, 3, 2, 0, 30), False),  # the night after: the person already worked there
    ],
)
def test_a_referral_made_after_the_arrival_is_never_credited_nor_paid(world, made, credited):
    fund = make_fund(world, "agency-fund")
    reward_scheme_create(
        actor=world.users["city_org_dept"],
        data=scheme_data(
            world,
            fund,
            code="agency-2026",
            name="中介引才奖励",
            purpose=RewardPurpose.AGENCY_PLACEMENT,
            amounts={"D": "10000"},
            cap_per_enterprise_year=None,
            stages=[[100, 0]],
        ),
    )
    agency = make_agency(world.county_a)
    number = factories.make_id_number("330881", dt.date(1990, 1, 2))
    talent = factories.make_talent(
        world.county_a, id_number=number, tier="D", current_employer=world.enterprise_a
    )
    Employment.objects.create(
        talent=talent,
        enterprise=world.enterprise_a,
        employer_name=world.enterprise_a.name,
        employment_type="full_time",
        started_on=dt.date(2026, 3, 1),
    )
    referral = make_referral(
        agency,
        make_demand(world.enterprise_a, headcount=1),
        make_candidate(world.county_a, id_number=number),
        made=timezone.make_aware(made),
    )

    settle(world)  # confirms the arrivals the registry shows, then settles

    placement = Placement.objects.get(talent=talent, enterprise=world.enterprise_a)
    referral.refresh_from_db()
    agency_rewards = Reward.objects.filter(purpose=RewardPurpose.AGENCY_PLACEMENT, agency=agency)
    if credited:
        assert (placement.channel, placement.referral_id, referral.state) == (
            Channel.REFERRAL,
            referral.pk,
            ReferralState.PLACED,
        )
        assert list(agency_rewards.values_list("amount", flat=True)) == [Decimal("10000")]
        assert _committed(fund) == Decimal("10000")
    else:
        assert (placement.channel, placement.referral_id, referral.state) == (
            Channel.DIRECT,
            None,
            ReferralState.REFERRED,
        )
        assert not agency_rewards.exists() and _committed(fund) == Decimal(0)
    assert ledger.discrepancies() == []
