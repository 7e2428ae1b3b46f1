"""API routes of the chief technology officers (/api/evaluation/cto/…): nominate (an enterprise's system),
and the appointments the caller sees."""

import datetime as dt
from typing import Annotated

from ninja import Field, Router, Schema, Status

from rencai.core import idempotency
from rencai.core.access import visible_to
from rencai.core.errors import NotFound
from rencai.core.pagination import window
from rencai.core.schemas import CONFLICT, NOT_FOUND, REFUSED, Id, Limit, Offset, declared, errors, text_schema
from rencai.evaluation.models import Case, Round
from rencai.evaluation.services import cto
from rencai.registry.models import Talent

router = Router()

READ = errors(NOT_FOUND)
WRITE = errors(REFUSED, NOT_FOUND, CONFLICT)


class NominationIn(Schema):
    round_id: Id
    talent_id: Id
    summary: Annotated[str, declared(text_schema(cto.MAX_SUMMARY))]
    material_ids: list[Id] = []


class NominationOut(Schema):
    id: int
    round_id: int
    talent_id: int
    talent_name: str = Field(..., alias="talent.name")
    enterprise_id: int | None
    state: str


class CheckOut(Schema):
    year: int
    passed: bool
    note: str


class AppointmentOut(Schema):
    id: int
    enterprise_id: int
    enterprise_name: str = Field(..., alias="enterprise.name")
    talent_id: int
    talent_name: str = Field(..., alias="talent.name")
    case_id: int
    slot: int
    status: str
    term_starts: dt.date
    term_ends: dt.date
    certificate_number: str
    checks: list[CheckOut]

    @staticmethod
    def resolve_checks(appointment) -> list:
        return list(appointment.checks.all())


@router.post(
    "/cto/nominations",
    response={201: NominationOut, 200: NominationOut, **WRITE},
    summary="推荐首席技术官 / Nominate a chief technology officer",
)
def nominate(request, payload: NominationIn):
    """The enterprise nominates an employee; every failing rule is listed (422), a full quota is 409
    `quota_exceeded`. Send an `Idempotency-Key` header to retry safely."""
    user = request.auth
    round_ = Round.objects.filter(pk=payload.round_id).select_related("scheme").first()
    talent = visible_to(user, Talent.objects.filter(pk=payload.talent_id)).first()
    if round_ is None or talent is None:
        raise NotFound()

    def write() -> tuple[Case, int]:
        case = cto.cto_nominate(
            actor=user,
            round=round_,
            talent=talent,
            summary=payload.summary,
            material_ids=payload.material_ids,
        )
        return case, 201

    outcome = idempotency.write_once(
        actor=user,
        scope="evaluation.cto.nominate",
        key=idempotency.key_from(request),
        payload=payload.dict(),
        write=write,
    )
    case = cto.nominations_of(user).filter(pk=outcome.object_id).first()
    if case is None:
        raise NotFound()
    return Status(outcome.status, case)


@router.get(
    "/cto/appointments",
    response={200: list[AppointmentOut], **READ},
    summary="首席技术官名册 / Chief technology officers",
)
def list_appointments(request, status: str = "", limit: Limit = 50, offset: Offset = 0):
    appointments = cto.appointments_for(request.auth).order_by("-term_starts", "-pk")
    if status:
        appointments = appointments.filter(status=status)
    return window(appointments, limit=limit, offset=offset)


@router.get(
    "/cto/appointments/{appointment_id}",
    response={200: AppointmentOut, **READ},
    summary="首席技术官详情 / One chief technology officer",
)
def get_appointment(request, appointment_id: Id):
    appointment = cto.appointments_for(request.auth).filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFound()
    return appointment
