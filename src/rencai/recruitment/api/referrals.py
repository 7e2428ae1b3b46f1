"""API routes of referrals (/api/recruitment/referrals…): an agency's system lists its own referrals and
refers a candidate (send an `Idempotency-Key` to retry safely); an enterprise lists the referrals to its
demands, officers those of their region. Candidate data are masked; another agency's referral is 404."""

import datetime as dt
from typing import Annotated

from ninja import Field, Router, Schema, Status

from rencai.core import idempotency
from rencai.core.errors import NotFound
from rencai.core.pagination import window
from rencai.core.schemas import (
    CONFLICT,
    NOT_FOUND,
    REFUSED,
    Id,
    Limit,
    Note,
    Offset,
    declared,
    errors,
    text_schema,
)
from rencai.recruitment.models import Referral
from rencai.recruitment.selectors import public_demand
from rencai.recruitment.services import referrals

router = Router()

READ = errors(NOT_FOUND)
WRITE = errors(REFUSED, NOT_FOUND, CONFLICT)


class CandidateIn(Schema):
    name: Annotated[str, declared(text_schema(100))]
    id_number: Annotated[str, declared(text_schema(18))]
    phone: str = ""
    degree: str = ""
    field: str = ""


class ReferralIn(Schema):
    demand_id: Id
    candidate: CandidateIn
    consent_statement: str = ""
    consent_at: dt.datetime | None = None
    note: Note = ""


class ReferralOut(Schema):
    id: int
    demand_id: int
    demand_title: str = Field(..., alias="demand.title")
    enterprise_id: int
    enterprise_name: str = Field(..., alias="enterprise.name")
    agency_id: int
    agency_name: str = Field(..., alias="agency.name")
    candidate_name: str = Field(..., alias="candidate.name")
    candidate_id_number: str = Field(..., alias="candidate.id_number_masked")
    candidate_phone: str = Field(..., alias="candidate.phone_masked")
    candidate_degree: str = Field(..., alias="candidate.degree")
    candidate_field: str = Field(..., alias="candidate.field")
    state: str
    consent_at: dt.datetime
    note: str
    created_at: dt.datetime


class StateIn(Schema):
    state: str


@router.get(
    "/referrals",
    response={200: list[ReferralOut], **READ},
    summary="推荐列表 / Referrals",
)
def list_referrals(
    request, state: str = "", demand_id: int | None = None, limit: Limit = 50, offset: Offset = 0
):
    """An agency's own referrals, an enterprise's received ones, a region's for officers; newest first."""
    rows = referrals.referrals_for(request.auth)
    if state:
        rows = rows.filter(state=state)
    if demand_id is not None:
        rows = rows.filter(demand_id=demand_id)
    return window(rows, limit=limit, offset=offset)


@router.get(
    "/referrals/{referral_id}",
    response={200: ReferralOut, **READ},
    summary="推荐详情 / One referral",
)
def get_referral(request, referral_id: Id):
    referral = referrals.referrals_for(request.auth).filter(pk=referral_id).first()
    if referral is None:
        raise NotFound()
    return referral


@router.post(
    "/referrals",
    response={201: ReferralOut, 200: ReferralOut, **WRITE},
    summary="推荐人才 / Refer a candidate",
)
def create_referral(request, payload: ReferralIn):
    """Refer a candidate for a published demand with the candidate's consent (400 `consent_missing`
    without it); a person already referred to the enterprise is 409 `already_referred`, with the date."""
    user = request.auth
    demand = public_demand(payload.demand_id)

    def write() -> tuple[Referral, int]:
        referral = referrals.referral_create(
            actor=user,
            demand=demand,
            candidate_data=payload.candidate.dict(),
            consent_statement=payload.consent_statement,
            consent_at=payload.consent_at,
            note=payload.note,
        )
        return referral, 201

    outcome = idempotency.write_once(
        actor=user,
        scope="recruitment.referral.create",
        key=idempotency.key_from(request),
        payload=payload.dict(),
        write=write,
    )
    referral = referrals.referrals_for(user).filter(pk=outcome.object_id).first()
    if referral is None:
        raise NotFound()
    return Status(outcome.status, referral)


@router.post(
    "/referrals/{referral_id}/state",
    response={200: ReferralOut, **WRITE},
    summary="更新推荐状态 / Move a referral (interviewed, failed, withdrawn)",
)
def move_referral(request, referral_id: Id, payload: StateIn):
    referral = referrals.referrals_for(request.auth).filter(pk=referral_id).first()
    if referral is None:
        raise NotFound()
    referrals.referral_update_state(actor=request.auth, referral=referral, state=payload.state)
    return referrals.referrals_for(request.auth).get(pk=referral_id)
