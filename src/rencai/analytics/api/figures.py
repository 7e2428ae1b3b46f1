"""API routes of analytics (/api/analytics/…): the indicators, one figure (any day, a breakdown, a county),
a monthly series, the county comparison and the dashboard. The same figures as the pages, scoped the same way
(a county outside the caller's scope is 404 naming nothing; small cells are null with `suppressed: true`
below the city); a wrong day or breakdown is refused (422) with every problem in both languages."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from ninja import Router, Schema

from rencai.analytics import compute
from rencai.analytics.models import Indicator
from rencai.analytics.views import figures as f
from rencai.core.access import Action, require
from rencai.core.errors import ValidationFailed, problem
from rencai.core.schemas import NOT_FOUND, errors

router = Router()
READ = errors(NOT_FOUND)


class IndicatorOut(Schema):
    code: str
    name: str
    name_en: str
    category: str
    kind: str
    unit: str
    factor: Decimal
    numerator: str
    denominator: str
    breakdowns: list[str]
    higher_is_better: bool
    is_standard: bool
    benchmark: Decimal | None
    description: str


class CellOut(Schema):
    key: str
    label: str
    # counts of people are whole numbers; a source's money is a decimal (as text, like every amount)
    numerator: int | Decimal | None
    denominator: int | Decimal | None
    value: Decimal | None
    suppressed: bool


class FigureOut(Schema):
    indicator: str
    day: dt.date
    region: str | None  # a county's code; null: the caller's whole scope
    by: str | None
    total: CellOut
    cells: list[CellOut]


class SeriesOut(Schema):
    indicator: str
    region: str | None
    start: dt.date
    end: dt.date
    cells: list[CellOut]  # one per month end, key = the ISO date


class RankedOut(Schema):
    rank: int
    cell: CellOut


class ComparisonOut(Schema):
    indicator: str
    day: dt.date
    ranking: list[RankedOut]


class DashboardOut(Schema):
    day: dt.date
    region: str
    headline: list[FigureOut]
    comparison: dict[str, list[RankedOut]]
    trends: dict[str, list[CellOut]]
    structure: dict[str, FigureOut]


def _indicator(indicator) -> dict:
    return {
        **{name: getattr(indicator, name) for name in IndicatorOut.model_fields if name != "breakdowns"},
        "breakdowns": list(compute.allowed_breakdowns(indicator)),
    }


def _cell(cell) -> dict:
    return {
        "key": cell.key,
        "label": str(cell.label),
        "numerator": cell.numerator,
        "denominator": cell.denominator,
        "value": cell.value,
        "suppressed": cell.suppressed,
    }


def _figure(figure) -> dict:
    return {
        "indicator": figure.indicator.code,
        "day": figure.day,
        "region": figure.region.code if figure.region is not None else None,
        "by": figure.by,
        "total": _cell(figure.total),
        "cells": [_cell(cell) for cell in figure.cells],
    }


def _ranked(ranked) -> list[dict]:
    return [{"rank": rank, "cell": _cell(cell)} for rank, cell in ranked]


def _query(params: dict, indicator=None):
    query, problems = f.parse_query(params, indicator=indicator)
    if problems:
        raise ValidationFailed(problems)
    return query


@router.get(
    "/indicators", response={200: list[IndicatorOut], **errors()}, summary="统计指标 / The indicators"
)
def list_indicators(request):
    require(request.auth, Action.VIEW_ANALYTICS)
    indicators = Indicator.objects.filter(active=True).order_by("category", "position", "code")
    return [_indicator(indicator) for indicator in indicators]


@router.get(
    "/indicators/{code}/figure",
    response={200: FigureOut, **READ},
    summary="某日的指标数值及分组 / An indicator's figure on a day, broken down",
)
def get_figure(request, code: str, day: str = "", by: str = "", region: str = ""):
    require(request.auth, Action.VIEW_ANALYTICS)
    indicator = f.indicator_by_code(code)
    query = _query({"day": day, "by": by, "region": region}, indicator)
    figure = compute.figure(indicator, user=request.auth, day=query.day, region=query.region, by=query.by)
    return _figure(figure)


@router.get(
    "/indicators/{code}/series",
    response={200: SeriesOut, **READ},
    summary="月度序列 / The monthly series",
)
def get_series(request, code: str, start: str = "", end: str = "", region: str = ""):
    require(request.auth, Action.VIEW_ANALYTICS)
    indicator = f.indicator_by_code(code)
    today = timezone.localdate()
    problems: list = []
    first = f.parse_day(start, "start", today, problems) or f.SERIES_START
    last = f.parse_day(end, "end", today, problems) or today
    if not problems and first > last:
        problems.append(problem("start", "开始日期不能晚于结束日期", "The start must not be after the end"))
    if problems:
        raise ValidationFailed(problems)
    where = f.region_by_code(region)
    cells = compute.series(indicator, user=request.auth, start=first, end=last, region=where)
    return {
        "indicator": indicator.code,
        "region": where.code if where is not None else None,
        "start": first,
        "end": last,
        "cells": [_cell(cell) for cell in cells],
    }


@router.get(
    "/indicators/{code}/comparison",
    response={200: ComparisonOut, **READ},
    summary="县（市、区）比较与排名 / The six counties ranked",
)
def get_comparison(request, code: str, day: str = ""):
    require(request.auth, Action.VIEW_ANALYTICS)
    indicator = f.indicator_by_code(code)
    query = _query({"day": day}, indicator)
    ranked = compute.comparison(indicator, user=request.auth, day=query.day)
    return {"indicator": indicator.code, "day": query.day, "ranking": _ranked(ranked)}


@router.get(
    "/dashboard", response={200: DashboardOut, **READ}, summary="统计看板 / The dashboard in one call"
)
def get_dashboard(request, day: str = "", region: str = ""):
    require(request.auth, Action.VIEW_ANALYTICS)
    query = _query({"day": day, "region": region})
    board = compute.dashboard(user=request.auth, day=query.day, region=query.region)
    return {
        "day": board["day"],
        "region": board["region"].code,
        "headline": [_figure(figure) for figure in board["headline"]],
        "comparison": {code: _ranked(ranked) for code, ranked in board["comparison"].items()},
        "trends": {code: [_cell(cell) for cell in cells] for code, cells in board["trends"].items()},
        "structure": {by: _figure(figure) for by, figure in board["structure"].items()},
    }
