"""Reads of target sheets and circulars, scoped to the acting user.

The city sees every sheet; a county organization department its own region's sheets (and those of the
departments in its county); a department officer only their own department's sheets. Circulars are the
city's and apply downward: every officer below the city reads them (the published ranking).
"""

from django.db.models import QuerySet

from rencai.coordination.models import Circular, Leader, TargetItem, TargetSheet
from rencai.core.access import Action, require, restrict, visible_to
from rencai.core.errors import NotFound


def sheets_for(user, *, year: int | None = None) -> QuerySet[TargetSheet]:
    require(user, Action.BROWSE_COORDINATION)
    rows = restrict(
        user, TargetSheet.objects.select_related("region", "department"), Action.BROWSE_COORDINATION
    )
    if user.is_authenticated and user.department_id and not user.is_superuser:
        # a department officer's unit is their department, not the region it sits in
        rows = rows.filter(department_id=user.department_id)
    if year is not None:
        rows = rows.filter(year=year)
    return rows


def sheet_for(user, pk: int) -> TargetSheet:
    sheet = sheets_for(user).filter(pk=pk).first()
    if sheet is None:
        raise NotFound()
    return sheet


def item_for(user, pk: int) -> TargetItem:
    item = TargetItem.objects.select_related("sheet").filter(pk=pk, sheet__in=sheets_for(user)).first()
    if item is None:
        raise NotFound()
    return item


def years_for(user) -> list[int]:
    return sorted(set(sheets_for(user).values_list("year", flat=True)), reverse=True)


def circulars_for(user) -> QuerySet[Circular]:
    require(user, Action.BROWSE_COORDINATION)
    return restrict(user, Circular.objects.select_related("region"), Action.BROWSE_COORDINATION)


def circular_for(user, pk: int) -> Circular:
    circular = circulars_for(user).filter(pk=pk).first()
    if circular is None:
        raise NotFound()
    return circular


def leaders_for(user) -> QuerySet[Leader]:
    require(user, Action.BROWSE_COORDINATION)
    return visible_to(user, Leader.objects.select_related("region", "department", "user")).filter(active=True)
