"""Setting targets (the city): a draft sheet for a county, the city itself or a department, its lines (the
indicator and target items worth 100 points; bonus and deduction items within the sheet's caps, a database
fact too, migration 0004), and the issue to the assessed unit."""

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from rencai.accounts.models import Role, User
from rencai.coordination import scoring
from rencai.coordination.models import (
    ItemKind,
    Section,
    TargetItem,
    TargetSheet,
)
from rencai.coordination.services.target_states import (
    Party,
    PointsNot100,
    S,
    SheetLocked,
    decimal_field,
    move,
    refuse_if_locked,
)
from rencai.core import audit
from rencai.core.access import Action, holders, require
from rencai.core.errors import Problem, ValidationFailed, problem
from rencai.core.models import Region
from rencai.core.notifications import notify
from rencai.registry.models import Department

HUNDRED = Decimal("100")
KIND_ISSUED = "coordination.target.issued"


def sheet_link(sheet: TargetSheet) -> str:
    return reverse("coordination:target_sheet", args=[sheet.pk])


# -- setting targets (the city) ----------------------------------------------------------------------


def sheet_create(
    *,
    actor: User,
    year: int,
    region: Region | None = None,
    department: Department | None = None,
    bonus_cap: Decimal = Decimal("5"),
    deduction_cap: Decimal = Decimal("10"),
) -> TargetSheet:
    """A draft sheet for a region (the city or a county) or a department, one per unit and year."""
    require(actor, Action.SET_TARGETS)
    problems = []
    if (region is None) == (department is None):
        problems.append(
            problem(
                "unit", "请选择被考核的县（市、区）或部门（二选一）", "Choose either a region or a department"
            )
        )
    if not 2000 <= int(year) <= 2100:
        problems.append(problem("year", "年度超出范围", "The year is out of range"))
    if bonus_cap < 0 or deduction_cap < 0:
        problems.append(problem("bonus_cap", "加扣分上限不能为负数", "The caps cannot be negative"))
    if problems:
        raise ValidationFailed(problems)
    unit_region = department.region if department is not None else region
    assert unit_region is not None
    taken = TargetSheet.objects.filter(year=year)
    taken = (
        taken.filter(department=department) if department else taken.filter(region=region, department=None)
    )
    if taken.exists():
        raise ValidationFailed(
            [problem("unit", "该单位本年度已有考核表", "This unit already has a sheet for that year")]
        )
    try:
        with transaction.atomic():
            sheet = TargetSheet.objects.create(
                year=year,
                region=unit_region,
                department=department,
                bonus_cap=bonus_cap,
                deduction_cap=deduction_cap,
                created_by=actor,
            )
            audit.record_creation(actor=actor, action="coordination.sheet.create", obj=sheet)
    except IntegrityError as error:  # two officers at once: the unique index decides
        raise ValidationFailed(
            [problem("unit", "该单位本年度已有考核表", "This unit already has a sheet for that year")]
        ) from error
    return sheet


def _indicator_problems(code: str, baseline, target, problems: list[Problem]):
    from rencai.analytics.models import Indicator

    indicator = Indicator.objects.filter(code=code, active=True).first() if code else None
    if indicator is None:
        problems.append(problem("indicator_code", "请选择一个启用的统计指标", "Choose an active indicator"))
        return None
    if baseline is not None and target is not None:
        wrong_way = target < baseline if indicator.higher_is_better else target > baseline
        if wrong_way:
            problems.append(
                problem(
                    "target_value",
                    "目标值应优于基数（该指标越高越好）"
                    if indicator.higher_is_better
                    else "目标值应低于基数（该指标越低越好）",
                    "The target must improve on the baseline "
                    + ("(higher is better)" if indicator.higher_is_better else "(lower is better)"),
                )
            )
    return indicator


