"""What the analytics pages, exports and API share: reading day, region and breakdown from a query string
(a wrong value is named in both languages, never a stack trace), and presenting the engine's cells as rows
(a suppressed cell shows "<5", every figure of a frame indicator links to the people behind it).

The figures themselves come from `analytics.compute`, scoped by the viewer; nothing here counts anything.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from rencai.analytics import compute
from rencai.analytics.models import Indicator, IndicatorKind
from rencai.core.access import Action, may
from rencai.core.errors import NotFound, Problem, problem
from rencai.core.models import Region

FIRST_DAY = dt.date(2000, 1, 1)  # the registry's earliest arrivals are later; earlier dates count nobody
SERIES_START = dt.date(2015, 1, 1)  # the monthly series the pages draw start here (issue 16)
SUPPRESSED_TEXT = "<5"

BREAKDOWN_LABELS = compute.BREAKDOWN_LABELS
PARTS = ("numerator", "denominator")

# The six counties on a schematic tile map of Quzhou (column, row; row 0 at the top): Kaihua in the
# north-west, Changshan west, Kecheng the city centre, Qujiang east of it, Longyou further east, Jiangshan
# south. Close enough for a meeting-room screen; no GeoJSON to download or keep.
TILES = {
    "330824": (0, 0),  # 开化县
    "330822": (0, 1),  # 常山县
    "330802": (1, 1),  # 柯城区
    "330803": (2, 1),  # 衢江区
    "330825": (3, 1),  # 龙游县
    "330881": (1, 2),  # 江山市
}


# -- reading the query string -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    day: dt.date
    region: Region | None  # None: the viewer's whole scope
    by: str | None


def parse_day(text: str, field: str, today: dt.date, problems: list[Problem]) -> dt.date | None:
    """An ISO date between FIRST_DAY and today; a wrong one is added to `problems` and None returned."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        problems.append(
            problem(
                field, f"日期格式应为 年-月-日（如 {today:%Y-%m-%d}）", f"Give the date as {today:%Y-%m-%d}"
            )
        )
        return None
    if not FIRST_DAY <= day <= today:
        problems.append(
            problem(
                field,
                f"日期应在 {FIRST_DAY:%Y-%m-%d} 至 {today:%Y-%m-%d} 之间",
                f"The date must be between {FIRST_DAY:%Y-%m-%d} and {today:%Y-%m-%d}",
            )
        )
        return None
    return day


def region_by_code(code: str) -> Region | None:
    """The region of a code ("" or absent: None); an unknown code is 404 like one outside the scope."""
    code = (code or "").strip()
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound()
    return region


def parse_breakdown(text: str, indicator: Indicator | None, problems: list[Problem]) -> str | None:
    text = (text or "").strip()
    if not text:
        return None
    allowed = breakdowns_of(indicator)
    if text not in allowed:
        names = "、".join(str(BREAKDOWN_LABELS.get(name, name)) for name in allowed) or "—"
        problems.append(
            problem("by", f"不支持的分组：{text}（可选：{names}）", f"Unknown breakdown {text!r}")
        )
        return None
    return text


def parse_query(params, *, indicator: Indicator | None = None, today: dt.date | None = None):
    """(Query, problems) from `day`, `region` and `by`; a wrong value falls back to today / no breakdown."""
    today = today or timezone.localdate()
    problems: list[Problem] = []
    day = parse_day(params.get("day", ""), "day", today, problems) or today
    region = region_by_code(params.get("region", ""))
    by = parse_breakdown(params.get("by", ""), indicator, problems)
    return Query(day=day, region=region, by=by), problems


def breakdowns_of(indicator: Indicator | None) -> list[str]:
    """The breakdowns an indicator allows, in the engine's order."""
    return list(compute.BREAKDOWNS if indicator is None else compute.allowed_breakdowns(indicator))


def messages_of(problems: list[Problem]) -> list[str]:
    english = (get_language() or "").startswith("en")
    return [str(item["message_en"] if english else item["message_zh"]) for item in problems]


# -- indicators ---------------------------------------------------------------------------------------------


def indicator_by_code(code: str) -> Indicator:
    """An active indicator (every officer who views analytics may read the catalogue: it is city-wide)."""
    indicator = Indicator.objects.filter(code=code, active=True).first()
    if indicator is None:
        raise NotFound("指标不存在或已停用", "No such indicator, or it is no longer in use")
    return indicator


def counties() -> list[Region]:
    """The six counties, by code (the engine's list)."""
    return compute.counties()


# -- presenting figures -------------------------------------------------------------------------------------


def number_text(value: Decimal | int | None, unit: str = "") -> str:
    """A figure as people read it: thousands separated, a rate to one decimal with its %, money to cents."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{Decimal(value):,.1f}%"
    if isinstance(value, int) or Decimal(value) == Decimal(value).to_integral_value():
        return f"{int(value):,}"
    return f"{Decimal(value):,.2f}"


UNIT_LABELS = {"人": gettext_lazy("人"), "元": gettext_lazy("元"), "个": gettext_lazy("个"), "%": "%"}


def unit_label(unit: str) -> str:
    """The unit in the active language ("人" → "persons"); "%" is the same everywhere."""
    return str(UNIT_LABELS.get(unit, unit))


def unit_suffix(unit: str) -> str:
    """The unit after a heading: "（人）" in Chinese, " (persons)" in English; nothing without a unit."""
    return _("（%(unit)s）") % {"unit": unit_label(unit)} if unit else ""


def name_suffix(unit: str) -> str:
    """The unit after an indicator's name beside its value: none for a rate (the value shows its %)."""
    return "" if unit == "%" else unit_suffix(unit)


