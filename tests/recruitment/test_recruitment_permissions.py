"""The recruitment rights and scopes on real rows: who sees which demand, agency, referral, lead, placement
and reward scheme, and who may post, review, refer, record leads, manage and settle. The expectations are
written out from the issue (an agency's users see their own referrals only; an enterprise the referrals to
its demands; officers their region), not computed by the code under test."""

import datetime as dt
from decimal import Decimal

import pytest

from rencai.core.access import Action, may, require, restrict, visible_to
from rencai.core.errors import NotFound, PermissionDenied
from rencai.policies.models import Policy
from rencai.recruitment.choices import ReferralState, RewardPurpose
from rencai.recruitment.models import Agency, Demand, Lead, Placement, Referral, RewardScheme, Station
from tests.recruitment.builders import (
    make_agency,
    make_agency_user,
    make_candidate,
    make_demand,
    make_lead,
    make_placement,
    make_referral,
    make_station,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(world):
    """Jiangshan (A) and Longyou (B): a demand of each county's enterprise, an agency per county with one
    login each, the same person referred to both enterprises (once by each agency), a station per county
    with agent A as the Jiangshan station's operator, a lead at each, a placement of each county's talent,
    and reward schemes of the city and of each county."""
    city, a, b = world.regions["330800"], world.county_a, world.county_b
    r: dict = {"demand_a": make_demand(world.enterprise_a), "demand_b": make_demand(world.enterprise_b)}
    r["draft_a"] = make_demand(world.enterprise_a, state="draft", title="江山草稿岗位")
    r["agency_a"] = make_agency(a, name="江山猎头甲")
    r["agency_b"] = make_agency(b, name="龙游猎头乙")
    r["agent_a"] = make_agency_user(r["agency_a"], username="agent_a")
    r["agent_b"] = make_agency_user(r["agency_b"], username="agent_b")
    r["loose_agent"] = make_agency_user(username="agent_none")  # an intermediary login of no agency
    person = make_candidate(a, name="候选人周某")
    r["referral_a"] = make_referral(r["agency_a"], r["demand_a"], person)
    r["referral_b"] = make_referral(r["agency_b"], r["demand_b"], person)
    r["station_a"] = make_station(a, name="江山驻杭州人才工作站", operators=[r["agent_a"]])
    r["station_b"] = make_station(b, name="龙游驻上海人才工作站", city="上海")
    r["lead_a"] = make_lead(make_candidate(a), world.enterprise_a, station=r["station_a"])
    r["lead_b"] = make_lead(make_candidate(b), world.enterprise_b, station=r["station_b"])
    r["placement_a"] = make_placement(world.talent_a, world.enterprise_a)
    r["placement_b"] = make_placement(world.talent_b, world.enterprise_b)
    for key, region in (("scheme_city", city), ("scheme_a", a), ("scheme_b", b)):
        policy = Policy.objects.create(
            code=f"fund-{key}",
            name=f"引才资金{key}",
            region=region,
            kind="reward",
            budget_total=Decimal(10**6),
        )
        r[key] = RewardScheme.objects.create(
            code=f"r-{key}",
            name=f"引才奖励{key}",
            purpose=RewardPurpose.AGENCY_PLACEMENT,
            region=region,
            policy=policy,
            effective_from=dt.date(2026, 1, 1),
            amounts={"D": 20000},
            stages=[[50, 0], [50, 12]],
        )
    return r


def seen(user, model, rows: dict, *keys: str) -> set[str]:
    """The keys among `keys` whose rows `user` sees."""
    visible = set(visible_to(user, model.objects.all()).values_list("pk", flat=True))
    return {key for key in keys if rows[key].pk in visible}


def test_an_agency_user_sees_only_their_own_agencys_referrals_and_agency(world, rows):
    assert seen(rows["agent_a"], Referral, rows, "referral_a", "referral_b") == {"referral_a"}
    assert seen(rows["agent_b"], Referral, rows, "referral_a", "referral_b") == {"referral_b"}
    assert seen(rows["agent_a"], Agency, rows, "agency_a", "agency_b") == {"agency_a"}
    assert seen(rows["loose_agent"], Referral, rows, "referral_a", "referral_b") == set()
    assert seen(rows["loose_agent"], Agency, rows, "agency_a", "agency_b") == set()


def test_an_agency_user_whose_membership_ends_sees_nothing_more(world, rows):
    rows["agent_a"].agency_membership.active = False
    rows["agent_a"].agency_membership.save()

    assert seen(rows["agent_a"], Referral, rows, "referral_a", "referral_b") == set()
    assert seen(rows["agent_a"], Agency, rows, "agency_a", "agency_b") == set()


def test_an_agency_user_sees_no_placement_lead_or_registry_row_by_scope(world, rows):
    agent = rows["agent_a"]
    assert seen(agent, Placement, rows, "placement_a", "placement_b") == set()
    assert seen(agent, Demand, rows, "demand_a", "demand_b", "draft_a") == set()
    assert not visible_to(agent, type(world.talent_a).objects.all()).exists()


def test_an_enterprise_sees_the_referrals_to_its_demands_and_its_own_demands_only(world, rows):
    ent = world.users["enterprise"]
    assert seen(ent, Referral, rows, "referral_a", "referral_b") == {"referral_a"}
    assert seen(ent, Demand, rows, "demand_a", "demand_b", "draft_a") == {"demand_a", "draft_a"}
    assert seen(ent, Placement, rows, "placement_a", "placement_b") == {"placement_a"}
    assert seen(ent, Lead, rows, "lead_a", "lead_b") == {"lead_a"}


def test_officers_see_their_region_and_the_city_sees_all(world, rows):
    county, city = world.users["county_org_dept"], world.users["city_org_dept"]
    every = ("referral_a", "referral_b")
    assert seen(county, Referral, rows, *every) == {"referral_a"}
    assert seen(city, Referral, rows, *every) == set(every)
    assert seen(county, Agency, rows, "agency_a", "agency_b") == {"agency_a"}
    assert seen(county, Station, rows, "station_a", "station_b") == {"station_a"}
    assert seen(county, Placement, rows, "placement_a", "placement_b") == {"placement_a"}
    assert seen(world.users["superuser"], Demand, rows, "demand_a", "demand_b") == {"demand_a", "demand_b"}


def test_a_county_sees_the_city_schemes_and_its_own_but_not_another_countys(world, rows):
    keys = ("scheme_city", "scheme_a", "scheme_b")
    assert seen(world.users["county_org_dept"], RewardScheme, rows, *keys) == {"scheme_city", "scheme_a"}
    assert seen(world.users["city_org_dept"], RewardScheme, rows, *keys) == set(keys)


def test_the_talent_sees_their_own_placement_only(world, rows):
    assert seen(world.users["talent"], Placement, rows, "placement_a", "placement_b") == {"placement_a"}
    assert seen(world.users["talent"], Referral, rows, "referral_a", "referral_b") == set()


def test_only_the_enterprise_posts_its_demands_and_anothers_demand_is_not_found(world, rows):
    ent = world.users["enterprise"]
    assert may(ent, Action.POST_DEMAND, rows["demand_a"])
    with pytest.raises(NotFound):
        require(ent, Action.POST_DEMAND, rows["demand_b"])
    for role in ("city_org_dept", "county_org_dept", "talent", "superuser"):
        assert not may(world.users[role], Action.POST_DEMAND), role
    assert not may(rows["agent_a"], Action.POST_DEMAND)
    assert set(restrict(ent, Demand.objects.all(), Action.POST_DEMAND)) == {rows["demand_a"], rows["draft_a"]}


def test_the_county_reviews_its_own_demands_and_anothers_is_not_found(world, rows):
    county = world.users["county_org_dept"]
    assert may(county, Action.REVIEW_DEMAND, rows["demand_a"])
    with pytest.raises(NotFound):
        require(county, Action.REVIEW_DEMAND, rows["demand_b"])
    assert may(world.users["city_org_dept"], Action.REVIEW_DEMAND, rows["demand_b"])
    with pytest.raises(PermissionDenied):
        require(world.users["enterprise"], Action.REVIEW_DEMAND, rows["demand_a"])


def test_only_agency_users_refer_and_only_within_their_own_referrals(world, rows):
    agent = rows["agent_a"]
    assert may(agent, Action.REFER_CANDIDATE)
    assert may(agent, Action.REFER_CANDIDATE, rows["referral_a"])
    with pytest.raises(NotFound):
        require(agent, Action.REFER_CANDIDATE, rows["referral_b"])
    for role in ("city_org_dept", "county_org_dept", "enterprise", "talent", "superuser"):
        assert not may(world.users[role], Action.REFER_CANDIDATE), role


def test_leads_are_recorded_by_the_stations_operators_and_the_regions_officers(world, rows):
    agent, county = rows["agent_a"], world.users["county_org_dept"]
    assert may(agent, Action.RECORD_LEAD, rows["station_a"])
    with pytest.raises(NotFound):
        require(agent, Action.RECORD_LEAD, rows["station_b"])
    with pytest.raises(NotFound):
        require(rows["agent_b"], Action.RECORD_LEAD, rows["station_a"])  # agency B runs no station
    assert may(county, Action.RECORD_LEAD, rows["station_a"])
    with pytest.raises(NotFound):
        require(county, Action.RECORD_LEAD, rows["station_b"])
    assert may(world.users["city_org_dept"], Action.RECORD_LEAD, rows["station_b"])
    assert not may(world.users["enterprise"], Action.RECORD_LEAD)


def test_agencies_are_managed_in_the_officers_region_only(world, rows):
    county = world.users["county_org_dept"]
    assert may(county, Action.MANAGE_RECRUITMENT, rows["agency_a"])
    with pytest.raises(PermissionDenied):
        require(county, Action.MANAGE_RECRUITMENT, rows["agency_b"])
    assert may(world.users["city_org_dept"], Action.MANAGE_RECRUITMENT, rows["agency_b"])
    for user in (world.users["enterprise"], rows["agent_a"], world.users["department"]):
        assert not may(user, Action.MANAGE_RECRUITMENT)


def test_only_the_city_settles_rewards(world, rows):
    assert may(world.users["city_org_dept"], Action.SETTLE_REWARDS)
    assert may(world.users["superuser"], Action.SETTLE_REWARDS)
    for role in ("county_org_dept", "department", "enterprise", "talent", "reviewer", "provider"):
        assert not may(world.users[role], Action.SETTLE_REWARDS), role
    assert not may(rows["agent_a"], Action.SETTLE_REWARDS)


def test_a_withdrawn_referral_stays_visible_to_its_own_agency_only(world, rows):
    Referral.objects.filter(pk=rows["referral_a"].pk).update(state=ReferralState.WITHDRAWN)

    assert seen(rows["agent_a"], Referral, rows, "referral_a", "referral_b") == {"referral_a"}
    assert seen(rows["agent_b"], Referral, rows, "referral_a", "referral_b") == {"referral_b"}
