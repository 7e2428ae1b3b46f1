"""API routes of the evaluation schemes (/api/evaluation/schemes…): list, detail with weight sums and the
"三唯" warnings, drafting, publishing and new versions. Writes take an `Idempotency-Key`: a retry returns
the first answer instead of publishing (or drafting) twice."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, Router, Schema, Status

from rencai.core import idempotency
from rencai.core.access import Action, restrict
from rencai.core.errors import NotFound
from rencai.core.models import Region
from rencai.core.pagination import window
from rencai.core.schemas import (
    CONFLICT,
    NOT_FOUND,
    REFUSED,
    Day,
    Id,
    Limit,
    Note,
    Offset,
    declared,
    errors,
    text_schema,
)
from rencai.evaluation.choices import IndicatorBasis, IndicatorSource, Purpose
from rencai.evaluation.models import Scheme
from rencai.evaluation.services import schemes as services
from rencai.registry.choices import Programme, Team

router = Router()

READ = errors(NOT_FOUND)
WRITE = errors(REFUSED, NOT_FOUND, CONFLICT)


class IndicatorOut(Schema):
    code: str
    name: str
    source: str
    basis: str
    weight: int
    rule: str
    rubric: str


class EvaluatorOut(Schema):
    kind: str
    weight: int


class WarningOut(Schema):
    field: str
    message_zh: str
    message_en: str


class SchemeOut(Schema):
    id: int
    code: str
    version: int
    name: str
    region: str = Field(..., alias="region.code")
    purpose: str
    team: str
    status: str
    effective_from: dt.date
    effective_to: dt.date | None
    published_at: dt.datetime | None


class SchemeDetailOut(SchemeOut):
    pass_score: Decimal
    tier_thresholds: dict[str, float]
    honour: str
    max_works: int
    notice_days: int
    description: str
    indicators: list[IndicatorOut]
    evaluators: list[EvaluatorOut]
    indicator_weight_sum: int
    evaluator_weight_sum: int
    three_only_warnings: list[WarningOut]
    versions: list[int]

    @staticmethod
    def resolve_indicators(scheme) -> list:
        return list(scheme.indicators.all())

    @staticmethod
    def resolve_evaluators(scheme) -> list:
        return list(scheme.evaluators.all())

    @staticmethod
    def resolve_indicator_weight_sum(scheme) -> int:
        return services.weight_sums(scheme)[0]

    @staticmethod
    def resolve_evaluator_weight_sum(scheme) -> int:
        return services.weight_sums(scheme)[1]

    @staticmethod
    def resolve_three_only_warnings(scheme) -> list:
        return services.three_only_warnings(scheme)

    @staticmethod
    def resolve_versions(scheme, context) -> list[int]:
        """The versions of the scheme's code the caller may see."""
        return [version.version for version in services.versions_of(context["request"].auth, scheme)]


class IndicatorIn(Schema):
    code: Annotated[str, declared(pattern=r"^[-a-zA-Z0-9_]{1,60}$")]
    name: Annotated[str, declared(text_schema(200))]
    source: Annotated[str, declared(enum=IndicatorSource.values)]
    basis: Annotated[str, declared(enum=IndicatorBasis.values)] = IndicatorBasis.RESULTS
    weight: Annotated[int, declared(minimum=1, maximum=100)]
    rule: Note = ""
    rubric: Note = ""


class SchemeIn(Schema):
    """A scheme draft with its indicators and evaluator weights; `region` (GB/T 2260) and `code` only on
    creation. Weights may differ from 100 in a draft; publishing requires 100 each."""

    region: str = ""
    code: Annotated[str, declared(pattern=r"^[-a-zA-Z0-9_]{0,60}$")] = ""
    name: Annotated[str, declared(text_schema(200))]
    purpose: Annotated[str, declared(enum=Purpose.values)]
    team: Annotated[str, declared(enum=["", *Team.values])] = ""
    effective_from: Day
    pass_score: Annotated[Decimal, declared(minimum=0, maximum=100)] = Decimal("60")
    tier_thresholds: dict[str, Decimal] = {}
    honour: Annotated[str, declared(enum=["", *Programme.values])] = ""
    max_works: Annotated[int, declared(minimum=1, maximum=5)] = 3
    notice_days: Annotated[int, declared(minimum=1, maximum=services.MAX_NOTICE_DAYS)] = 5
    description: Note = ""
    indicators: list[IndicatorIn] = []
    # evaluator kind -> weight (government, market, professional_body, employer)
    evaluators: dict[str, int] = {}


class NewVersionIn(Schema):
    effective_from: Day


