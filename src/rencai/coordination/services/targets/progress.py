"""The year of a sheet: the unit agrees to its targets, the city checks it at mid-year (indicators measured
from the registry), the unit self-assesses its work items with evidence."""

import datetime as dt
from decimal import Decimal

from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rencai.accounts.models import User
from rencai.coordination import scoring
from rencai.coordination.models import (
    ItemKind,
    Section,
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
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.errors import Problem, ValidationFailed, problem


def sheet_agree(*, actor: User, sheet: TargetSheet, comment: str = "") -> TargetSheet:
    """The unit agrees to its targets at the start of the year."""
    require(actor, Action.ASSESS_TARGETS, sheet)
    with transaction.atomic():
        move(sheet, S.AGREED, actor=actor, party=Party.UNIT, comment=comment)
    return sheet


def sheet_midyear(
    *, actor: User, sheet: TargetSheet, note: str = "", today: dt.date | None = None
) -> TargetSheet:
    """The city records the mid-year check: indicator items are measured from the registry and kept."""
    require(actor, Action.SET_TARGETS, sheet)
    day = scoring.measure_day(sheet.year, today or timezone.localdate())
    with transaction.atomic():
        move(sheet, S.MIDYEAR, actor=actor, party=Party.CITY, comment=note, midyear_note=note.strip())
        keep_measurements(sheet, day)
    return sheet


def keep_measurements(sheet: TargetSheet, day: dt.date) -> scoring.SheetScore:
    score = scoring.score_sheet(sheet, day=day, live=True)
    for line in score.lines:
        if line.item.kind == ItemKind.INDICATOR:
            line.item.measured_value = line.measured
            line.item.measured_on = day
            line.item.points = line.points
            line.item.save(update_fields=["measured_value", "measured_on", "points"])
    return score


def item_self_assess(
    *, actor: User, item: TargetItem, claimed_points, evidence: str, evidence_file: File | None = None
) -> TargetItem:
    """The unit's claim on a work item, with its evidence (text, and an optional bounded upload)."""
    from rencai.onestop.services.materials import MATERIAL_EXTENSIONS, original_name

    require(actor, Action.ASSESS_TARGETS, item)
    sheet = item.sheet
    refuse_if_locked(sheet)
    if sheet.state != S.MIDYEAR:
        raise IllegalSheetTransition(sheet.state, S.SELF_ASSESSED)
    problems: list[Problem] = []
    if item.section != Section.TARGETS:
        problems.append(
            problem("item", "只有重点任务需要自评；指标由名录测算", "Only work items are self-assessed")
        )
    claimed = decimal_field(claimed_points, "claimed_points", "自评分", "claimed points", problems)
    if claimed is not None and not Decimal("0") <= claimed <= item.max_points:
        problems.append(
            problem(
                "claimed_points",
                f"自评分应在0到{item.max_points}分之间",
                f"The claim must be between 0 and {item.max_points}",
            )
        )
    if not evidence.strip():
        problems.append(problem("evidence", "请填写佐证说明", "Describe the evidence"))
    if evidence_file is not None:
        from django.conf import settings

        name = original_name(evidence_file)
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in MATERIAL_EXTENSIONS:
            kinds = "、".join(sorted(MATERIAL_EXTENSIONS))
            problems.append(
                problem(
                    "evidence_file",
                    f"不支持的文件类型“{name}”，请上传 {kinds} 文件",
                    f"{name!r} is not a supported file type; upload one of {kinds}",
                )
            )
        limit = settings.RENCAI_MATERIAL_MAX_BYTES
        if (getattr(evidence_file, "size", None) or 0) > limit:
            problems.append(
                problem(
                    "evidence_file",
                    f"文件过大，单个文件不能超过 {limit // 1024 // 1024} MB",
                    f"The file is too large; the limit is {limit // 1024 // 1024} MB",
                )
            )
    if problems:
        raise ValidationFailed(problems)
    with transaction.atomic():
        before = audit.snapshot(item)
        item.claimed_points = claimed
        item.evidence = evidence.strip()
        if evidence_file is not None:
            item.evidence_file.save(original_name(evidence_file), evidence_file, save=False)
        item.save()
        audit.record_change(actor=actor, action="coordination.item.self_assess", obj=item, before=before)
    return item


def sheet_self_assess(*, actor: User, sheet: TargetSheet, summary: str) -> TargetSheet:
    """The unit submits its year-end self-assessment: every work item claimed with evidence."""
    require(actor, Action.ASSESS_TARGETS, sheet)
    expect_state(sheet, S.MIDYEAR, S.SELF_ASSESSED)
    problems: list[Problem] = []
    if not summary.strip():
        problems.append(problem("self_assessment", "请填写自评总结", "Write the self-assessment summary"))
    missing = sheet.items.filter(section=Section.TARGETS).filter(
        Q(claimed_points__isnull=True) | Q(evidence="")
    )
    for item in missing:
        problems.append(
            problem(
                f"item-{item.pk}",
                f"“{item.title}”尚未自评或缺少佐证",
                f"'{item.title}' has no claim or no evidence yet",
            )
        )
    if problems:
        raise ValidationFailed(problems)
    with transaction.atomic():
        move(
            sheet,
            S.SELF_ASSESSED,
            actor=actor,
            party=Party.UNIT,
            comment=summary,
            self_assessment=summary.strip(),
        )
    return sheet
