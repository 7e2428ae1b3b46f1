"""Scoring and the lock (the city): work items scored, indicators measured on the year's last day, the result
approved and locked, and the circular issued when the year's last sheet is locked."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from rencai.accounts.models import User
from rencai.coordination import scoring
from rencai.coordination.models import (
    ItemKind,
    TargetItem,
    TargetSheet,
)
from rencai.coordination.services.target_states import (
    IllegalSheetTransition,
    Party,
    S,
    decimal_field,
    expect_state,
    move,
    refuse_if_locked,
)
from rencai.coordination.services.targets.progress import (
    keep_measurements,
    sheet_agree,
    sheet_midyear,
    sheet_self_assess,
)
from rencai.coordination.services.targets.setting import sheet_issue
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.errors import Problem, ValidationFailed, problem
from rencai.core.models import Region, RegionLevel


def item_score(*, actor: User, item: TargetItem, points, comment: str = "") -> TargetItem:
    """The city's score of a work item, with its comment (indicator items are measured, never scored)."""
    require(actor, Action.SET_TARGETS, item)
    sheet = item.sheet
    refuse_if_locked(sheet)
    problems: list[Problem] = []
    if sheet.state != S.SELF_ASSESSED:
        raise IllegalSheetTransition(sheet.state, S.SCORED)
    if item.kind == ItemKind.INDICATOR:
        problems.append(
            problem(
                "points", "指标得分由名录测算，不能手工填写", "Indicator points are measured, never typed in"
            )
        )
    value = decimal_field(points, "points", "得分", "points", problems)
    if value is not None and not Decimal("0") <= value <= item.max_points:
        problems.append(
            problem(
                "points",
                f"得分应在0到{item.max_points}分之间",
                f"Points must be between 0 and {item.max_points}",
            )
        )
    if problems:
        raise ValidationFailed(problems)
    with transaction.atomic():
        before = audit.snapshot(item)
        item.points = value
        item.comment = comment.strip()
        item.save(update_fields=["points", "comment"])
        audit.record_change(actor=actor, action="coordination.item.score", obj=item, before=before)
    return item


def sheet_score(
    *, actor: User, sheet: TargetSheet, comment: str = "", today: dt.date | None = None
) -> TargetSheet:
    """The year-end score: indicators measured from the registry on the year's last day (or today while the
    year runs), every work item scored by the city, bonus and deductions within their caps."""
    require(actor, Action.SET_TARGETS, sheet)
    expect_state(sheet, S.SELF_ASSESSED, S.SCORED)
    unscored = sheet.items.filter(kind=ItemKind.WORK, points__isnull=True)
    if unscored.exists():
        raise ValidationFailed(
            [
                problem(f"item-{item.pk}", f"“{item.title}”尚未评分", f"'{item.title}' has no score yet")
                for item in unscored
            ]
        )
    day = scoring.measure_day(sheet.year, today or timezone.localdate())
    with transaction.atomic():
        score = keep_measurements(sheet, day)
        move(
            sheet,
            S.SCORED,
            actor=actor,
            party=Party.CITY,
            comment=comment,
            total=score.total,
            score_comment=comment.strip(),
        )
    return sheet


def sheet_return(*, actor: User, sheet: TargetSheet, comment: str) -> TargetSheet:
    """Send a self-assessed sheet back to its unit, or re-open a scored one for scoring."""
    require(actor, Action.SET_TARGETS, sheet)
    if not comment.strip():
        raise ValidationFailed([problem("comment", "请说明退回理由", "Give the reason")])
    back = S.MIDYEAR if sheet.state == S.SELF_ASSESSED else S.SELF_ASSESSED
    with transaction.atomic():
        move(sheet, back, actor=actor, party=Party.CITY, comment=comment)
    return sheet


def sheet_lock(*, actor: User, sheet: TargetSheet, comment: str = "") -> TargetSheet:
    """The city approves and locks the result; nothing about the sheet changes after (a database fact).
    When this locks the last open sheet of the year and every county has one, the year's circular is
    issued (otherwise the city issues it when it chooses, `circulars.circular_issue`)."""
    require(actor, Action.SET_TARGETS, sheet)
    with transaction.atomic():
        move(sheet, S.LOCKED, actor=actor, party=Party.CITY, comment=comment)
        if _year_locked(sheet.year):
            from rencai.coordination import circulars

            if not circulars.exists_for(sheet.year):
                circulars.circular_issue(actor=actor, year=sheet.year)
    return sheet


def _year_locked(year: int) -> bool:
    """Every county has a sheet for the year, and every sheet of the year (the counties', the city's own,
    the departments') is locked: the circular then ranks them all."""
    counties = set(Region.objects.filter(level=RegionLevel.COUNTY).values_list("pk", flat=True))
    locked = set(county_sheets(year).filter(state=S.LOCKED).values_list("region_id", flat=True))
    if not counties or not counties <= locked:
        return False
    return not TargetSheet.objects.filter(year=year).exclude(state=S.LOCKED).exists()


def county_sheets(year: int):
    """The county sheets of a year (not the city's own, not the departments')."""
    return TargetSheet.objects.filter(year=year, department__isnull=True, region__level=RegionLevel.COUNTY)


def sheet_move(*, actor: User, sheet: TargetSheet, to: str, comment: str = "") -> TargetSheet:
    """Move a sheet to state `to` by the service that owns that move (for the page's buttons and the API)."""
    refuse_if_locked(sheet)
    if (to == S.MIDYEAR and sheet.state == S.SELF_ASSESSED) or (
        to == S.SELF_ASSESSED and sheet.state == S.SCORED
    ):
        return sheet_return(actor=actor, sheet=sheet, comment=comment)
    moves = {
        S.ISSUED: lambda: sheet_issue(actor=actor, sheet=sheet, comment=comment),
        S.AGREED: lambda: sheet_agree(actor=actor, sheet=sheet, comment=comment),
        S.MIDYEAR: lambda: sheet_midyear(actor=actor, sheet=sheet, note=comment),
        S.SELF_ASSESSED: lambda: sheet_self_assess(actor=actor, sheet=sheet, summary=comment),
        S.SCORED: lambda: sheet_score(actor=actor, sheet=sheet, comment=comment),
        S.LOCKED: lambda: sheet_lock(actor=actor, sheet=sheet, comment=comment),
    }
    if to not in S.values:
        raise ValidationFailed([problem("to", "未知的状态", f"Unknown state {to!r}")])
    chosen = moves.get(S(to))
    if chosen is None:  # draft: nothing returns a sheet to a draft
        raise IllegalSheetTransition(sheet.state, to)
    return chosen()
