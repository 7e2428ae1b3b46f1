"""The printable monthly report (人才工作统计月报): the month's headline figures with the change on the month
before and on the same month a year earlier, the six counties ranked, the last twelve months as small tables
with a static SVG line (no script, so it prints), and the structure of the talent teams.

Everything comes from one `compute.dashboard` call for the month's last day (today for the month under way),
in the reader's scope: a county officer's report is their county's, with the comparison.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from rencai.analytics import compute
from rencai.core.errors import NotFound

FIRST_MONTH = dt.date(2015, 1, 1)  # the series start; an earlier report would be empty
SPARK_WIDTH, SPARK_HEIGHT = 240, 48


@dataclass(frozen=True)
class Month:
    first: dt.date
    day: dt.date  # the day the figures are taken: the month's last day, or today for the current month
    number: int  # the number within its year (the month)

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}"


def month_of(text: str, *, today: dt.date | None = None) -> Month:
    """The month of "yyyy-mm", between January 2015 and this month; anything else is 404."""
    today = today or timezone.localdate()
    try:
        year, month = (int(part) for part in text.split("-"))
        first = dt.date(year, month, 1)
    except ValueError as error:
        raise NotFound("没有这一期月报", "No report for that month") from error
    if not FIRST_MONTH <= first <= today:
        raise NotFound("没有这一期月报", "No report for that month")
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return Month(first=first, day=min(following - dt.timedelta(days=1), today), number=month)


def previous_month(month: Month) -> str | None:
    before = month.first - dt.timedelta(days=1)
    return f"{before:%Y-%m}" if before >= FIRST_MONTH else None


def next_month(month: Month, today: dt.date) -> str | None:
    after = (month.first + dt.timedelta(days=32)).replace(day=1)
    return f"{after:%Y-%m}" if after <= today else None


def _value_at(cells, key_prefix: str):
    for cell in cells:
        if cell.key.startswith(key_prefix):
            return cell
    return None


def _change(now, before) -> Decimal | None:
    if now is None or before is None or now.suppressed or before.suppressed:
        return None
    if now.value is None or before.value is None:
        return None
    return Decimal(now.value) - Decimal(before.value)


def sparkline(values: list[float | None]) -> str:
    """The points of an SVG polyline for `values` (gaps skipped), scaled into SPARK_WIDTH × SPARK_HEIGHT."""
    known = [value for value in values if value is not None]
    if len(known) < 2:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = SPARK_WIDTH / max(len(values) - 1, 1)
    points = [
        f"{index * step:.1f},{SPARK_HEIGHT - 4 - (value - low) / span * (SPARK_HEIGHT - 8):.1f}"
        for index, value in enumerate(values)
        if value is not None
    ]
    return " ".join(points)


def monthly_report(*, user, month: Month) -> dict:
    """The report's content for `user`: figures (compute's Figure/Cell), changes and the twelve months."""
    board = compute.dashboard(user=user, day=month.day)
    previous = previous_month(month)
    year_before = f"{month.first.year - 1:04d}-{month.first.month:02d}"
    headline = []
    for figure in board["headline"]:
        trend = board["trends"].get(figure.indicator.code, [])
        last = _value_at(trend, previous) if previous else None
        a_year_ago = _value_at(trend, year_before)
        headline.append(
            {
                "figure": figure,
                "on_month": _change(figure.total, last),
                "on_year": _change(figure.total, a_year_ago),
            }
        )
    twelve = {}
    for figure in board["headline"]:
        cells = [
            cell
            for cell in board["trends"].get(figure.indicator.code, [])
            if cell.key <= month.day.isoformat()
        ]
        cells = cells[-12:]
        if cells:
            twelve[figure.indicator.code] = {
                "indicator": figure.indicator,
                "cells": cells,
                "spark": sparkline(
                    [None if c.suppressed or c.value is None else float(c.value) for c in cells]
                ),
            }
    return {
        "day": board["day"],
        "region": board.get("region"),
        "headline": headline,
        "comparison": board["comparison"],
        "twelve": twelve,
        "structure": board["structure"],
    }
