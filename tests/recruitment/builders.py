"""Builders for recruitment tests: demands, stations, events, candidates, leads, agencies, referrals and
placements in a given state.

They write rows directly (the services under test are exercised by the tests themselves). Other parts of
the app extend this module with their own builders; keep each one short and keyword-driven.
"""

import datetime as dt
import itertools

from django.utils import timezone

from rencai.core.pii import seal_id_number, seal_phone
from rencai.recruitment.choices import (
    Channel,
    DemandState,
    LeadOutcome,
    PlacementState,
    ReferralState,
)
from rencai.recruitment.models import (
    Agency,
    AgencyMember,
    Candidate,
    Demand,
    Event,
    EventRegistration,
    Lead,
    Placement,
    Referral,
    Station,
)
from tests import factories

TODAY = dt.date(2026, 12, 7)  # a Monday
_counter = itertools.count(1)


def make_demand(enterprise, *, state: str = DemandState.PUBLISHED, **fields) -> Demand:
    """A demand of `enterprise` in `state` (published by default, expiring in three months)."""
    values = {
        "enterprise": enterprise,
        "region": enterprise.region,
        "title": f"研发工程师{next(_counter)}",
        "team": "professional",
        "tier_sought": "D",
        "degree": "master",
        "field": "electronics",
        "headcount": 2,
        "salary_min": 200_000,
        "salary_max": 300_000,
        "expires_on": timezone.localdate() + dt.timedelta(days=90),
        "state": state,
    }
    if state == DemandState.PUBLISHED:
        values["published_at"] = timezone.now()
    values.update(fields)
    return Demand.objects.create(**values)


def make_station(region, *, operators=(), **fields) -> Station:
    values = {
        "name": fields.pop("name", f"衢州驻杭州人才工作站{next(_counter)}"),
        "city": "杭州",
        "region": region,
        "opened_on": dt.date(2025, 3, 1),
    }
    values.update(fields)
    station = Station.objects.create(**values)
    station.operators.set(operators)
    return station


def make_event(region, *, station=None, enterprises=(), demands=(), **fields) -> Event:
    values = {
        "name": fields.pop("name", f"衢州人才推介会{next(_counter)}"),
        "region": region,
        "station": station,
        "held_on": fields.pop("held_on", timezone.localdate() + dt.timedelta(days=14)),
        "place": "杭州国际博览中心",
    }
    values.update(fields)
    event = Event.objects.create(**values)
    event.enterprises.set(enterprises)
    event.demands.set(demands)
    return event


def make_candidate(
    region, *, name: str | None = None, id_number: str | None = None, phone: str = "13900001234", **fields
) -> Candidate:
    """A candidate with sealed contact data (a fresh valid ID number unless one is given)."""
    sealed = seal_id_number(id_number or factories.make_id_number(region.code))
    sealed_phone = seal_phone(phone) if phone else None
    return Candidate.objects.create(
        name=name or f"候选人{next(_counter)}",
        id_number_ciphertext=sealed.ciphertext,
        id_number_index=sealed.index,
        id_number_masked=sealed.masked,
        phone_ciphertext=sealed_phone.ciphertext if sealed_phone else "",
        phone_masked=sealed_phone.masked if sealed_phone else "",
        region=region,
        degree=fields.pop("degree", "master"),
        field=fields.pop("field", "electronics"),
        **fields,
    )


def make_registration(event: Event, candidate: Candidate, *, attended: bool = False) -> EventRegistration:
    return EventRegistration.objects.create(event=event, candidate=candidate, attended=attended)


def make_lead(candidate: Candidate, enterprise, *, event=None, station=None, **fields) -> Lead:
    """A lead from `event` (or `station`); one of them is required by the database."""
    made = fields.pop("made", ninety_days_ago())
    lead = Lead.objects.create(
        candidate=candidate,
        enterprise=enterprise,
        event=event,
        station=station,
        region=fields.pop("region", (event or station).region),
        outcome=fields.pop("outcome", LeadOutcome.NEW),
        **fields,
    )
    return _made_at(lead, made)


def make_agency(region, *, users=(), **fields) -> Agency:
    """An agency under contract for 2026 with `users` (intermediary accounts) as its active members."""
    values = {
        "name": fields.pop("name", f"测试人力资源服务公司{next(_counter)}"),
        "credit_code": factories.make_credit_code(),
        "region": region,
        "contract_starts": dt.date(2026, 1, 1),
        "contract_ends": dt.date(2026, 12, 31),
        "fee_schedule": {"A": 200000, "B": 100000, "C": 50000, "D": 20000, "E": 5000},
        "target_count": 10,
    }
    values.update(fields)
    agency = Agency.objects.create(**values)
    for user in users:
        AgencyMember.objects.create(agency=agency, user=user)
    return agency


def make_agency_user(agency: Agency | None = None, *, username: str | None = None):
    """An intermediary login, a member of `agency` when one is given."""
    user = factories.make_user(username or f"agent{next(_counter)}", "intermediary")
    if agency is not None:
        AgencyMember.objects.create(agency=agency, user=user)
    return user


def make_referral(
    agency: Agency, demand: Demand, candidate: Candidate, *, state: str = ReferralState.REFERRED, **fields
) -> Referral:
    made = fields.pop("made", ninety_days_ago())
    referral = Referral.objects.create(
        agency=agency,
        demand=demand,
        enterprise=demand.enterprise,
        region=demand.region,
        candidate=candidate,
        person_index=candidate.id_number_index,
        consent_at=fields.pop("consent_at", made),
        consent_statement=fields.pop("consent_statement", "本人同意由该机构推荐并向用人单位提供本人信息。"),
        state=state,
        **fields,
    )
    return _made_at(referral, made)


def ninety_days_ago() -> dt.datetime:
    """When builders' referrals and leads were made by default: ninety days ago, before the arrivals the
    tests build (thirty days ago), since only a referral or lead made before the arrival is credited."""
    return timezone.now() - dt.timedelta(days=90)


def _made_at(row, made: dt.datetime):
    """Date a referral or lead as made at `made` (created_at is set on insert)."""
    type(row).objects.filter(pk=row.pk).update(created_at=made)
    row.created_at = made
    return row


def make_placement(
    talent,
    enterprise,
    *,
    channel: str = Channel.DIRECT,
    state: str = PlacementState.CONFIRMED,
    arrived_on: dt.date = dt.date(2026, 3, 1),
    **fields,
) -> Placement:
    return Placement.objects.create(
        talent=talent,
        enterprise=enterprise,
        region=fields.pop("region", enterprise.region),
        channel=channel,
        state=state,
        arrived_on=arrived_on,
        confirmed_on=fields.pop("confirmed_on", arrived_on if state != PlacementState.PENDING else None),
        tier=fields.pop("tier", talent.tier or ""),
        **fields,
    )
