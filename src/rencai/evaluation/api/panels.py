"""API routes of the expert panels: an expert's review tasks and scores, and the officers' draw and close.

Thin: reads through the scoped reads of `services.panels` (out of scope is 404), writes through its
services. Drawing and scoring take an `Idempotency-Key`: a retried request returns the first result.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, Router, Schema, Status

from rencai.core import idempotency
from rencai.core.pagination import window
from rencai.core.schemas import CONFLICT, NOT_FOUND, REFUSED, Id, Limit, Offset, declared, errors
from rencai.evaluation import scoring
from rencai.evaluation.models import Panel
from rencai.evaluation.services import panels as services

router = Router()

READ = errors(NOT_FOUND)
WRITE = errors(REFUSED, NOT_FOUND, CONFLICT)


# -- schemas ------------------------------------------------------------------------------------------------


class ReviewCaseOut(Schema):
    """A case as its expert sees it: masked personal data only, never a phone number."""

    id: int
    talent_name: str = Field(..., alias="talent.name")
    id_number_masked: str = Field(..., alias="talent.id_number_masked")
    employer: str | None = Field(None, alias="enterprise.name")
    round: str = Field(..., alias="round.name")
    field: str
    summary: str
    computed: dict
    panel_due: dt.date = Field(..., alias="round.panel_due")
    panel_state: str = Field(..., alias="panel.state")


class ScoreOut(Schema):
    indicator: str = Field(..., alias="indicator.code")
    points: Decimal
    comment: str


class ScoresIn(Schema):
    """Points (0–100, at most two decimals) for every scored indicator of the case's scheme, by code."""

    points: Annotated[dict[str, Decimal | str], declared(additionalProperties={"minimum": 0, "maximum": 100})]
    comments: dict[str, str] = {}


class DrawIn(Schema):
    """A seed to redo a draw with (blank: the system draws one)."""

    seed: Annotated[str, declared(maxLength=64)] = ""


class SeatOut(Schema):
    position: int
    expert_id: int
    expert: str = Field(..., alias="expert.name")
    evaluator_kind: str = Field(..., alias="expert.evaluator_kind")
    role: str
    status: str
    replaces_id: int | None
    submitted: bool

    @staticmethod
    def resolve_submitted(seat) -> bool:
        return seat.submitted_at is not None


class PanelOut(Schema):
    """The panel as its officers see it: the draw's record and the progress, never the points before it
    closes."""

    case_id: int
    field: str
    state: str
    seed: str
    size: int
    quorum: int
    submitted: int
    active: int
    draw: dict
    seats: list[SeatOut]
    panel_score: Decimal | None = Field(None, alias="case.panel_score")
    total_score: Decimal | None = Field(None, alias="case.total_score")

    @staticmethod
    def resolve_quorum(panel) -> int:
        return scoring.quorum(panel.size)

    @staticmethod
    def resolve_submitted(panel) -> int:
        return services.progress(panel)[0]

    @staticmethod
    def resolve_active(panel) -> int:
        return services.progress(panel)[1]

    @staticmethod
    def resolve_seats(panel) -> list:
        return services.panel_seats(panel)


# -- routes -------------------------------------------------------------------------------------------------


@router.get("/reviews", response={200: list[ReviewCaseOut], **READ}, summary="我的评审任务 / My review tasks")
def review_list(request, limit: Limit = 50, offset: Offset = 0):
    return window(services.review_cases(request.auth), limit=limit, offset=offset)


@router.get(
    "/reviews/{case_id}/scores", response={200: list[ScoreOut], **READ}, summary="我的评分 / My scores"
)
def my_scores(request, case_id: Id):
    case = services.review_case(request.auth, case_id)
    return list(services.own_scores(request.auth, case).values())


@router.post(
    "/reviews/{case_id}/scores",
    response={200: list[ScoreOut], **WRITE},
    summary="提交或修改评分 / Submit or change scores",
)
def submit_scores(request, case_id: Id, body: ScoresIn):
    """Every scored indicator at once; again before the panel closes to change them."""
    user = request.auth
    case = services.review_case(user, case_id)

    def write() -> tuple[Panel, int]:
        services.score_submit(actor=user, case=case, points=body.points, comments=body.comments)
        return case.panel, 200

    idempotency.write_once(
        actor=user,
        scope=f"evaluation.scores.{case_id}",
        key=idempotency.key_from(request),
        payload=body.dict(),
        write=write,
    )
    return list(services.own_scores(user, case).values())


@router.get("/cases/{case_id}/panel", response={200: PanelOut, **READ}, summary="评审组 / The case's panel")
def get_panel(request, case_id: Id):
    return services.panel_of(request.auth, case_id)


@router.post(
    "/cases/{case_id}/panel",
    response={201: PanelOut, **WRITE},
    summary="随机抽取评审组 / Draw the case's panel",
)
def draw_panel(request, case_id: Id, body: DrawIn):
    user = request.auth
    case = services.managed_case(user, case_id)

    def write() -> tuple[Panel, int]:
        return services.panel_draw(actor=user, case=case, seed=body.seed.strip() or None), 201

    outcome = idempotency.write_once(
        actor=user,
        scope=f"evaluation.panel.draw.{case_id}",
        key=idempotency.key_from(request),
        payload=body.dict(),
        write=write,
    )
    return Status(outcome.status, services.panel_of(user, case_id))


@router.post(
    "/cases/{case_id}/panel/close",
    response={200: PanelOut, **WRITE},
    summary="结束评审并计算得分 / Close the panel and compute the scores",
)
def close_panel(request, case_id: Id):
    case = services.managed_case(request.auth, case_id)
    services.panel_close(actor=request.auth, case=case)
    return services.panel_of(request.auth, case_id)
