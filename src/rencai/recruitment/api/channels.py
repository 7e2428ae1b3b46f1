"""API routes of stations, events, candidates' registration and leads (/api/recruitment/…): reads scoped
to the caller; writes through `services.channels`. Candidates' ID numbers and phones leave masked only."""

import datetime as dt

from ninja import Field, Router, Schema, Status

from rencai.core.errors import NotFound
from rencai.core.pagination import window
from rencai.core.schemas import CONFLICT, NOT_FOUND, REFUSED, Id, Limit, Note, Offset, errors
from rencai.recruitment import selectors
from rencai.recruitment.models import Demand, EventRegistration
from rencai.recruitment.services import channels as service
from rencai.registry.models import Enterprise

router = Router()

READ = errors(NOT_FOUND)
WRITE = errors(REFUSED, NOT_FOUND, CONFLICT)


class StationOut(Schema):
    id: int
    name: str
    city: str
    region_code: str = Field(..., alias="region.code")
    opened_on: dt.date
    active: bool


class EventOut(Schema):
    id: int
    name: str
    held_on: dt.date
    place: str
    region_code: str = Field(..., alias="region.code")
    station_id: int | None
    enterprise_ids: list[int]
    demand_ids: list[int]

    @staticmethod
    def resolve_enterprise_ids(event) -> list[int]:
        return sorted(event.enterprises.values_list("pk", flat=True))

    @staticmethod
    def resolve_demand_ids(event) -> list[int]:
        return sorted(event.demands.values_list("pk", flat=True))


class CandidateOut(Schema):
    id: int
    name: str
    id_number_masked: str
    phone_masked: str
    degree: str
    field: str


class RegistrationIn(Schema):
    name: str
    id_number: str
    phone: str
    degree: str = ""
    field: str = ""
    consent: bool = False


class RegistrationOut(Schema):
    id: int
    event_id: int
    candidate: CandidateOut
    attended: bool


class AttendanceIn(Schema):
    attended: bool


class LeadIn(Schema):
    candidate_id: Id
    enterprise_id: Id
    event_id: Id | None = None
    station_id: Id | None = None
    demand_id: Id | None = None
    note: Note = ""


class LeadOut(Schema):
    id: int
    candidate: CandidateOut
    enterprise_id: int
    demand_id: int | None
    event_id: int | None
    station_id: int | None
    outcome: str
    note: str
    updated_at: dt.datetime


class OutcomeIn(Schema):
    outcome: str
    note: Note = ""


@router.get("/stations", response={200: list[StationOut], **READ}, summary="人才工作站 / Stations")
def list_stations(request, limit: Limit = 50, offset: Offset = 0):
    return window(selectors.stations_for(request.auth).order_by("pk"), limit=limit, offset=offset)


@router.get("/events", response={200: list[EventOut], **READ}, summary="推介会 / Events")
def list_events(request, limit: Limit = 50, offset: Offset = 0):
    return window(selectors.events_for(request.auth), limit=limit, offset=offset)


@router.post(
    "/events/{event_id}/registrations",
    response={201: RegistrationOut, 200: RegistrationOut, **WRITE},
    summary="登记推介会候选人 / Register a candidate for an event",
)
def register_candidate(request, event_id: Id, payload: RegistrationIn):
    """An officer or the station's operator registers a candidate (consent required); registering the same
    person again answers the same registration (200)."""
    event = selectors.get_event(request.auth, event_id)
    existing = set(event.registrations.values_list("pk", flat=True))
    registration = service.candidate_register(actor=request.auth, event=event, data=payload.dict())
    return Status(200 if registration.pk in existing else 201, registration)


@router.post(
    "/registrations/{registration_id}/attendance",
    response={200: RegistrationOut, **WRITE},
    summary="记录到场 / Record attendance",
)
def record_attendance(request, registration_id: Id, payload: AttendanceIn):
    events = selectors.events_for(request.auth)
    registration = (
        EventRegistration.objects.filter(pk=registration_id, event__in=events).select_related("event").first()
    )
    if registration is None:
        raise NotFound()
    return service.attendance_record(actor=request.auth, registration=registration, attended=payload.attended)


@router.get("/leads", response={200: list[LeadOut], **READ}, summary="引才线索 / Leads")
def list_leads(request, outcome: str = "", limit: Limit = 50, offset: Offset = 0):
    return window(selectors.leads_for(request.auth, outcome=outcome), limit=limit, offset=offset)


@router.post("/leads", response={201: LeadOut, **WRITE}, summary="登记线索 / Record a lead")
def record_lead(request, payload: LeadIn):
    user = request.auth
    candidate = selectors.get_candidate(user, payload.candidate_id)
    event = selectors.get_event(user, payload.event_id) if payload.event_id else None
    station = selectors.get_station(user, payload.station_id) if payload.station_id else None
    enterprise = Enterprise.objects.filter(pk=payload.enterprise_id).first()
    demand = Demand.objects.filter(pk=payload.demand_id).first() if payload.demand_id else None
    if enterprise is None or (payload.demand_id and demand is None):
        raise NotFound()
    lead = service.lead_record(
        actor=user,
        candidate=candidate,
        enterprise=enterprise,
        event=event,
        station=station,
        demand=demand,
        note=payload.note,
    )
    return Status(201, lead)


@router.post(
    "/leads/{lead_id}/outcome", response={200: LeadOut, **WRITE}, summary="线索结果 / A lead's outcome"
)
def lead_outcome(request, lead_id: Id, payload: OutcomeIn):
    lead = selectors.get_lead(request.auth, lead_id)
    return service.lead_update_outcome(
        actor=request.auth, lead=lead, outcome=payload.outcome, note=payload.note
    )
