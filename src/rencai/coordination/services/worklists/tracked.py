"""The ledger (工作台账): work items of a department's list and the projects a county's first secretary leads
(一把手项目), their status, milestones on working days and progress notes."""

import datetime as dt

from django.db import transaction

from rencai.accounts.models import User
from rencai.coordination.models import (
    ItemStatus,
    Leader,
    Milestone,
    ProgressNote,
    SecretaryProject,
    WorkItem,
    WorkList,
)
from rencai.coordination.services.worklists.lists import MAX_NAME, MAX_TEXT, MAX_TITLE, _text, _year_problems
from rencai.core import audit
from rencai.core.access import Action, may, require
from rencai.core.calendar import add_working_days_or_estimate
from rencai.core.errors import DomainError, ErrorCode, Problem, ValidationFailed, problem
from rencai.core.models import Region

Tracked = WorkItem | SecretaryProject


def _owner_problems(owner: User | None, obj) -> list[Problem]:
    """The owner keeps the ledger: they must hold the right to keep this very row."""
    if owner is None or may(owner, Action.KEEP_WORKLIST, obj):
        return []
    return [
        problem(
            "owner", "台账维护人须是本部门（本辖区）的工作人员", "The owner must be an officer of the unit"
        )
    ]


@transaction.atomic
def work_item_create(
    *,
    actor: User,
    worklist: WorkList,
    title: str,
    responsible: str,
    description: str = "",
    owner: User | None = None,
) -> WorkItem:
    item = WorkItem(worklist=worklist, department_id=worklist.department_id, region_id=worklist.region_id)
    require(actor, Action.KEEP_WORKLIST, item)
    problems = _tracked_problems(title, responsible) + _owner_problems(owner, item)
    if problems:
        raise ValidationFailed(problems)
    item.title, item.responsible = _text(title, MAX_TITLE), _text(responsible, MAX_NAME)
    item.description, item.owner = _text(description, MAX_TEXT), owner or actor
    item.save()
    audit.record_creation(actor=actor, action="coordination.work_item.create", obj=item)
    return item


def _tracked_problems(title: str, responsible: str, responsible_required: bool = True) -> list[Problem]:
    problems = []
    if not _text(title, MAX_TITLE):
        problems.append(problem("title", "请填写名称", "Give the title"))
    if responsible_required and not _text(responsible, MAX_NAME):
        problems.append(problem("responsible", "请填写责任人", "Give the responsible person"))
    return problems


@transaction.atomic
def project_create(
    *,
    actor: User,
    region: Region,
    year: int,
    title: str,
    leader_name: str = "",
    leader: Leader | None = None,
    description: str = "",
    responsible: str = "",
    owner: User | None = None,
) -> SecretaryProject:
    """A project the county's first secretary leads; the leader's name comes from the `Leader` post when one
    is given."""
    project = SecretaryProject(region=region, year=year)
    require(actor, Action.KEEP_WORKLIST, project)
    name = str(leader) if leader is not None else _text(leader_name, MAX_NAME)
    problems = _tracked_problems(title, responsible, responsible_required=False) + _year_problems(year)
    if not name:
        problems.append(problem("leader_name", "请填写牵头领导", "Give the leading secretary"))
    if leader is not None and leader.region_id != region.pk:
        problems.append(
            problem("leader", "牵头领导须是本县（市、区）的领导", "The leader must be of this county")
        )
    problems += _owner_problems(owner, project)
    if problems:
        raise ValidationFailed(problems)
    project.title, project.description = _text(title, MAX_TITLE), _text(description, MAX_TEXT)
    project.leader, project.leader_name = leader, name[:MAX_NAME]
    project.responsible, project.owner = _text(responsible, MAX_NAME), owner or actor
    project.save()
    audit.record_creation(actor=actor, action="coordination.project.create", obj=project)
    return project


# What an officer may set by hand; "overdue" is the sweep's (and leaves when the late milestone is done)
MANUAL_STATUSES = {
    ItemStatus.PLANNED: {ItemStatus.IN_PROGRESS, ItemStatus.DONE},
    ItemStatus.IN_PROGRESS: {ItemStatus.DONE, ItemStatus.PLANNED},
    ItemStatus.OVERDUE: {ItemStatus.DONE},
    ItemStatus.DONE: {ItemStatus.IN_PROGRESS},  # reopened
}


@transaction.atomic
def tracked_set_status(*, actor: User, tracked: Tracked, status: str) -> Tracked:
    """Move a work item or a project by hand; done only once every milestone is done."""
    require(actor, Action.KEEP_WORKLIST, tracked)
    model = type(tracked)
    tracked = model.objects.select_for_update().get(pk=tracked.pk)
    if status not in MANUAL_STATUSES.get(ItemStatus(tracked.status), set()):
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            "当前状态下不能改为该状态",
            "The status cannot change to that from here",
        )
    if status == ItemStatus.DONE and tracked.milestones.filter(done_on__isnull=True).exists():
        raise ValidationFailed([problem("status", "尚有节点未完成", "Some milestones are not done yet")])
    if status == ItemStatus.IN_PROGRESS and _late(tracked).exists():
        status = ItemStatus.OVERDUE  # reopened with a milestone already late
    before = audit.snapshot(tracked)
    tracked.status = status
    tracked.save(update_fields=["status", "updated_at"])
    audit.record_change(
        actor=actor, action=f"coordination.{_noun(tracked)}.status", obj=tracked, before=before
    )
    return tracked


