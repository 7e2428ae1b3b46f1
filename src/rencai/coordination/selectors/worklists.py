"""Reads of the work lists, work items, milestones and first secretaries' projects, scoped to the reader.

Officers read (BROWSE_COORDINATION) what they may keep (KEEP_WORKLIST's narrowing): the city every list and
project, a county its own region's, a department its own department's list only (issue 16 point 7: "a
department its own list"). Out of scope is 404.
"""

import datetime as dt

from django.db.models import QuerySet

from rencai.accounts.models import User
from rencai.coordination.models import Milestone, SecretaryProject, WorkItem, WorkList
from rencai.core.access import Action, may, restrict
from rencai.core.errors import NotFound


def _readable(user: User, queryset: QuerySet) -> QuerySet:
    if not may(user, Action.BROWSE_COORDINATION):
        return queryset.none()
    # the readers are the keepers (both rights are the officers'), narrowed the same way
    return restrict(user, queryset, Action.KEEP_WORKLIST)


def worklists_for(user: User, *, year: int | None = None) -> QuerySet[WorkList]:
    rows = _readable(user, WorkList.objects.select_related("department", "region", "head"))
    if year:
        rows = rows.filter(year=year)
    return rows.order_by("-year", "region__path", "department__kind", "pk")


def get_worklist(user: User, pk: int) -> WorkList:
    worklist = worklists_for(user).filter(pk=pk).first()
    if worklist is None:
        raise NotFound()
    return worklist


def work_items_for(
    user: User, *, year: int | None = None, status: str = "", worklist: WorkList | None = None
) -> QuerySet[WorkItem]:
    rows = _readable(user, WorkItem.objects.select_related("worklist", "department", "region", "owner"))
    if year:
        rows = rows.filter(worklist__year=year)
    if status:
        rows = rows.filter(status=status)
    if worklist is not None:
        rows = rows.filter(worklist=worklist)
    return rows.order_by("region__path", "department__kind", "pk")


def get_work_item(user: User, pk: int) -> WorkItem:
    item = work_items_for(user).filter(pk=pk).first()
    if item is None:
        raise NotFound()
    return item


def projects_for(user: User, *, year: int | None = None, status: str = "") -> QuerySet[SecretaryProject]:
    rows = _readable(user, SecretaryProject.objects.select_related("region", "leader", "owner"))
    if year:
        rows = rows.filter(year=year)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-year", "region__path", "pk")


def get_project(user: User, pk: int) -> SecretaryProject:
    project = projects_for(user).filter(pk=pk).first()
    if project is None:
        raise NotFound()
    return project


def milestones_for(user: User) -> QuerySet[Milestone]:
    """Every milestone the reader sees (a department: its own items'; a county: its region's)."""
    return _readable(user, Milestone.objects.select_related("work_item", "project", "region"))


def milestones_open(user: User, *, until: dt.date) -> QuerySet[Milestone]:
    """Open milestones due on or before `until` (overdue ones included), soonest first."""
    return milestones_for(user).filter(done_on__isnull=True, due_on__lte=until).order_by("due_on", "pk")
