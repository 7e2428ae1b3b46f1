"""Reads of recruitment, each scoped to the user who reads (out of scope: 404).

A county officer sees its county's demands, stations, events, candidates and leads, the city all; an
enterprise its own demands and leads; a station's operators its events and leads; the public only
published demands that have not run out. Other parts of the app append their own readers below.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core.access import Action, may, restrict, visible_to
from rencai.core.errors import NotFound
from rencai.recruitment.choices import DemandState
from rencai.recruitment.models import Candidate, Demand, Event, EventRegistration, Lead, Station
from rencai.registry.models import Enterprise

# At most this many results of a public search are counted and paged (a person narrows the search rather
# than page past a thousand); counting every match of a broad search would read the whole table.
SEARCH_RESULTS_SHOWN = 1000

# -- demands ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemandFilters:
    """What the public search filters by; empty means any."""

    field: str = ""
    team: str = ""
    tier: str = ""
    degree: str = ""
    place: str = ""
    work_mode: str = ""
    region: str = ""  # a county's code: its enterprises' demands
    salary: int | None = None  # the lowest yearly salary wanted: demands that may pay at least that
    q: str = ""


def public_demands(filters: DemandFilters = DemandFilters()) -> QuerySet[Demand]:
    """Published demands that have not run out, newest first, filtered. The partial index of published
    demands by publication time serves every search: PostgreSQL reads it in order, filtering, until the page
    (or the capped count, `SEARCH_RESULTS_SHOWN`) is full."""
    rows = Demand.objects.filter(state=DemandState.PUBLISHED, expires_on__gte=timezone.localdate())
    exact = {
        "field": filters.field,
        "team": filters.team,
        "tier_sought": filters.tier,
        "degree": filters.degree,
        "place": filters.place,
        "work_mode": filters.work_mode,
        "region__code": filters.region,
    }
    rows = rows.filter(**{name: value for name, value in exact.items() if value})
    if filters.salary is not None:
        rows = rows.filter(salary_max__gte=filters.salary)
    if filters.q.strip():
        word = filters.q.strip()
        # the enterprises by name first (a few thousand rows), so the demands are still read in index order
        named = Enterprise.objects.filter(name__icontains=word).values("pk")
        rows = rows.filter(Q(title__icontains=word) | Q(enterprise_id__in=named))
    return rows.select_related("enterprise", "region").order_by("-published_at", "-pk")


def public_demand(pk: int) -> Demand:
    demand = public_demands().filter(pk=pk).first()
    if demand is None:
        raise NotFound()
    return demand


def demands_for(user: User, *, state: str = "") -> QuerySet[Demand]:
    """The demands the user sees: an enterprise its own, an officer its region's."""
    rows = visible_to(user, Demand.objects.select_related("enterprise", "region"))
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-updated_at", "-pk")


def get_demand(user: User, pk: int) -> Demand:
    demand = demands_for(user).filter(pk=pk).first()
    if demand is None:
        raise NotFound()
    return demand


def review_queue(user: User) -> QuerySet[Demand]:
    """Submitted demands waiting for the user's review (their county's), the oldest first."""
    rows = restrict(user, Demand.objects.filter(state=DemandState.SUBMITTED), Action.REVIEW_DEMAND)
    return rows.select_related("enterprise", "region").order_by("updated_at", "pk")


# -- stations, events, candidates, leads --------------------------------------------------------------------


def _operated(user: User) -> Q:
    return Q(operators=user) if user.is_authenticated else Q(pk__in=[])


def stations_for(user: User) -> QuerySet[Station]:
    """Stations of the user's region, and those the user operates."""
    visible = visible_to(user, Station.objects.all()).values("pk")
    operated = Station.objects.filter(_operated(user)).values("pk")
    return Station.objects.filter(Q(pk__in=visible) | Q(pk__in=operated)).select_related("region")


def get_station(user: User, pk: int) -> Station:
    station = stations_for(user).filter(pk=pk).first()
    if station is None:
        raise NotFound()
    return station


def events_for(user: User) -> QuerySet[Event]:
    """Events of the user's region, those of the stations the user operates, and those carrying the user's
    enterprise."""
    visible = visible_to(user, Event.objects.all()).values("pk")
    operated = Event.objects.filter(station__in=stations_for(user).filter(_operated(user))).values("pk")
    carried = (
        Event.objects.filter(enterprises=user.enterprise_id).values("pk")
        if user.is_authenticated and user.enterprise_id
        else Event.objects.none().values("pk")
    )
    rows = Event.objects.filter(Q(pk__in=visible) | Q(pk__in=operated) | Q(pk__in=carried))
    return rows.select_related("region", "station").order_by("-held_on", "pk")


def get_event(user: User, pk: int) -> Event:
    event = events_for(user).filter(pk=pk).first()
    if event is None:
        raise NotFound()
    return event


def upcoming_events() -> QuerySet[Event]:
    """Events open for public registration: today or later, the soonest first."""
    return (
        Event.objects.filter(held_on__gte=timezone.localdate())
        .select_related("region", "station")
        .order_by("held_on", "pk")
    )


def public_event(pk: int) -> Event:
    event = upcoming_events().filter(pk=pk).first()
    if event is None:
        raise NotFound()
    return event


def registrations_of(user: User, event: Event) -> QuerySet[EventRegistration]:
    """An event's registrations, for those who record its attendance (others see none)."""
    if not may(user, Action.RECORD_LEAD, event):
        return EventRegistration.objects.none()
    return event.registrations.select_related("candidate").order_by("candidate__name", "pk")


def candidates_for(user: User, *, q: str = "") -> QuerySet[Candidate]:
    """Candidates registered in the user's region, or met at the events and stations the user operates."""
    visible = visible_to(user, Candidate.objects.all()).values("pk")
    events = events_for(user).filter(station__in=Station.objects.filter(_operated(user)))
    met = Candidate.objects.filter(registrations__event__in=events).values("pk")
    rows = Candidate.objects.filter(Q(pk__in=visible) | Q(pk__in=met))
    if q.strip():
        rows = rows.filter(name__icontains=q.strip())
    return rows.select_related("region").order_by("-created_at", "-pk")


def get_candidate(user: User, pk: int) -> Candidate:
    candidate = candidates_for(user).filter(pk=pk).first()
    if candidate is None:
        raise NotFound()
    return candidate


def leads_for(user: User, *, outcome: str = "") -> QuerySet[Lead]:
    """Leads of the user's region or enterprise, and those of the stations the user operates (directly
    or through the station's events)."""
    visible = visible_to(user, Lead.objects.all()).values("pk")
    operated_stations = Station.objects.filter(_operated(user))
    operated = Lead.objects.filter(
        Q(station__in=operated_stations) | Q(event__station__in=operated_stations)
    ).values("pk")
    rows = Lead.objects.filter(Q(pk__in=visible) | Q(pk__in=operated))
    if outcome:
        rows = rows.filter(outcome=outcome)
    return rows.select_related("candidate", "enterprise", "event", "station", "demand").order_by(
        "-updated_at", "-pk"
    )


def get_lead(user: User, pk: int) -> Lead:
    lead = leads_for(user).filter(pk=pk).first()
    if lead is None:
        raise NotFound()
    return lead