def _noun(tracked: Tracked) -> str:
    return "work_item" if isinstance(tracked, WorkItem) else "project"


def _late(tracked: Tracked, today: dt.date | None = None):
    today = today or dt.date.today()
    return tracked.milestones.filter(done_on__isnull=True, due_on__lt=today)


# -- milestones ---------------------------------------------------------------------------------------------


def working_due_date(asked: dt.date) -> tuple[dt.date, bool]:
    """The working day on or after `asked` (the next working day when it is a holiday or weekend), and
    whether it is an estimate (the calendar lacks that year: Monday to Friday assumed)."""
    estimate = add_working_days_or_estimate(asked - dt.timedelta(days=1), 1)
    return estimate.day, not estimate.exact


def due_after_working_days(start: dt.date, days: int) -> tuple[dt.date, bool]:
    """The date `days` working days after `start`, and whether it is an estimate."""
    estimate = add_working_days_or_estimate(start, days)
    return estimate.day, not estimate.exact


@transaction.atomic
def milestone_add(
    *,
    actor: User,
    tracked: Tracked,
    title: str,
    due_on: dt.date | None = None,
    working_days: int | None = None,
    today: dt.date | None = None,
) -> Milestone:
    """A milestone due on `due_on` (moved to the next working day when it is not one) or `working_days`
    working days from today."""
    require(actor, Action.KEEP_WORKLIST, tracked)
    today = today or dt.date.today()
    problems = [] if _text(title, MAX_TITLE) else [problem("title", "请填写节点名称", "Give the milestone")]
    if (due_on is None) == (working_days is None):
        problems.append(
            problem(
                "due_on",
                "请填写完成时限或工作日数（二选一）",
                "Give either a due date or a number of working days",
            )
        )
    elif working_days is not None and not 1 <= working_days <= 500:
        problems.append(problem("working_days", "工作日数须在1至500之间", "Working days must be 1 to 500"))
    if problems:
        raise ValidationFailed(problems)
    if working_days is not None:
        due, estimated = due_after_working_days(today, working_days)
        asked = due  # counted on the calendar: a working day already
    else:
        assert due_on is not None
        asked, (due, estimated) = due_on, working_due_date(due_on)
    milestone = Milestone.objects.create(
        work_item=tracked if isinstance(tracked, WorkItem) else None,
        project=tracked if isinstance(tracked, SecretaryProject) else None,
        region_id=tracked.region_id,
        department_id=getattr(tracked, "department_id", None),
        title=_text(title, MAX_TITLE),
        asked_on=asked,
        due_on=due,
        due_estimated=estimated,
    )
    audit.record_creation(
        actor=actor, action="coordination.milestone.create", obj=milestone, detail={"moved": asked != due}
    )
    return milestone


@transaction.atomic
def milestone_complete(*, actor: User, milestone: Milestone, done_on: dt.date | None = None) -> Milestone:
    """Mark a milestone done; a tracked row that was overdue for it goes back in progress."""
    tracked = milestone.work_item or milestone.project
    require(actor, Action.KEEP_WORKLIST, tracked)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.done_on is not None:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "该节点已完成", "This milestone is already done")
    before = audit.snapshot(milestone)
    milestone.done_on = done_on or dt.date.today()
    milestone.save(update_fields=["done_on"])
    audit.record_change(actor=actor, action="coordination.milestone.done", obj=milestone, before=before)
    assert tracked is not None
    if tracked.status in (ItemStatus.PLANNED, ItemStatus.OVERDUE) and not _late(tracked).exists():
        type(tracked).objects.filter(pk=tracked.pk).update(status=ItemStatus.IN_PROGRESS)
    return milestone


@transaction.atomic
def progress_add(
    *, actor: User, tracked: Tracked, text: str, evidence: str = "", milestone: Milestone | None = None
) -> ProgressNote:
    """A progress note with its evidence; a planned item is then in progress."""
    require(actor, Action.KEEP_WORKLIST, tracked)
    problems = [] if _text(text, MAX_TEXT) else [problem("text", "请填写进展情况", "Describe the progress")]
    if milestone is not None and milestone.pk not in set(tracked.milestones.values_list("pk", flat=True)):
        problems.append(problem("milestone", "节点不属于该事项", "The milestone is not of this item"))
    if problems:
        raise ValidationFailed(problems)
    note = ProgressNote.objects.create(
        work_item=tracked if isinstance(tracked, WorkItem) else None,
        project=tracked if isinstance(tracked, SecretaryProject) else None,
        milestone=milestone,
        region_id=tracked.region_id,
        author=actor,
        text=_text(text, MAX_TEXT),
        evidence=_text(evidence, MAX_TEXT),
    )
    audit.record_creation(actor=actor, action="coordination.progress.create", obj=note)
    if tracked.status == ItemStatus.PLANNED:
        type(tracked).objects.filter(pk=tracked.pk).update(status=ItemStatus.IN_PROGRESS)
    return note