def cell_text(cell, indicator: Indicator) -> str:
    return SUPPRESSED_TEXT if cell.suppressed else number_text(cell.value, indicator.unit)


def chart_value(cell) -> float | None:
    """A number for ECharts (null for a suppressed or empty cell: the chart leaves a gap)."""
    return None if cell.suppressed or cell.value is None else float(cell.value)


def people_url(
    indicator: Indicator,
    *,
    day: dt.date,
    region: Region | None = None,
    by: str | None = None,
    key: str | None = None,
    part: str = "numerator",
) -> str:
    params = {"day": day.isoformat(), "part": part}
    if region is not None:
        params["region"] = region.code
    if by:
        params["by"] = by
        params["key"] = key or ""
    return reverse("analytics:people", args=[indicator.code]) + "?" + urlencode(params)


def may_open_people(user, indicator: Indicator) -> bool:
    """Whether the figures link to the people behind them: frame indicators, for those entitled."""
    return indicator.kind == IndicatorKind.FRAME and may(user, Action.SEE_PEOPLE_BEHIND_FIGURES)


def _part_text(cell, value) -> str:
    if cell.suppressed:
        return SUPPRESSED_TEXT
    return "" if value is None else number_text(value)


def cell_row(
    cell,
    indicator: Indicator,
    *,
    day: dt.date,
    region: Region | None = None,
    by: str | None = None,
    links: bool = False,
    rank: int | None = None,
) -> dict:
    """One row of a figure's table; the numerator and denominator link to their people (never a suppressed
    cell's: a "<5" that opened a list of four names would undo the suppression)."""
    linked = links and not cell.suppressed
    key = cell.key if by else None
    return {
        "key": cell.key,
        "label": cell.label,
        "rank": rank,
        "suppressed": cell.suppressed,
        "value": cell_text(cell, indicator),
        "numerator": _part_text(cell, cell.numerator),
        "denominator": _part_text(cell, cell.denominator),
        "numerator_url": people_url(indicator, day=day, region=region, by=by, key=key)
        if linked and cell.numerator
        else "",
        "denominator_url": people_url(indicator, day=day, region=region, by=by, key=key, part="denominator")
        if linked and cell.denominator and indicator.denominator
        else "",
    }


def figure_rows(figure, *, links: bool) -> list[dict]:
    indicator = figure.indicator
    return [
        cell_row(cell, indicator, day=figure.day, region=figure.region, by=figure.by, links=links)
        for cell in figure.cells
    ]


def comparison_rows(indicator: Indicator, ranked, *, day: dt.date, links: bool) -> list[dict]:
    """The six counties ranked; each county's figures open that county's people."""
    by_code = {region.code: region for region in counties()}
    return [
        cell_row(cell, indicator, day=day, region=by_code.get(cell.key), links=links, rank=rank)
        for rank, cell in ranked
    ]


def series_rows(indicator: Indicator, cells) -> list[dict]:
    return [
        {
            "key": cell.key,
            "month": cell.key[:7],
            "value": cell_text(cell, indicator),
            "numerator": _part_text(cell, cell.numerator),
            "denominator": _part_text(cell, cell.denominator),
        }
        for cell in cells
    ]


def series_chart(indicator: Indicator, cells) -> dict:
    return {
        "name": indicator.display_name,
        "unit": indicator.unit,
        "months": [cell.key[:7] for cell in cells],
        "values": [chart_value(cell) for cell in cells],
    }


def tile_map(indicator: Indicator, ranked, *, openable: frozenset[str] = frozenset()) -> dict:
    """The six counties at their places on the schematic map, with the indicator's value and rank; the
    tiles of the counties in `openable` link to their county page."""
    names = {region.code: region.display_name for region in counties()}
    tiles = []
    for rank, cell in ranked:
        if cell.key not in TILES:
            continue
        x, y = TILES[cell.key]
        tiles.append(
            {
                "code": cell.key,
                "name": names.get(cell.key, cell.label),
                "x": x,
                "y": y,
                "value": chart_value(cell),
                "text": cell_text(cell, indicator),
                "rank": rank,
                "url": reverse("analytics:county", args=[cell.key]) if cell.key in openable else "",
            }
        )
    return {"name": indicator.display_name, "unit": indicator.unit, "tiles": tiles}


def bars(figure) -> dict:
    return {
        "name": figure.indicator.display_name,
        "unit": figure.indicator.unit,
        "labels": [cell.label for cell in figure.cells],
        "values": [chart_value(cell) for cell in figure.cells],
    }


def ranking_table(comparison: dict, indicators: dict) -> dict:
    """Counties down, indicators across: each cell the county's value and its rank among the six."""
    columns = [indicators[code] for code in comparison if code in indicators]
    rows: dict[str, dict] = {}
    for region in counties():
        rows[region.code] = {"code": region.code, "name": region.display_name, "cells": []}
    for indicator in columns:
        placed = {cell.key: (rank, cell) for rank, cell in comparison[indicator.code]}
        for code, row in rows.items():
            rank, cell = placed.get(code, (None, None))
            row["cells"].append(
                {"rank": rank, "value": cell_text(cell, indicator) if cell is not None else "—"}
            )
    return {
        "columns": [
            {"code": i.code, "name": i.display_name, "unit_suffix": unit_suffix(i.unit)} for i in columns
        ],
        "rows": list(rows.values()),
    }
