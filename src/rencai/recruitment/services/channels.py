"""Recruiting stations (人才工作站), promotion events (推介会), the candidates who register for them, their
attendance, and the leads that come out of them with their outcomes.

A candidate's ID number and phone are sealed like a talent's (ciphertext, blind index, mask); one
candidate per person (the blind index is unique), so registering again for another event finds the same
candidate and never lets a stranger overwrite their contact data. Consent to be contacted is required and
recorded, with its time, in the registration's audit entry.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.errors import DomainError, ErrorCode, Problem, ValidationFailed, problem
from rencai.core.models import Region
from rencai.core.pii import id_number_index, seal_id_number, seal_phone
from rencai.core.validators import InvalidValue, parse_id_number, validate_phone
from rencai.recruitment.choices import DemandState, LeadOutcome
from rencai.recruitment.models import Candidate, Demand, Event, EventRegistration, Lead, Station
from rencai.registry.choices import Degree, Industry
from rencai.registry.models import Enterprise

MAX_NAME = 100
MAX_TEXT = 2000
CONSENT_STATEMENT = "本人同意衢州市人才工作部门及参会用人单位就招聘事宜与本人联系。"


def _text(data: Mapping[str, Any], name: str) -> str:
    return str(data.get(name) or "").strip()


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _required(data: Mapping[str, Any], fields: Iterable[tuple[str, str, str]]) -> list[Problem]:
    return [
        problem(name, f"请填写{zh}", f"Give the {en}") for name, zh, en in fields if not _text(data, name)
    ]


# -- stations -----------------------------------------------------------------------------------------------


def _station_values(data: Mapping[str, Any]) -> tuple[dict, list[Problem]]:
    problems = _required(data, (("name", "工作站名称", "station's name"), ("city", "所在城市", "city")))
    opened_on = _date(data.get("opened_on"))
    if opened_on is None:
        problems.append(problem("opened_on", "请填写设立日期", "Give the date the station opened"))
    values = {
        "name": _text(data, "name")[:200],
        "city": _text(data, "city")[:50],
        "address": _text(data, "address")[:200],
        "opened_on": opened_on,
        "active": bool(data.get("active", True)),
    }
    return values, problems


@transaction.atomic
def station_create(*, actor: User, region: Region, data: Mapping[str, Any], operators=()) -> Station:
    """A recruiting station of `region` (the officer's own) with its operators."""
    require(actor, Action.MANAGE_RECRUITMENT, Station(region=region))
    values, problems = _station_values(data)
    if problems:
        raise ValidationFailed(problems)
    station = Station.objects.create(region=region, **values)
    station.operators.set(operators)
    audit.record_creation(
        actor=actor,
        action="recruitment.station.create",
        obj=station,
        detail={"operators": sorted(u.pk for u in operators)},
    )
    return station


@transaction.atomic
def station_update(*, actor: User, station: Station, data: Mapping[str, Any], operators=None) -> Station:
    """Change a station; `operators` (when given) replaces its operators."""
    require(actor, Action.MANAGE_RECRUITMENT, station)
    station = Station.objects.select_for_update().get(pk=station.pk)
    values, problems = _station_values(data)
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(station)
    old_operators = sorted(station.operators.values_list("pk", flat=True))
    for name, value in values.items():
        setattr(station, name, value)
    station.save()
    if operators is not None:
        station.operators.set(operators)
    audit.record_change(
        actor=actor,
        action="recruitment.station.update",
        obj=station,
        before=before,
        detail={
            "operators_before": old_operators,
            "operators": sorted(station.operators.values_list("pk", flat=True)),
        },
    )
    return station


# -- events -------------------------------------------------------------------------------------------------


def _event_values(data: Mapping[str, Any], demands: Iterable[Demand]) -> tuple[dict, list[Problem]]:
    problems = _required(data, (("name", "活动名称", "event's name"), ("place", "举办地点", "place")))
    held_on = _date(data.get("held_on"))
    if held_on is None:
        problems.append(problem("held_on", "请填写举办日期", "Give the date of the event"))
    for demand in demands:
        if demand.state != DemandState.PUBLISHED:
            problems.append(
                problem(
                    "demands",
                    f"需求“{demand.title}”尚未发布，不能在推介会上发布",
                    f"The demand “{demand.title}” is not published and cannot be carried",
                )
            )
    values = {"name": _text(data, "name")[:200], "place": _text(data, "place")[:200], "held_on": held_on}
    return values, problems


@transaction.atomic
def event_create(
    *,
    actor: User,
    region: Region,
    data: Mapping[str, Any],
    station: Station | None = None,
    enterprises: Iterable[Enterprise] = (),
    demands: Iterable[Demand] = (),
) -> Event:
    """A promotion event of `region` (run by `station`, if any) carrying `enterprises` and published
    `demands` (the demands' enterprises are carried too)."""
    require(actor, Action.MANAGE_RECRUITMENT, Event(region=region))
    demands, enterprises = list(demands), list(enterprises)
    values, problems = _event_values(data, demands)
    if problems:
        raise ValidationFailed(problems)
    event = Event.objects.create(region=region, station=station, **values)
    event.demands.set(demands)
    event.enterprises.set({*enterprises, *(d.enterprise for d in demands)})
    audit.record_creation(
        actor=actor,
        action="recruitment.event.create",
        obj=event,
        detail={
            "enterprises": sorted(event.enterprises.values_list("pk", flat=True)),
            "demands": sorted(d.pk for d in demands),
        },
    )
    return event


@transaction.atomic
def event_update(
    *,
    actor: User,
    event: Event,
    data: Mapping[str, Any],
    enterprises: Iterable[Enterprise] = (),
    demands: Iterable[Demand] = (),
) -> Event:
    require(actor, Action.MANAGE_RECRUITMENT, event)
    event = Event.objects.select_for_update().get(pk=event.pk)
    demands, enterprises = list(demands), list(enterprises)
    values, problems = _event_values(data, demands)
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(event)
    for name, value in values.items():
        setattr(event, name, value)
    event.save()
    event.demands.set(demands)
    event.enterprises.set({*enterprises, *(d.enterprise for d in demands)})
    audit.record_change(
        actor=actor,
        action="recruitment.event.update",
        obj=event,
        before=before,
        detail={
            "enterprises": sorted(event.enterprises.values_list("pk", flat=True)),
            "demands": sorted(d.pk for d in demands),
        },
    )
    return event


# -- candidates and registration ----------------------------------------------------------------------------


def clean_candidate(data: Mapping[str, Any]) -> tuple[dict, list[Problem]]:
    """Name, ID number (GB 11643), phone, degree and field of a candidate, and every problem with them."""
    problems = _required(data, (("name", "姓名", "name"),))
    if len(_text(data, "name")) > MAX_NAME:
        problems.append(
            problem("name", f"姓名最多{MAX_NAME}字", f"The name has at most {MAX_NAME} characters")
        )
    number = _text(data, "id_number").upper()
    phone = ""
    try:
        parse_id_number(number)
    except InvalidValue as error:
        problems.append(problem("id_number", error.zh, error.en))
    try:
        phone = validate_phone(_text(data, "phone"))
    except InvalidValue as error:
        problems.append(problem("phone", error.zh, error.en))
    degree, field = _text(data, "degree"), _text(data, "field")
    if degree and degree not in Degree.values:
        problems.append(problem("degree", "请选择学历", "Choose the degree"))
    if field and field not in Industry.values:
        problems.append(problem("field", "请选择专业领域", "Choose the field"))
    if not data.get("consent"):
        problems.append(
            problem("consent", "须经本人同意方可登记联系方式", "The candidate must consent to be contacted")
        )
    values = {
        "name": _text(data, "name"),
        "id_number": number,
        "phone": phone,
        "degree": degree,
        "field": field,
    }
    return values, problems


def _candidate_for(values: dict, region: Region) -> tuple[Candidate, bool]:
    """The candidate with this ID number (one per person), or a new one with sealed contact data."""
    index = id_number_index(values["id_number"])
    existing = Candidate.objects.filter(id_number_index=index).first()
    if existing is not None:
        return existing, False
    sealed, sealed_phone = seal_id_number(values["id_number"]), seal_phone(values["phone"])
    try:
        with transaction.atomic():
            candidate = Candidate.objects.create(
                name=values["name"],
                id_number_ciphertext=sealed.ciphertext,
                id_number_index=sealed.index,
                id_number_masked=sealed.masked,
                phone_ciphertext=sealed_phone.ciphertext,
                phone_masked=sealed_phone.masked,
                degree=values["degree"],
                field=values["field"],
                region=region,
            )
    except IntegrityError:  # registered at the same moment elsewhere: the first one stands
        return Candidate.objects.get(id_number_index=index), False
    return candidate, True


@transaction.atomic
def candidate_register(*, actor: User | None, event: Event, data: Mapping[str, Any]) -> EventRegistration:
    """Register a candidate for `event`: by themselves on the public form (`actor` None, before the day),
    or by an officer or the station's operator. Registering twice gives the same registration."""
    if actor is not None:
        require(actor, Action.RECORD_LEAD, event)
    elif event.held_on < timezone.localdate():
        raise DomainError(
            ErrorCode.DEADLINE_PASSED,
            "推介会已结束，不能再报名",
            "The event is over; registration has closed",
        )
    values, problems = clean_candidate(data)
    if problems:
        raise ValidationFailed(problems)
    candidate, created = _candidate_for(values, event.region)
    if created:
        audit.record_creation(actor=actor, action="recruitment.candidate.create", obj=candidate)
    registration, new = EventRegistration.objects.get_or_create(event=event, candidate=candidate)
    if new:
        audit.record_creation(
            actor=actor,
            action="recruitment.event.register",
            obj=registration,
            detail={
                "consent_statement": CONSENT_STATEMENT,
                "consent_at": timezone.now().isoformat(),
                "self_registered": actor is None,
            },
        )
    return registration


@transaction.atomic
def attendance_record(*, actor: User, registration: EventRegistration, attended: bool) -> EventRegistration:
    """Record whether a registered candidate came to the event."""
    require(actor, Action.RECORD_LEAD, registration.event)
    registration = EventRegistration.objects.select_for_update().get(pk=registration.pk)
    before = audit.snapshot(registration)
    registration.attended = attended
    registration.save(update_fields=["attended"])
    audit.record_change(actor=actor, action="recruitment.event.attendance", obj=registration, before=before)
    return registration


# -- leads --------------------------------------------------------------------------------------------------


@transaction.atomic
def lead_record(
    *,
    actor: User,
    candidate: Candidate,
    enterprise: Enterprise,
    event: Event | None = None,
    station: Station | None = None,
    demand: Demand | None = None,
    note: str = "",
) -> Lead:
    """A lead: `candidate` is interested in `enterprise` (or one of its demands), met at `event` or by
    `station`. The officer of the source's region, or the station's operator, records it."""
    source = event or station
    if source is None:
        raise ValidationFailed(
            [
                problem(
                    "source",
                    "请选择线索来源（推介会或工作站）",
                    "Choose where the lead came from: an event or a station",
                )
            ]
        )
    require(actor, Action.RECORD_LEAD, source)
    problems = []
    if demand is not None and demand.enterprise_id != enterprise.pk:
        problems.append(
            problem("demand", "所选需求不属于该用人单位", "The demand chosen is not the enterprise's")
        )
    if len(note) > MAX_TEXT:
        problems.append(
            problem("note", f"备注最多{MAX_TEXT}字", f"The note has at most {MAX_TEXT} characters")
        )
    if problems:
        raise ValidationFailed(problems)
    lead = Lead.objects.create(
        candidate=candidate,
        enterprise=enterprise,
        demand=demand,
        event=event,
        station=station if event is None else (station or event.station),
        region=source.region,
        note=note.strip(),
    )
    audit.record_creation(actor=actor, action="recruitment.lead.create", obj=lead)
    return lead


@transaction.atomic
def lead_update_outcome(*, actor: User, lead: Lead, outcome: str, note: str = "") -> Lead:
    """Move a lead to its outcome (contacted, interviewed, hired, declined), with a note."""
    require(actor, Action.RECORD_LEAD, lead.event or lead.station)
    if outcome not in LeadOutcome.values:
        raise ValidationFailed([problem("outcome", "请选择线索结果", "Choose the lead's outcome")])
    if len(note) > MAX_TEXT:
        raise ValidationFailed(
            [problem("note", f"备注最多{MAX_TEXT}字", f"The note has at most {MAX_TEXT} characters")]
        )
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    before = audit.snapshot(lead)
    lead.outcome = outcome
    if note.strip():
        lead.note = note.strip()
    lead.save(update_fields=["outcome", "note", "updated_at"])
    audit.record_change(actor=actor, action="recruitment.lead.outcome", obj=lead, before=before)
    return lead
