"""Placements confirmed by the registry, never by self-report: what the registry lacks is refused with its
reasons; an arrival is attributed to the referral, event, station, project that brought it, else direct;
the run is idempotent, follows registry imports and the daily sweep, and retention follows the registry."""

import datetime as dt

import pytest
from django.utils import timezone

from rencai.core import sweeps
from rencai.core.errors import DomainError, ErrorCode
from rencai.core.models import AuditEntry, Region
from rencai.recruitment.choices import Channel, DemandState, LeadOutcome, PlacementState, ReferralState
from rencai.recruitment.models import Placement
from rencai.recruitment.services.placements import (
    placement_confirm_for,
    placements_confirm,
    placements_review,
)
from rencai.registry.models import Employment, ImportBatch, PlatformMembership, Project, ProjectMember
from tests import factories
from tests.recruitment.builders import (
    make_agency,
    make_candidate,
    make_demand,
    make_event,
    make_lead,
    make_referral,
    make_station,
)

pytestmark = pytest.mark.django_db


def _arrive(region, enterprise, *, id_number=None, started_on=None, **fields):
    """A talent the registry shows employed by `enterprise` since `started_on` (an open employment)."""
    talent = factories.make_talent(region, id_number=id_number, current_employer=enterprise, **fields)
    Employment.objects.create(
        talent=talent,
        enterprise=enterprise,
        employer_name=enterprise.name,
        employment_type="full_time",
        started_on=started_on or timezone.localdate() - dt.timedelta(days=30),
    )
    return talent


def test_the_registry_must_confirm_every_fact_and_the_refusal_lists_what_it_lacks(world):
    hangzhou = Region(code="330100", name="杭州市", level="city", parent=world.regions["330000"])
    hangzhou.save()
    talent = factories.make_talent(hangzhou, current_employer=world.enterprise_b)  # no open employment
    talent.status, talent.departed_on = "departed", dt.date(2026, 5, 1)
    talent.save()

    with pytest.raises(DomainError) as refused:
        placement_confirm_for(
            actor=world.users["city_org_dept"], talent=talent, enterprise=world.enterprise_a
        )

    assert refused.value.code == ErrorCode.NOT_CONFIRMED
    assert {d["field"] for d in refused.value.details} == {"status", "current_employer", "region"}
    assert "已离开衢州" in refused.value.message_zh and "not place the talent in Quzhou" in str(refused.value)
    assert not Placement.objects.exists()

    # the registry's current employer is the fact (an import records no history row): confirmed, dated
    # by the talent's arrival in Quzhou
    talent.status, talent.departed_on, talent.region, talent.current_employer = (
        "active",
        None,
        world.county_a,
        world.enterprise_a,
    )
    talent.save()
    placement = placement_confirm_for(
        actor=world.users["city_org_dept"], talent=talent, enterprise=world.enterprise_a
    )
    assert placement.arrived_on == talent.arrival_date


def test_a_confirmed_direct_arrival_is_placed_once_and_audited(world):
    talent = _arrive(world.county_a, world.enterprise_a, tier="B")
    placement = placement_confirm_for(
        actor=world.users["city_org_dept"], talent=talent, enterprise=world.enterprise_a
    )

    assert (placement.channel, placement.state, placement.tier) == (
        Channel.DIRECT,
        PlacementState.CONFIRMED,
        "B",
    )
    assert placement.arrived_on == talent.employments.get().started_on
    assert AuditEntry.objects.filter(
        action="recruitment.placement.confirm", object_id=str(placement.pk)
    ).exists()
    again = placement_confirm_for(
        actor=world.users["city_org_dept"], talent=talent, enterprise=world.enterprise_a
    )
    assert again.pk == placement.pk and Placement.objects.count() == 1


def test_an_officer_outside_the_region_may_not_confirm(world):
    talent = _arrive(world.county_a, world.enterprise_a)
    outsider = factories.make_user("longyou", "county_org_dept", region=world.county_b)
    with pytest.raises(DomainError):
        placement_confirm_for(actor=outsider, talent=talent, enterprise=world.enterprise_a)
    assert not Placement.objects.exists()


def test_an_enclave_member_living_outside_quzhou_is_confirmed(world):
    hangzhou = Region(code="330100", name="杭州市", level="city", parent=world.regions["330000"])
    hangzhou.save()
    talent = _arrive(hangzhou, world.enterprise_a)
    with pytest.raises(DomainError):
        placement_confirm_for(
            actor=world.users["city_org_dept"], talent=talent, enterprise=world.enterprise_a
        )
    PlatformMembership.objects.create(
        talent=talent, platform=world.platform_b, joined_on=dt.date(2026, 1, 1)
    )  # Longyou's Hangzhou enclave
    placement = placement_confirm_for(
        actor=world.users["city_org_dept"], talent=talent, enterprise=world.enterprise_a
    )
    assert placement.state == PlacementState.CONFIRMED


