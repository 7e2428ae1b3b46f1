"""API routes of target responsibility (/api/coordination/targets…, /circulars…): the caller's scoped
sheets (cursor pages), one sheet with its items and live measured progress, and the writes of the city
(create, items, issue, mid-year, score, lock, circular) and of the assessed unit (agree, self-assess).

A move to a state the sheet is already in is refused (409), so a retried POST changes nothing twice; a
sheet and a circular are one per unit and year (database facts), so a retried create cannot duplicate.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from ninja import Router, Schema, Status

from rencai.coordination import circulars, scoring
from rencai.coordination.selectors import targets as selectors
from rencai.coordination.services import targets as services
from rencai.core.errors import NotFound
from rencai.core.models import Region
from rencai.core.pagination import DEFAULT_LIMIT, cursor_page
from rencai.core.schemas import CONFLICT, NOT_FOUND, REFUSED, Cursor, Id, Limit, errors
from rencai.registry.models import Department

router = Router()

READ = errors(NOT_FOUND)
WRITE = errors(NOT_FOUND, REFUSED, CONFLICT)


class SheetOut(Schema):
    id: int
    year: int
    region: str
    department: str | None
    unit: str
    state: str
    total: Decimal | None

    @staticmethod
    def resolve_region(sheet) -> str:
        return sheet.region.code

    @staticmethod
    def resolve_department(sheet) -> str | None:
        return sheet.department.name if sheet.department_id else None

    @staticmethod
    def resolve_unit(sheet) -> str:
        return sheet.unit_name


class SheetPage(Schema):
    items: list[SheetOut]
    next_cursor: str | None


class ItemOut(Schema):
    id: int
    section: str
    kind: str
    title: str
    max_points: Decimal
    indicator_code: str
    baseline: Decimal | None
    target_value: Decimal | None
    measured: Decimal | None
    progress: Decimal | None
    claimed_points: Decimal | None
    evidence: str
    points: Decimal | None
    comment: str
    reason: str


class SheetDetailOut(Schema):
    id: int
    year: int
    region: str
    department: str | None
    unit: str
    state: str
    total: Decimal | None
    measured_on: dt.date
    live: bool
    live_total: Decimal
    items: list[ItemOut]


class SheetIn(Schema):
    year: int
    region: str | None = None  # a region code (the city or a county)
    department: int | None = None  # a department id
    bonus_cap: Decimal = Decimal("5")
    deduction_cap: Decimal = Decimal("10")


class ItemIn(Schema):
    section: str
    title: str
    max_points: Decimal
    description: str = ""
    indicator_code: str = ""
    target_value: Decimal | None = None
    baseline: Decimal | None = None
    reason: str = ""


class MoveIn(Schema):
    to: str
    comment: str = ""


class ClaimIn(Schema):
    claimed_points: Decimal
    evidence: str


class ScoreIn(Schema):
    points: Decimal
    comment: str = ""


class RankOut(Schema):
    kind: str
    rank: int
    unit: str
    total: Decimal


class CircularOut(Schema):
    id: int
    year: int
    title: str
    issued_at: dt.datetime
    ranking: list[RankOut]
    excel: str

    @staticmethod
    def resolve_excel(circular) -> str:
        return circulars.excel_link(circular)


class CircularIn(Schema):
    year: int


def _detail(sheet) -> dict:
    live = sheet.state not in (services.S.SCORED, services.S.LOCKED)
    day = scoring.measure_day(sheet.year, timezone.localdate())
    score = scoring.score_sheet(sheet, day=day, live=live)
    items = [
        {
            **{name: getattr(line.item, name) for name in ItemOut.model_fields if hasattr(line.item, name)},
            "measured": line.measured,
            "progress": line.progress.quantize(Decimal("0.0001")) if line.progress is not None else None,
            "points": line.points,
        }
        for line in score.lines
    ]
    return {
        "id": sheet.pk,
        "year": sheet.year,
        "region": sheet.region.code,
        "department": sheet.department.name if sheet.department_id else None,
        "unit": sheet.unit_name,
        "state": sheet.state,
        "total": sheet.total,
        "measured_on": day,
        "live": live,
        "live_total": score.total,
        "items": items,
    }


@router.get("/targets", response={200: SheetPage, **READ}, summary="目标责任考核表 / Target sheets")
def list_sheets(request, year: int | None = None, cursor: Cursor = "", limit: Limit = DEFAULT_LIMIT):
    return cursor_page(selectors.sheets_for(request.auth, year=year), cursor=cursor, limit=limit)


@router.get("/targets/{sheet_id}", response={200: SheetDetailOut, **READ}, summary="考核表 / A target sheet")
def get_sheet(request, sheet_id: Id):
    return _detail(selectors.sheet_for(request.auth, sheet_id))


@router.post("/targets", response={201: SheetDetailOut, **WRITE}, summary="新建考核表 / Create a sheet")
def create_sheet(request, payload: SheetIn):
    region = Region.objects.filter(code=payload.region).first() if payload.region else None
    department = Department.objects.filter(pk=payload.department).first() if payload.department else None
    if (payload.region and region is None) or (payload.department and department is None):
        raise NotFound()
    sheet = services.sheet_create(
        actor=request.auth,
        year=payload.year,
        region=region,
        department=department,
        bonus_cap=payload.bonus_cap,
        deduction_cap=payload.deduction_cap,
    )
    return Status(201, _detail(sheet))


@router.post(
    "/targets/{sheet_id}/items", response={201: ItemOut, **WRITE}, summary="添加考核项目 / Add an item"
)
def add_item(request, sheet_id: Id, payload: ItemIn):
    sheet = selectors.sheet_for(request.auth, sheet_id)
    item = services.item_add(actor=request.auth, sheet=sheet, **payload.dict())
    return Status(
        201,
        {
            **{name: getattr(item, name) for name in ItemOut.model_fields if hasattr(item, name)},
            "measured": item.measured_value,
            "progress": None,
        },
    )


@router.post(
    "/targets/{sheet_id}/move", response={200: SheetDetailOut, **WRITE}, summary="考核表流转 / Move a sheet"
)
def move_sheet(request, sheet_id: Id, payload: MoveIn):
    """`to`: issued, agreed, midyear, self_assessed, scored, locked (who may, and from where: the table of
    `services.targets`)."""
    sheet = selectors.sheet_for(request.auth, sheet_id)
    services.sheet_move(actor=request.auth, sheet=sheet, to=payload.to, comment=payload.comment)
    sheet.refresh_from_db()
    return _detail(sheet)


@router.post(
    "/targets/{sheet_id}/lock", response={200: SheetDetailOut, **WRITE}, summary="审定锁定 / Lock a sheet"
)
def lock_sheet(request, sheet_id: Id):
    sheet = selectors.sheet_for(request.auth, sheet_id)
    services.sheet_lock(actor=request.auth, sheet=sheet)
    sheet.refresh_from_db()
    return _detail(sheet)


@router.post(
    "/targets/items/{item_id}/claim", response={200: ItemOut, **WRITE}, summary="自评 / Self-assess an item"
)
def claim_item(request, item_id: Id, payload: ClaimIn):
    item = selectors.item_for(request.auth, item_id)
    services.item_self_assess(
        actor=request.auth, item=item, claimed_points=payload.claimed_points, evidence=payload.evidence
    )
    return {
        **{name: getattr(item, name) for name in ItemOut.model_fields if hasattr(item, name)},
        "measured": item.measured_value,
        "progress": None,
    }


@router.post(
    "/targets/items/{item_id}/score", response={200: ItemOut, **WRITE}, summary="评分 / Score an item"
)
def score_item(request, item_id: Id, payload: ScoreIn):
    item = selectors.item_for(request.auth, item_id)
    services.item_score(actor=request.auth, item=item, points=payload.points, comment=payload.comment)
    return {
        **{name: getattr(item, name) for name in ItemOut.model_fields if hasattr(item, name)},
        "measured": item.measured_value,
        "progress": None,
    }


@router.get("/circulars", response={200: list[CircularOut], **READ}, summary="考核通报 / Circulars")
def list_circulars(request):
    return list(selectors.circulars_for(request.auth).order_by("-year"))


@router.get("/circulars/{circular_id}", response={200: CircularOut, **READ}, summary="考核通报 / A circular")
def get_circular(request, circular_id: Id):
    return selectors.circular_for(request.auth, circular_id)


@router.post("/circulars", response={201: CircularOut, **WRITE}, summary="发布考核通报 / Issue a circular")
def issue_circular(request, payload: CircularIn):
    return Status(201, circulars.circular_issue(actor=request.auth, year=payload.year))