def item_add(
    *,
    actor: User,
    sheet: TargetSheet,
    section: str,
    title: str,
    max_points,
    description: str = "",
    indicator_code: str = "",
    target_value=None,
    baseline=None,
    reason: str = "",
) -> TargetItem:
    """Add a line to a sheet. Indicator and target items only while it is a draft (they make up the 100
    points); bonus and deduction items, with a reason, until it is locked. An indicator item's baseline,
    when not given, is measured: the registry's value on the last day of the previous year."""
    require(actor, Action.SET_TARGETS, sheet)
    refuse_if_locked(sheet)
    problems: list[Problem] = []
    if section not in Section.values:
        problems.append(problem("section", "请选择考核类别", "Choose a section"))
    if not title.strip():
        problems.append(problem("title", "请填写考核内容", "Enter what is assessed"))
    points = decimal_field(max_points, "max_points", "分值", "points", problems)
    if points is not None and not Decimal("0") < points <= HUNDRED:
        problems.append(problem("max_points", "分值应在0到100之间", "Points must be between 0 and 100"))
    if section in (Section.INDICATORS, Section.TARGETS) and sheet.state != S.DRAFT:
        problems.append(
            problem(
                "section",
                "考核表已下达，指标和重点任务不能再增加",
                "The sheet is issued; its 100 points are fixed",
            )
        )
    if section in (Section.BONUS, Section.DEDUCTIONS) and not reason.strip():
        problems.append(problem("reason", "请填写加扣分理由", "Give the reason for the bonus or deduction"))
    kind = ItemKind.INDICATOR if section == Section.INDICATORS else ItemKind.WORK
    target = base = None
    higher = True
    if kind == ItemKind.INDICATOR:
        target = decimal_field(target_value, "target_value", "目标值", "target value", problems)
        base = decimal_field(baseline, "baseline", "基数", "baseline", problems, required=False)
        indicator = _indicator_problems(indicator_code, base, target, problems)
        if indicator is not None:
            higher = indicator.higher_is_better
            if base is None:
                base = scoring.measure(
                    TargetItem(indicator_code=indicator_code),
                    region=sheet.region,
                    day=dt.date(sheet.year - 1, 12, 31),
                )
                if base is None:
                    problems.append(
                        problem(
                            "baseline",
                            "无法从名录测算基数，请填写",
                            "The baseline cannot be measured; enter it",
                        )
                    )
                elif target is not None and (target < base if higher else target > base):
                    problems.append(
                        problem(
                            "target_value",
                            f"目标值应优于测算的基数 {base}",
                            f"The target must improve on the measured baseline {base}",
                        )
                    )
    if points is not None:
        problems += cap_problems(sheet, section, points)
    if problems:
        raise ValidationFailed(problems)
    try:
        with transaction.atomic():
            position = (sheet.items.filter(section=section).aggregate(last=Max("position"))["last"] or 0) + 1
            item = TargetItem.objects.create(
                sheet=sheet,
                section=section,
                kind=kind,
                position=position,
                title=title.strip(),
                description=description.strip(),
                max_points=points,
                indicator_code=indicator_code if kind == ItemKind.INDICATOR else "",
                baseline=base,
                target_value=target,
                higher_is_better=higher,
                reason=reason.strip(),
                # a bonus or deduction is the city's own finding: its points are the score
                points=points if section in (Section.BONUS, Section.DEDUCTIONS) else None,
            )
            audit.record_creation(actor=actor, action="coordination.item.create", obj=item)
    except IntegrityError as error:  # the triggers: issued, locked or capped meanwhile by another officer
        if TargetSheet.objects.filter(pk=sheet.pk, state=S.LOCKED).exists():
            raise SheetLocked() from error
        capped = cap_problems(sheet, section, points) if points is not None else []
        if capped:
            raise ValidationFailed(capped) from error
        raise ValidationFailed(
            [
                problem(
                    "section",
                    "考核表已下达，指标和重点任务不能再增加",
                    "The sheet is issued; its 100 points are fixed",
                )
            ]
        ) from error
    return item


