"""API routes of demands (/api/recruitment/demands…): the public search (no token), and an enterprise's
own demands (post, change, submit, close) and the county's review, through the same services as the pages."""

import datetime as dt
from typing import Annotated

from ninja import Field, Query, Router, Schema, Status

from rencai.core import idempotency
from rencai.core.access import Action, require
from rencai.core.errors import NotFound
from rencai.core.pagination import window
from rencai.core.schemas import (
    CONFLICT,
    NOT_FOUND,
    REFUSED,
    Id,
    Limit,
    Offset,
    Reason,
    declared,
    errors,
    text_schema,
)
from rencai.recruitment import selectors
from rencai.recruitment.selectors import DemandFilters
from rencai.recruitment.services import demands as service

router = Router()

READ = errors(NOT_FOUND)
WRITE = errors(REFUSED, NOT_FOUND, CONFLICT)


class DemandPublicOut(Schema):
    id: int
    title: str
    enterprise_id: int
    enterprise_name: str = Field(..., alias="enterprise.name")
    region_code: str = Field(..., alias="region.code")
    team: str
    tier_sought: str
    degree: str
    field: str
    headcount: int
    salary_min: int
    salary_max: int
    place: str
    work_mode: str
    description: str
    expires_on: dt.date
    published_at: dt.datetime | None


class DemandOut(DemandPublicOut):
    state: str
    filled: int
    review_comment: str


class SearchIn(Schema):
    field: str = ""
    team: str = ""
    tier: str = ""
    degree: str = ""
    place: str = ""
    work_mode: str = ""
    region: str = ""
    salary: Annotated[int, Field(ge=0)] | None = None
    q: Annotated[str, Field(max_length=100)] = ""


class DemandIn(Schema):
    """A demand's fields; the service checks them all at once (a salary range upside down is one problem)."""

    title: Annotated[str, declared(text_schema(service.MAX_TITLE))]
    team: str
    tier_sought: str = ""
    degree: str
    field: str
    headcount: int
    salary_min: int
    salary_max: int
    place: str = "local"
    work_mode: str = "full_time"
    description: Annotated[str, declared(text_schema(None))] = ""
    expires_on: dt.date


class ReviewIn(Schema):
    approve: bool
    comment: Reason = ""


class CloseIn(Schema):
    reason: Reason


@router.get(
    "/demands",
    auth=None,
    response={200: list[DemandPublicOut]},
    summary="人才需求查询 / Search published demands",
)
def search_demands(request, filters: Query[SearchIn], limit: Limit = 50, offset: Offset = 0):
    """Published demands that have not run out, newest first; no token needed."""
    rows = selectors.public_demands(DemandFilters(**filters.dict()))
    return window(rows, limit=limit, offset=offset)


@router.get(
    "/demands/mine", response={200: list[DemandOut], **READ}, summary="本单位/本辖区的人才需求 / My demands"
)
def my_demands(request, state: str = "", limit: Limit = 50, offset: Offset = 0):
    return window(selectors.demands_for(request.auth, state=state), limit=limit, offset=offset)


@router.get(
    "/demands/{demand_id}",
    auth=None,
    response={200: DemandPublicOut, **READ},
    summary="人才需求 / A published demand",
)
def get_public_demand(request, demand_id: Id):
    return selectors.public_demand(demand_id)


@router.post(
    "/demands", response={201: DemandOut, 200: DemandOut, **WRITE}, summary="发布人才需求 / Post a demand"
)
def post_demand(request, payload: DemandIn):
    """A draft demand of the caller's enterprise; every problem is listed (422). Send an `Idempotency-Key`
    header to retry safely."""
    user = request.auth
    if not user.enterprise_id:  # not an enterprise's account: the right's own refusal, else no enterprise
        require(user, Action.POST_DEMAND)
        raise NotFound()

    def write():
        return service.demand_create(actor=user, enterprise=user.enterprise, data=payload.dict()), 201

    outcome = idempotency.write_once(
        actor=user,
        scope="recruitment.demand.create",
        key=idempotency.key_from(request),
        payload=payload.dict(),
        write=write,
    )
    return Status(outcome.status, selectors.get_demand(user, outcome.object_id))


def _mine(request, demand_id: int):
    return selectors.get_demand(request.auth, demand_id)


@router.put(
    "/demands/{demand_id}", response={200: DemandOut, **WRITE}, summary="修改人才需求 / Change a demand"
)
def put_demand(request, demand_id: Id, payload: DemandIn):
    return service.demand_update(actor=request.auth, demand=_mine(request, demand_id), data=payload.dict())


@router.post(
    "/demands/{demand_id}/submit", response={200: DemandOut, **WRITE}, summary="提交审核 / Submit for review"
)
def submit_demand(request, demand_id: Id):
    return service.demand_submit(actor=request.auth, demand=_mine(request, demand_id))


@router.post(
    "/demands/{demand_id}/review",
    response={200: DemandOut, **WRITE},
    summary="审核人才需求 / Review a demand",
)
def review_demand(request, demand_id: Id, payload: ReviewIn):
    return service.demand_review(
        actor=request.auth, demand=_mine(request, demand_id), approve=payload.approve, comment=payload.comment
    )


@router.post(
    "/demands/{demand_id}/close", response={200: DemandOut, **WRITE}, summary="关闭人才需求 / Close a demand"
)
def close_demand(request, demand_id: Id, payload: CloseIn):
    return service.demand_close(actor=request.auth, demand=_mine(request, demand_id), reason=payload.reason)
