"""A department's list for the year (职责清单): the list itself, its duties, its weak points,
breakthroughs and innovations (薄弱点、突破点、创新点), and the text and year checks the other parts share."""

from django.db import transaction

from rencai.accounts.models import User
from rencai.coordination.models import (
    Duty,
    FocusKind,
    FocusPoint,
    WorkList,
)
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.errors import Problem, ValidationFailed, problem
from rencai.registry.models import Department

MAX_TITLE = 200
MAX_NAME = 100
MAX_TEXT = 4000
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _text(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def _year_problems(year: int) -> list[Problem]:
    if FIRST_YEAR <= year <= LAST_YEAR:
        return []
    return [problem("year", "年度超出范围", "The year is out of range")]


# -- the year's list ----------------------------------------------------------------------------------------


@transaction.atomic
def worklist_create(
    *, actor: User, department: Department, year: int, lead_officer: str = "", head: User | None = None
) -> WorkList:
    """A department's list for a year (one per department and year)."""
    worklist = WorkList(department=department, region_id=department.region_id, year=year)
    require(actor, Action.KEEP_WORKLIST, worklist)
    problems = _year_problems(year)
    if WorkList.objects.filter(department=department, year=year).exists():
        problems.append(
            problem("year", "该部门本年度的清单已建立", "The department already has a list for this year")
        )
    if problems:
        raise ValidationFailed(problems)
    worklist.lead_officer, worklist.head = _text(lead_officer, MAX_NAME), head
    worklist.save()
    audit.record_creation(actor=actor, action="coordination.worklist.create", obj=worklist)
    return worklist


@transaction.atomic
def worklist_update(*, actor: User, worklist: WorkList, lead_officer: str, head: User | None) -> WorkList:
    require(actor, Action.KEEP_WORKLIST, worklist)
    worklist = WorkList.objects.select_for_update().get(pk=worklist.pk)
    before = audit.snapshot(worklist)
    worklist.lead_officer, worklist.head = _text(lead_officer, MAX_NAME), head
    worklist.save()
    audit.record_change(actor=actor, action="coordination.worklist.update", obj=worklist, before=before)
    return worklist


@transaction.atomic
def duty_add(*, actor: User, worklist: WorkList, text: str, lead_officer: str = "") -> Duty:
    require(actor, Action.KEEP_WORKLIST, worklist)
    if not _text(text, MAX_TEXT):
        raise ValidationFailed([problem("text", "请填写职责内容", "Give the duty")])
    position = worklist.duties.count() + 1
    duty = Duty.objects.create(
        worklist=worklist,
        position=position,
        text=_text(text, MAX_TEXT),
        lead_officer=_text(lead_officer, MAX_NAME),
    )
    audit.record_creation(actor=actor, action="coordination.duty.create", obj=duty)
    return duty


@transaction.atomic
def duty_remove(*, actor: User, duty: Duty) -> None:
    require(actor, Action.KEEP_WORKLIST, duty.worklist)
    before = audit.snapshot(duty)
    audit.record(actor=actor, action="coordination.duty.delete", obj=duty, detail={"before": before})
    duty.delete()


@transaction.atomic
def focus_add(*, actor: User, worklist: WorkList, kind: str, title: str, detail: str = "") -> FocusPoint:
    """A weak point, breakthrough or innovation of the department's year."""
    require(actor, Action.KEEP_WORKLIST, worklist)
    problems = []
    if kind not in FocusKind.values:
        problems.append(problem("kind", "请选择类型", "Choose the kind"))
    if not _text(title, MAX_TITLE):
        problems.append(problem("title", "请填写标题", "Give the title"))
    if problems:
        raise ValidationFailed(problems)
    position = worklist.focus_points.filter(kind=kind).count() + 1
    point = FocusPoint.objects.create(
        worklist=worklist,
        kind=kind,
        position=position,
        title=_text(title, MAX_TITLE),
        detail=_text(detail, MAX_TEXT),
    )
    audit.record_creation(actor=actor, action="coordination.focus.create", obj=point)
    return point


@transaction.atomic
def focus_remove(*, actor: User, point: FocusPoint) -> None:
    require(actor, Action.KEEP_WORKLIST, point.worklist)
    audit.record(
        actor=actor, action="coordination.focus.delete", obj=point, detail={"before": audit.snapshot(point)}
    )
    point.delete()