def _inputs(body: SchemeIn, region: Region, code: str):
    data = services.SchemeInput(
        code=code,
        name=body.name,
        region=region,
        purpose=body.purpose,
        effective_from=body.effective_from,
        team=body.team,
        pass_score=body.pass_score,
        tier_thresholds=dict(body.tier_thresholds),
        honour=body.honour,
        max_works=body.max_works,
        notice_days=body.notice_days,
        description=body.description,
    )
    indicators = [
        services.IndicatorInput(
            code=i.code,
            name=i.name,
            source=i.source,
            weight=i.weight,
            basis=i.basis,
            rule=i.rule,
            rubric=i.rubric,
        )
        for i in body.indicators
    ]
    # a kind left out is no evaluator of the scheme; an unknown kind is refused by the service
    return data, indicators, dict(body.evaluators)


@router.get("/schemes", response={200: list[SchemeOut], **READ}, summary="评价方案 / Evaluation schemes")
def list_schemes(
    request, status: str = "", purpose: str = "", q: str = "", limit: Limit = 50, offset: Offset = 0
):
    queryset = services.schemes_for(request.auth, status=status, purpose=purpose, q=q).order_by(
        "region__path", "code", "-version", "pk"
    )
    return window(queryset, limit=limit, offset=offset)


@router.get(
    "/schemes/{scheme_id}", response={200: SchemeDetailOut, **READ}, summary="评价方案详情 / A scheme"
)
def get_scheme(request, scheme_id: Id):
    return services.get_scheme(request.auth, scheme_id)


@router.post(
    "/schemes", response={201: SchemeDetailOut, **WRITE}, summary="新建评价方案草稿 / Draft a scheme"
)
def create_scheme(request, body: SchemeIn):
    user = request.auth
    region = restrict(user, Region.objects.filter(code=body.region), Action.MANAGE_EVALUATION).first()
    if region is None:
        raise NotFound("区划不存在或不在您的辖区内", "No such region within your jurisdiction")
    data, indicators, weights = _inputs(body, region, body.code)

    def write() -> tuple[Scheme, int]:
        scheme = services.scheme_draft_save(actor=user, data=data, indicators=indicators, weights=weights)
        return scheme, 201

    outcome = idempotency.write_once(
        actor=user,
        scope="evaluation.schemes.create",
        key=idempotency.key_from(request),
        payload=body.dict(),
        write=write,
    )
    return Status(outcome.status, services.get_scheme(user, outcome.object_id))


@router.put(
    "/schemes/{scheme_id}", response={200: SchemeDetailOut, **WRITE}, summary="修改方案草稿 / Change a draft"
)
def update_scheme(request, scheme_id: Id, body: SchemeIn):
    user = request.auth
    scheme = services.get_scheme(user, scheme_id)
    data, indicators, weights = _inputs(body, scheme.region, scheme.code)
    scheme = services.scheme_draft_save(
        actor=user, scheme=scheme, data=data, indicators=indicators, weights=weights
    )
    return scheme


@router.post(
    "/schemes/{scheme_id}/publish",
    response={200: SchemeDetailOut, **WRITE},
    summary="发布评价方案 / Publish a scheme",
)
def publish_scheme(request, scheme_id: Id):
    """Publishes a draft: indicator and evaluator weights must each sum to 100 (`weights_not_100` names
    both sums). The answer carries the "三唯" warnings. With an `Idempotency-Key` a retry answers 200
    again instead of 409 `scheme_published`."""
    user = request.auth
    scheme = services.get_scheme(user, scheme_id)

    def write() -> tuple[Scheme, int]:
        return services.scheme_publish(actor=user, scheme=scheme), 200

    outcome = idempotency.write_once(
        actor=user,
        scope=f"evaluation.schemes.publish:{scheme.pk}",
        key=idempotency.key_from(request),
        payload={"scheme": scheme.pk},
        write=write,
    )
    return Status(outcome.status, services.get_scheme(user, outcome.object_id))


@router.post(
    "/schemes/{scheme_id}/versions",
    response={201: SchemeDetailOut, **WRITE},
    summary="新建方案版本 / New version of a scheme",
)
def new_version(request, scheme_id: Id, body: NewVersionIn):
    user = request.auth
    scheme = services.get_scheme(user, scheme_id)

    def write() -> tuple[Scheme, int]:
        return services.scheme_new_version(actor=user, scheme=scheme, effective_from=body.effective_from), 201

    outcome = idempotency.write_once(
        actor=user,
        scope=f"evaluation.schemes.version:{scheme.pk}",
        key=idempotency.key_from(request),
        payload=body.dict(),
        write=write,
    )
    return Status(outcome.status, services.get_scheme(user, outcome.object_id))
