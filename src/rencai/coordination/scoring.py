"""How a target sheet scores: indicator items from what the registry measures, work items from the city's
score, bonus and deductions within their caps.

An indicator item earns `max_points × min(1, progress)`, where progress is how far the measured value has
moved from the baseline toward the target: `(measured − baseline) / (target − baseline)`, never below 0.
The same formula serves lower-is-better indicators (their target lies below the baseline). A target equal
to the baseline means "hold the line": full points when the measured value is at least as good.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from rencai.analytics.compute import region_value
from rencai.coordination.models import ItemKind, Section, TargetItem, TargetSheet

CENT = Decimal("0.01")
Unit = TypeVar("Unit")
ZERO = Decimal("0")


def measure_day(year: int, today: dt.date) -> dt.date:
    """The day a sheet of `year` is measured on: its last day, or today while the year runs."""
    return min(dt.date(year, 12, 31), today)


def progress(
    *, baseline: Decimal, target: Decimal, measured: Decimal | None, higher_is_better: bool
) -> Decimal | None:
    """How far from the baseline toward the target (1 = reached; may exceed 1 or fall below 0)."""
    if measured is None:
        return None
    span = target - baseline
    if span == 0:
        reached = measured >= target if higher_is_better else measured <= target
        return Decimal(1) if reached else ZERO
    return (measured - baseline) / span


def indicator_points(
    *,
    max_points: Decimal,
    baseline: Decimal,
    target: Decimal,
    measured: Decimal | None,
    higher_is_better: bool,
) -> Decimal:
    share = progress(baseline=baseline, target=target, measured=measured, higher_is_better=higher_is_better)
    if share is None:
        return ZERO
    share = min(Decimal(1), max(ZERO, share))
    return (max_points * share).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Line:
    """One item as scored: measured value and progress for indicators, points for all."""

    item: TargetItem
    measured: Decimal | None
    progress: Decimal | None
    points: Decimal | None


@dataclass(frozen=True)
class SheetScore:
    sheet: TargetSheet
    day: dt.date
    lines: list[Line]
    base: Decimal  # indicators + targets
    bonus: Decimal  # within the cap
    deductions: Decimal  # within the cap
    total: Decimal


def measure(item: TargetItem, *, region, day: dt.date) -> Decimal | None:
    """The registry's value of an indicator item's indicator for the sheet's region on `day`."""
    return region_value(item.indicator_code, region=region, day=day)


def line_for(item: TargetItem, *, region, day: dt.date, live: bool) -> Line:
    """Score one item. `live`: measure indicators now; otherwise use what was measured and kept."""
    if item.kind != ItemKind.INDICATOR:
        return Line(item=item, measured=None, progress=None, points=item.points)
    measured = measure(item, region=region, day=day) if live else item.measured_value
    assert item.baseline is not None and item.target_value is not None  # a CHECK constraint
    share = progress(
        baseline=item.baseline,
        target=item.target_value,
        measured=measured,
        higher_is_better=item.higher_is_better,
    )
    points = indicator_points(
        max_points=item.max_points,
        baseline=item.baseline,
        target=item.target_value,
        measured=measured,
        higher_is_better=item.higher_is_better,
    )
    return Line(item=item, measured=measured, progress=share, points=points)


def score_sheet(sheet: TargetSheet, *, day: dt.date, live: bool = True, items=None) -> SheetScore:
    """The whole sheet as scored on `day` (live: indicators measured from the registry now)."""
    region = sheet.region  # a department's sheet carries its department's region
    rows = list(items if items is not None else sheet.items.all())
    lines = [line_for(item, region=region, day=day, live=live) for item in rows]

    def total_of(*sections: str) -> Decimal:
        return sum((line.points or ZERO for line in lines if line.item.section in sections), ZERO)

    base = total_of(Section.INDICATORS, Section.TARGETS)
    bonus = min(sheet.bonus_cap, total_of(Section.BONUS))
    deductions = min(sheet.deduction_cap, total_of(Section.DEDUCTIONS))
    total = (base + bonus - deductions).quantize(CENT, rounding=ROUND_HALF_UP)
    return SheetScore(
        sheet=sheet, day=day, lines=lines, base=base, bonus=bonus, deductions=deductions, total=total
    )


def rank(scores: list[tuple[Unit, Decimal]]) -> list[tuple[int, Unit, Decimal]]:
    """Competition ranking (1, 2, 2, 4), best total first."""
    ordered = sorted(scores, key=lambda pair: pair[1], reverse=True)
    ranked: list[tuple[int, Unit, Decimal]] = []
    for position, (unit, total) in enumerate(ordered, start=1):
        place = ranked[-1][0] if ranked and ranked[-1][2] == total else position
        ranked.append((place, unit, total))
    return ranked
