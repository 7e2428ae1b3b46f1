"""API routes of rounds, cases, the public notice and objections (/api/evaluation/…).

Thin: reads through `selectors` (scoped; out of scope is 404), writes through the services. The notice and
the objection form are public (no token), as the page is.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, Router, Schema, Status

from rencai.core.errors import NotFound
from rencai.core.pagination import window
from rencai.core.schemas import CONFLICT, NOT_FOUND, REFUSED, TOO_MANY, Id, Limit, Offset, declared, errors
from rencai.evaluation import selectors
from rencai.evaluation.choices import CaseState, ObjectionPoint
from rencai.evaluation.models import CaseCorrection
from rencai.evaluation.services import cases as case_services
from rencai.evaluation.services import notices
from rencai.registry.choices import Industry

router = Router()

READ = errors(NOT_FOUND)
WRITE = errors(REFUSED, NOT_FOUND, CONFLICT)
PUBLIC_READ = {404: errors(NOT_FOUND)[404]}


class RoundOut(Schema):
    id: int
    name: str
    scheme: str = Field(..., alias="scheme.code")
    region: str = Field(..., alias="region.code")
    year: int
    state: str
    opens_on: dt.date
    applications_due: dt.date
    employer_due: dt.date
    first_review_due: dt.date
    panel_due: dt.date
    second_review_due: dt.date


class CaseOut(Schema):
    id: int
    round_id: int
    talent_id: int
    talent_name: str = Field(..., alias="talent.name")
    enterprise_id: int | None
    region: str = Field(..., alias="region.code")
    field: str
    state: str
    submitted_at: dt.datetime | None
    result: str
    result_tier: str
    result_honour: str


class TransitionOut(Schema):
    from_state: str
    to_state: str
    at: dt.datetime
    comment: str


class CaseDetailOut(CaseOut):
    summary: str
    computed: dict
    employer_scores: dict
    total_score: Decimal | None
    vetoed: bool
    correction: list[str]
    transitions: list[TransitionOut]

    @staticmethod
    def resolve_correction(case) -> list[str]:
        correction = CaseCorrection.objects.filter(case=case).first()
        return list(correction.items) if correction is not None else []

    @staticmethod
    def resolve_transitions(case) -> list:
        return list(case.transitions.order_by("at", "pk"))


class ApplyIn(Schema):
    round_id: Annotated[int, declared(minimum=1)]
    talent_id: Annotated[int, declared(minimum=1)]
    field: Annotated[str, declared(enum=Industry.values)]
    summary: str
    material_ids: list[int] = []
    submit: bool = True


class ConfirmIn(Schema):
    employer_scores: dict[str, Decimal] | None = None


class ReviewIn(Schema):
    passed: bool
    comment: str = ""


class NoticeOut(Schema):
    id: int
    title: str
    starts_on: dt.date
    ends_on: dt.date
    days: int
    state: str


class NoticeLineOut(Schema):
    case_id: int
    name: str
    employer: str
    tier: str
    honour: str


class NoticeDetailOut(NoticeOut):
    lines: list[NoticeLineOut]


class ObjectionIn(Schema):
    case_id: Annotated[int, declared(minimum=1)]
    name: str
    id_number: str
    phone: str
    point: Annotated[str, declared(enum=ObjectionPoint.values)]
    statement: str


class ObjectionReceiptOut(Schema):
    id: int
    due_on: dt.date
    state: str


class ObjectionOut(ObjectionReceiptOut):
    case_id: int
    point: str
    objector_name: str
    objector_id_masked: str
    phone_masked: str
    statement: str
    answer: str


class AnswerIn(Schema):
    upheld: bool
    answer: str


# -- rounds and cases ------------------------------------------------------------------------------------


@router.get("/rounds", response={200: list[RoundOut], **READ}, summary="评价批次 / Evaluation rounds")
def list_rounds(request, limit: Limit = 50, offset: Offset = 0):
    rows = selectors.rounds_for(request.auth).order_by("-year", "-opens_on", "pk")
    return window(rows, limit=limit, offset=offset)


@router.get("/cases", response={200: list[CaseOut], **READ}, summary="评价申报 / Evaluation cases")
def list_cases(request, round_id: int | None = None, state: str = "", limit: Limit = 50, offset: Offset = 0):
    round_ = selectors.get_round(request.auth, round_id) if round_id else None
    rows = selectors.cases_for(request.auth, round=round_, state=state if state in CaseState.values else "")
    return window(rows.order_by("-pk"), limit=limit, offset=offset)


@router.get("/cases/{case_id}", response={200: CaseDetailOut, **READ}, summary="申报详情 / A case")
def get_case(request, case_id: Id):
    return selectors.get_case(request.auth, case_id)


@router.post("/cases", response={201: CaseDetailOut, **WRITE}, summary="申报人才评价 / Apply")
def apply(request, body: ApplyIn):
    """A retry of the same application answers with the case made the first time (one per talent and
    round)."""
    round_ = selectors.rounds_for(request.auth).filter(pk=body.round_id).first() or _not_found()
    talent = selectors.applicant_talent(request.auth, body.talent_id)
    case = case_services.case_apply(
        actor=request.auth,
        round=round_,
        talent=talent or _not_found(),
        field=body.field,
        summary=body.summary,
        material_ids=body.material_ids,
        submit=body.submit,
    )
    return Status(201, selectors.get_case(request.auth, case.pk))


def _not_found():
    raise NotFound()


@router.post("/cases/{case_id}/confirm", response={200: CaseDetailOut, **WRITE}, summary="单位确认 / Confirm")
def confirm(request, case_id: Id, body: ConfirmIn):
    case = selectors.get_case(request.auth, case_id)
    case_services.case_confirm(actor=request.auth, case=case, employer_scores=body.employer_scores)
    return selectors.get_case(request.auth, case_id)


@router.post(
    "/cases/{case_id}/first-review", response={200: CaseDetailOut, **WRITE}, summary="初审 / First review"
)
def first_review(request, case_id: Id, body: ReviewIn):
    case = selectors.get_case(request.auth, case_id)
    case_services.case_first_review(actor=request.auth, case=case, passed=body.passed, comment=body.comment)
    return selectors.get_case(request.auth, case_id)


@router.post(
    "/cases/{case_id}/second-review", response={200: CaseDetailOut, **WRITE}, summary="复审 / Second review"
)
def second_review(request, case_id: Id, body: ReviewIn):
    case = selectors.get_case(request.auth, case_id)
    case_services.case_second_review(actor=request.auth, case=case, passed=body.passed, comment=body.comment)
    return selectors.get_case(request.auth, case_id)


@router.post("/cases/{case_id}/decide", response={200: CaseDetailOut, **WRITE}, summary="作出决定 / Decide")
def decide(request, case_id: Id):
    case = selectors.get_case(request.auth, case_id)
    notices.case_decide(actor=request.auth, case=case)
    return selectors.get_case(request.auth, case_id)


# -- objections (officers) -------------------------------------------------------------------------------


@router.get("/objections", response={200: list[ObjectionOut], **READ}, summary="公示异议 / Objections")
def list_objections(request, limit: Limit = 50, offset: Offset = 0):
    return window(selectors.objections_for(request.auth), limit=limit, offset=offset)


@router.post(
    "/objections/{objection_id}/answer",
    response={200: ObjectionOut, **WRITE},
    summary="答复异议 / Answer an objection",
)
def answer(request, objection_id: Id, body: AnswerIn):
    objection = selectors.get_objection(request.auth, objection_id)
    return notices.objection_answer(
        actor=request.auth, objection=objection, upheld=body.upheld, answer=body.answer
    )


# -- the public notice (no token) ------------------------------------------------------------------------


@router.get("/notices", auth=None, response={200: list[NoticeOut]}, summary="公示 / Public notices")
def list_notices(request, limit: Limit = 50, offset: Offset = 0):
    return window(selectors.public_notices(), limit=limit, offset=offset)


@router.get(
    "/notices/{notice_id}",
    auth=None,
    response={200: NoticeDetailOut, **PUBLIC_READ},
    summary="公示 / A notice",
)
def get_notice(request, notice_id: Id):
    notice = selectors.public_notice(notice_id)
    return {**NoticeOut.from_orm(notice).dict(), "lines": selectors.notice_lines(notice)}


@router.post(
    "/notices/{notice_id}/objections",
    auth=None,
    response={201: ObjectionReceiptOut, **errors(REFUSED, NOT_FOUND, CONFLICT, TOO_MANY)},
    summary="实名提出异议 / Object by real name",
)
def submit_objection(request, notice_id: Id, body: ObjectionIn):
    notice = selectors.public_notice(notice_id)
    case = notice.cases.filter(pk=body.case_id).first() or _not_found()
    objection = notices.objection_submit(
        notice=notice,
        case=case,
        name=body.name,
        id_number=body.id_number,
        phone=body.phone,
        point=body.point,
        statement=body.statement,
    )
    return Status(201, objection)