def cap_problems(sheet: TargetSheet, section: str, points: Decimal) -> list[Problem]:
    """A bonus (deduction) item of `points` would take the sheet past its bonus (deduction) cap: the message
    for what the database refuses too (migration 0004)."""
    if section not in (Section.BONUS, Section.DEDUCTIONS):
        return []
    fresh = TargetSheet.objects.filter(pk=sheet.pk).values("bonus_cap", "deduction_cap").first()
    if fresh is None:
        return []
    bonus = section == Section.BONUS
    cap = fresh["bonus_cap"] if bonus else fresh["deduction_cap"]
    used = TargetItem.objects.filter(sheet_id=sheet.pk, section=section).aggregate(total=Sum("max_points"))[
        "total"
    ] or Decimal("0")
    if used + points <= cap:
        return []
    limit, spent = f"{cap.normalize():f}", f"{Decimal(used).normalize():f}"
    return [
        problem(
            "max_points",
            f"超过本表的{'加分' if bonus else '扣分'}上限 {limit} 分（已用 {spent} 分）",
            f"Over the sheet's {'bonus' if bonus else 'deduction'} cap of {limit} ({spent} used)",
        )
    ]


def item_remove(*, actor: User, item: TargetItem) -> None:
    """Remove a line: any line of a draft, a bonus or deduction until the lock."""
    require(actor, Action.SET_TARGETS, item)
    sheet = item.sheet
    refuse_if_locked(sheet)
    if item.section in (Section.INDICATORS, Section.TARGETS) and sheet.state != S.DRAFT:
        raise ValidationFailed(
            [
                problem(
                    "item",
                    "考核表已下达，指标和重点任务不能删除",
                    "The sheet is issued; its 100 points are fixed",
                )
            ]
        )
    with transaction.atomic():
        audit.record(
            actor=actor, action="coordination.item.delete", obj=item, detail={"before": audit.snapshot(item)}
        )
        item.delete()


def points_problems(sheet: TargetSheet) -> list[Problem]:
    total = sheet.items.filter(section__in=[Section.INDICATORS, Section.TARGETS]).aggregate(
        total=Sum("max_points")
    )["total"] or Decimal("0")
    if total != HUNDRED:
        return [
            problem(
                "items",
                f"指标和重点任务的分值合计应为100分，现为 {total.normalize():f} 分",
                f"The indicator and target items must total 100 points; they total {total.normalize():f}",
            )
        ]
    return []


def assessors(sheet: TargetSheet) -> list[User]:
    """The users who agree to and self-assess the sheet for its unit."""
    users = User.objects.filter(holders(Action.ASSESS_TARGETS), is_active=True)
    if sheet.department_id:
        users = users.filter(role=Role.DEPARTMENT, department_id=sheet.department_id)
    else:
        users = users.filter(role=Role.COUNTY_ORG_DEPT, region_id=sheet.region_id)
    return list(users)


def _tell(users, *, subject: str, body: str, link: str, kind: str) -> None:
    for user in {user.pk: user for user in users}.values():
        notify(recipient=user, subject=subject, body=body, link=link, kind=kind)


def sheet_issue(*, actor: User, sheet: TargetSheet, comment: str = "") -> TargetSheet:
    """Send the sheet to its unit. Its indicator and target items must total 100 points (and the database
    refuses otherwise)."""
    require(actor, Action.SET_TARGETS, sheet)
    problems = points_problems(sheet)
    if problems:
        raise PointsNot100(problems)
    try:
        with transaction.atomic():
            move(sheet, S.ISSUED, actor=actor, party=Party.CITY, comment=comment)
            _tell(
                assessors(sheet),
                subject=_("%(year)s年度目标责任考核表已下达") % {"year": sheet.year},
                body=_("请确认%(unit)s的%(year)s年度目标责任考核表。")
                % {"unit": sheet.unit_name, "year": sheet.year},
                link=sheet_link(sheet),
                kind=KIND_ISSUED,
            )
    except IntegrityError as error:  # the trigger: an item changed between the check and the move
        raise PointsNot100(points_problems(sheet)) from error
    return sheet