def test_a_live_referral_wins_the_attribution_and_the_demand_counts_the_arrival(world):
    number = factories.make_id_number("330881", dt.date(1988, 4, 2))
    demand = make_demand(world.enterprise_a, headcount=1)
    agency = make_agency(world.county_a)
    candidate = make_candidate(world.county_a, id_number=number)
    referral = make_referral(agency, demand, candidate)
    station = make_station(world.county_a)
    make_lead(candidate, world.enterprise_a, station=station)  # a lead as well: the referral comes first
    talent = _arrive(world.county_a, world.enterprise_a, id_number=number)

    report = placements_confirm()

    placement = Placement.objects.get(talent=talent)
    assert (report.created, report.by_channel) == (1, {Channel.REFERRAL: 1})
    assert (placement.channel, placement.referral_id, placement.demand_id) == (
        Channel.REFERRAL,
        referral.pk,
        demand.pk,
    )
    referral.refresh_from_db()
    demand.refresh_from_db()
    assert referral.state == ReferralState.PLACED
    assert (demand.filled, demand.state) == (1, DemandState.FILLED)
    # idempotent: the second run finds the pair placed
    assert placements_confirm().created == 0 and Placement.objects.count() == 1


@pytest.mark.parametrize("source", ["event", "station"])
def test_a_lead_from_an_event_or_a_station_is_the_channel_when_no_referral(world, source):
    number = factories.make_id_number("330881", dt.date(1990, 6, 9))
    candidate = make_candidate(world.county_a, id_number=number)
    station = make_station(world.county_a)
    origin = (
        {"event": make_event(world.county_a, station=station)} if source == "event" else {"station": station}
    )
    lead = make_lead(candidate, world.enterprise_a, **origin)
    _arrive(world.county_a, world.enterprise_a, id_number=number)

    placements_confirm()

    placement = Placement.objects.get(enterprise=world.enterprise_a, lead=lead)
    assert placement.channel == (Channel.EVENT if source == "event" else Channel.STATION)
    lead.refresh_from_db()
    assert lead.outcome == LeadOutcome.HIRED


def test_a_project_member_is_attributed_to_the_project_and_others_are_direct(world):
    lead_talent = _arrive(world.county_a, world.enterprise_a, tier="A")
    project = Project.objects.create(
        name="高端膜材料项目",
        region=world.county_a,
        lead=lead_talent,
        company=world.enterprise_a,
        industry="new_materials",
        landed_on=dt.date(2026, 1, 1),
    )
    ProjectMember.objects.create(
        project=project, talent=lead_talent, role="带头人", joined_on=dt.date(2026, 1, 1)
    )
    direct = _arrive(world.county_b, world.enterprise_b)
    # employment that began years ago is history, not an arrival
    _arrive(world.county_b, world.enterprise_b, started_on=dt.date(2015, 1, 1))

    report = placements_confirm()

    assert report.created == 2
    assert Placement.objects.get(talent=lead_talent).channel == Channel.PROJECT
    assert Placement.objects.get(talent=lead_talent).project_id == project.pk
    assert Placement.objects.get(talent=direct).channel == Channel.DIRECT


def test_a_referral_whose_person_works_elsewhere_is_not_placed(world):
    number = factories.make_id_number("330881", dt.date(1987, 2, 2))
    demand = make_demand(world.enterprise_a)
    make_referral(make_agency(world.county_a), demand, make_candidate(world.county_a, id_number=number))
    factories.make_talent(world.county_a, id_number=number, current_employer=world.enterprise_b)

    report = placements_confirm()

    assert report.created == 0 and not Placement.objects.filter(enterprise=world.enterprise_a).exists()


def test_a_registry_import_and_the_daily_sweep_confirm_the_arrivals(
    world, django_capture_on_commit_callbacks
):
    talent = _arrive(world.county_a, world.enterprise_a)
    with django_capture_on_commit_callbacks(execute=True):
        ImportBatch.objects.create(
            kind="talents",
            file_name="talents.xlsx",
            file_sha256="0" * 64,
            region=world.county_a,
            uploaded_by=world.users["county_org_dept"],
            outcome="applied",
        )
    assert Placement.objects.filter(talent=talent).exists()

    other = _arrive(world.county_b, world.enterprise_b)
    assert "recruitment_placements" in sweeps.registered()
    result = sweeps.run_all(timezone.localdate())["recruitment_placements"]
    assert result["created"] == 1 and Placement.objects.filter(talent=other).exists()


def test_review_marks_leavers_by_the_registry_and_retains_who_stayed(world):
    today = timezone.localdate()
    stays = _arrive(world.county_a, world.enterprise_a, started_on=today - dt.timedelta(days=400))
    departs = _arrive(world.county_a, world.enterprise_a)
    moves = _arrive(world.county_b, world.enterprise_b)
    young = _arrive(world.county_a, world.enterprise_a)
    placements_confirm()
    assert (
        Placement.objects.filter(state=PlacementState.CONFIRMED).count() == 3
    )  # `stays` arrived too long ago
    placement_confirm_for(actor=world.users["city_org_dept"], talent=stays, enterprise=world.enterprise_a)

    departs.status, departs.departed_on = "departed", today - dt.timedelta(days=3)
    departs.save()
    Employment.objects.filter(talent=moves).update(ended_on=today - dt.timedelta(days=1))
    moves.current_employer = world.enterprise_a
    moves.save()

    report = placements_review(today)

    states = dict(Placement.objects.values_list("talent_id", "state"))
    assert report == {"left_early": 2, "retained": 1}
    assert states[stays.pk] == PlacementState.RETAINED and states[young.pk] == PlacementState.CONFIRMED
    assert states[departs.pk] == states[moves.pk] == PlacementState.LEFT_EARLY
    assert Placement.objects.get(talent=departs).left_on == today - dt.timedelta(days=3)
    assert Placement.objects.get(talent=moves).left_on == today - dt.timedelta(days=1)
    assert placements_review(today) == {"left_early": 0, "retained": 0}
