"""The work lists' part of the daily deadline sweep: reminders before a milestone is due, escalation to the
department head when it is late and to the organization department when it stays late."""

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from rencai.accounts.models import User
from rencai.coordination.models import (
    ItemStatus,
    Milestone,
    SecretaryProject,
    WorkItem,
)
from rencai.core import audit
from rencai.core.access import Action, holders, region_ancestor_ids
from rencai.core.calendar import add_working_days_or_estimate
from rencai.core.notifications import notify

logger = logging.getLogger(__name__)

REMIND_WORKING_DAYS = 3  # a milestone is reminded this many working days before it is due
ESCALATE_TO_ORG_AFTER = 5  # still open this many working days after its due date: the organization department


def worklist_sweep(today: dt.date) -> dict:
    """One day's sweep: milestones due soon are reminded to the owner, overdue ones escalated to the
    department head (a project's: the county organization department) and, still open some working days
    later, to the organization department (a project's: the city's). Idempotent: each step is marked on
    the milestone by a conditional UPDATE under a row lock, so a rerun sends nothing twice."""
    soon = add_working_days_or_estimate(today, REMIND_WORKING_DAYS)
    late = add_working_days_or_estimate(today, -ESCALATE_TO_ORG_AFTER)
    if not (soon.exact and late.exact):
        logger.warning(
            "work list sweep on %s: calendar lacks %s", today, soon.assumed_years + late.assumed_years
        )
    with transaction.atomic():
        report = {
            "reminded": _remind(today, soon.day),
            "escalated_to_head": _escalate_to_head(today),
            "escalated_to_org": _escalate_to_org(today, late.day),
            "marked_overdue": _mark_overdue(today),
        }
        audit.record(
            actor=None, action="coordination.worklist_sweep", object_type="coordination", detail=report
        )
    return report


def _open_milestones(**conditions):
    rows = Milestone.objects.filter(done_on__isnull=True, **conditions).exclude(
        Q(work_item__status=ItemStatus.DONE) | Q(project__status=ItemStatus.DONE)
    )
    # locked, so that a concurrent sweep waits and then finds them marked (the WHERE is checked again)
    return list(
        rows.select_for_update(of=("self",)).select_related(
            "work_item__worklist__department", "project__region"
        )
    )


def _remind(today: dt.date, soon: dt.date) -> int:
    due = _open_milestones(due_on__gte=today, due_on__lte=soon, reminded_on__isnull=True)
    Milestone.objects.filter(pk__in=[m.pk for m in due]).update(reminded_on=today)
    for milestone in due:
        _tell(
            _keepers(milestone),
            milestone,
            subject=f"节点临近时限：{milestone.title}",
            body=f"“{_tracked_title(milestone)}”的节点“{milestone.title}”"
            f"须于 {milestone.due_on:%Y年%m月%d日} 前完成。",
            kind="coordination.milestone_reminder",
        )
    return len(due)


def _escalate_to_head(today: dt.date) -> int:
    overdue = _open_milestones(due_on__lt=today, escalated_on__isnull=True)
    Milestone.objects.filter(pk__in=[m.pk for m in overdue]).update(escalated_on=today)
    for milestone in overdue:
        _tell(
            _heads(milestone),
            milestone,
            subject=f"节点逾期督办：{milestone.title}",
            body=f"“{_tracked_title(milestone)}”的节点“{milestone.title}”已超过完成时限"
            f"（{milestone.due_on:%Y年%m月%d日}），请督促办理。",
            kind="coordination.milestone_overdue",
        )
    return len(overdue)


def _escalate_to_org(today: dt.date, late: dt.date) -> int:
    """Milestones due on or before `late` (some working days ago), already escalated once and still open."""
    overdue = _open_milestones(due_on__lte=late, escalated_on__isnull=False, escalated_org_on__isnull=True)
    Milestone.objects.filter(pk__in=[m.pk for m in overdue]).update(escalated_org_on=today)
    for milestone in overdue:
        _tell(
            _supervisors(milestone),
            milestone,
            subject=f"节点逾期未办结：{milestone.title}",
            body=f"{_unit(milestone)}“{_tracked_title(milestone)}”的节点“{milestone.title}”"
            f"自 {milestone.due_on:%Y年%m月%d日} 逾期至今未完成，已提请组织部门督办。",
            kind="coordination.milestone_escalation",
        )
    return len(overdue)


def _mark_overdue(today: dt.date) -> int:
    late = Milestone.objects.filter(done_on__isnull=True, due_on__lt=today)
    active = [ItemStatus.PLANNED, ItemStatus.IN_PROGRESS]
    items = WorkItem.objects.filter(status__in=active, pk__in=late.values("work_item_id")).update(
        status=ItemStatus.OVERDUE
    )
    projects = SecretaryProject.objects.filter(status__in=active, pk__in=late.values("project_id")).update(
        status=ItemStatus.OVERDUE
    )
    return items + projects


def _tracked_title(milestone: Milestone) -> str:
    tracked = milestone.work_item or milestone.project
    return tracked.title if tracked is not None else ""


def _unit(milestone: Milestone) -> str:
    if milestone.work_item is not None:
        return str(milestone.work_item.worklist.department)
    assert milestone.project is not None
    return milestone.project.region.name


def _link(milestone: Milestone) -> str:
    if milestone.work_item_id:
        return reverse("coordination:work_item_detail", args=[milestone.work_item_id])
    return reverse("coordination:project_detail", args=[milestone.project_id])


def _tell(users: Iterable[User], milestone: Milestone, *, subject: str, body: str, kind: str) -> None:
    for user in {user.pk: user for user in users}.values():
        notify(recipient=user, subject=subject, body=body, link=_link(milestone), kind=kind)


def _active(action: Action, **filters) -> list[User]:
    return list(User.objects.filter(holders(action), is_active=True, **filters).order_by("pk"))


def _keepers(milestone: Milestone) -> list[User]:
    """Who keeps the row: its owner, or else the department's officers (a project's: the county's)."""
    tracked = milestone.work_item or milestone.project
    if tracked is not None and tracked.owner is not None and tracked.owner.is_active:
        return [tracked.owner]
    if milestone.work_item is not None:
        return _active(Action.KEEP_WORKLIST, department_id=milestone.department_id)
    return _active(Action.SUPERVISE_WORKLIST, region_id=milestone.region_id)


def _heads(milestone: Milestone) -> list[User]:
    """First escalation: the head of the department's list, or else all its officers; for a project, the
    county's organization officers."""
    if milestone.work_item is not None:
        head = milestone.work_item.worklist.head
        if head is not None and head.is_active:
            return [head]
        return _active(Action.KEEP_WORKLIST, department_id=milestone.department_id)
    return _active(Action.SUPERVISE_WORKLIST, region_id=milestone.region_id)


def _supervisors(milestone: Milestone) -> list[User]:
    """Second escalation: the organization department of the department's region (a city department's:
    the city's); for a project, the organization departments above the county (the city's)."""
    if milestone.work_item is not None:
        regions = [milestone.region_id]
    else:
        regions = [pk for pk in region_ancestor_ids(milestone.region_id) if pk != milestone.region_id]
    return _active(Action.SUPERVISE_WORKLIST, region_id__in=regions)
