"""Pages of the department work lists (职责清单与工作台账) and first secretaries' projects (一把手项目).

Thin: rows through `selectors.worklists` (out of scope is 404), writes through `services.worklists`; a page
asks `may` only to decide which forms to show. A detail page takes several small forms, told apart by
the `form` field of the POST.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rencai.accounts.models import User
from rencai.coordination.forms.worklists import (
    DutyForm,
    FocusForm,
    MilestoneForm,
    ProgressForm,
    ProjectForm,
    StatusForm,
    WorkItemForm,
    WorkListForm,
)
from rencai.coordination.models import (
    Duty,
    FocusKind,
    FocusPoint,
    ItemStatus,
    Leader,
    SecretaryProject,
    WorkItem,
    WorkList,
)
from rencai.coordination.selectors import worklists as selectors
from rencai.coordination.services import worklists as service
from rencai.core.access import Action, holders, may, require, visible_to
from rencai.core.errors import NotFound
from rencai.core.feedback import attempt
from rencai.core.models import Region, RegionLevel
from rencai.registry.models import Department

UPCOMING_DAYS = 14  # the index shows milestones due within this many days, and every overdue one


def _year(request) -> int:
    try:
        return int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        return timezone.localdate().year


@login_required
@require_GET
def index(request):
    """Today's page: the year's lists and projects, and the milestones due soon or overdue."""
    user = request.user
    require(user, Action.BROWSE_COORDINATION)
    year, today = _year(request), timezone.localdate()
    worklists = selectors.worklists_for(user, year=year)
    items = selectors.work_items_for(user, year=year)
    context = {
        "year": year,
        "years": range(today.year + 1, 2014, -1),
        "today": today,
        "worklists": worklists,
        "projects": selectors.projects_for(user, year=year),
        "milestones": selectors.milestones_open(user, until=today + dt.timedelta(days=UPCOMING_DAYS))[:50],
        "counts": [(value, label, items.filter(status=value).count()) for value, label in ItemStatus.choices],
        "can_keep": may(user, Action.KEEP_WORKLIST),
        "can_supervise": may(user, Action.SUPERVISE_WORKLIST),
    }
    return render(request, "coordination/worklists/index.html", context)


def _keepable_departments(user: User):
    """The departments whose list the user may keep: their own, or (organization officers) their region's."""
    departments = visible_to(user, Department.objects.select_related("region")).order_by(
        "region__path", "kind"
    )
    return departments.filter(
        pk__in=[d.pk for d in departments if may(user, Action.KEEP_WORKLIST, _probe(d))]
    )


def _probe(department: Department) -> WorkList:
    """An unsaved list of the department: what the object check of KEEP_WORKLIST is asked about."""
    return WorkList(department=department, region_id=department.region_id)


def _officers():
    return User.objects.filter(holders(Action.KEEP_WORKLIST), is_active=True).order_by("username")


@login_required
@require_http_methods(["GET", "POST"])
def worklist_new(request):
    user = request.user
    require(user, Action.KEEP_WORKLIST)  # a form page: the service asks again, with the department
    form = WorkListForm(
        request.POST or None,
        initial={"year": timezone.localdate().year, "department": user.department_id},
        departments=_keepable_departments(user),
        officers=_officers(),
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            worklist = attempt(
                request,
                lambda: service.worklist_create(
                    actor=user,
                    department=data["department"],
                    year=data["year"],
                    lead_officer=data["lead_officer"],
                    head=data["head"],
                ),
                _("清单已建立。"),
            )
            if worklist:
                return redirect("coordination:worklist_detail", pk=worklist.result.pk)
    return render(request, "coordination/worklists/worklist_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def worklist_detail(request, pk: int):
    user = request.user
    worklist = selectors.get_worklist(user, pk)
    can_keep = may(user, Action.KEEP_WORKLIST, worklist)
    forms = {"duty": DutyForm(), "focus": FocusForm(), "item": WorkItemForm()}
    status = 200
    if request.method == "POST":
        which = request.POST.get("form", "")
        status, done = _worklist_post(request, worklist, which, forms)
        if done:
            return redirect("coordination:worklist_detail", pk=worklist.pk)
    focus: dict[str, list[FocusPoint]] = {kind: [] for kind in FocusKind.values}
    for point in worklist.focus_points.all():
        focus[point.kind].append(point)
    context = {
        "worklist": worklist,
        "duties": worklist.duties.all(),
        "focus": [(FocusKind(kind).label, kind, points) for kind, points in focus.items()],
        "items": selectors.work_items_for(user, worklist=worklist).prefetch_related("milestones"),
        "can_keep": can_keep,
        "forms": forms if can_keep else {},
    }
    return render(request, "coordination/worklists/worklist_detail.html", context, status=status)


def _worklist_post(request, worklist, which: str, forms: dict) -> tuple[int, bool]:
    """One of the list page's forms: (status, whether it was saved)."""
    user = request.user
    if which == "remove_duty":
        duty = Duty.objects.filter(pk=request.POST.get("duty"), worklist=worklist).first()
        if duty is None:
            raise NotFound()
        removed = attempt(request, lambda: service.duty_remove(actor=user, duty=duty), _("职责已删除。"))
        return (200, True) if removed else (409, False)
    if which == "remove_focus":
        point = FocusPoint.objects.filter(pk=request.POST.get("point"), worklist=worklist).first()
        if point is None:
            raise NotFound()
        removed = attempt(request, lambda: service.focus_remove(actor=user, point=point), _("已删除。"))
        return (200, True) if removed else (409, False)
    writers: dict[str, tuple[type, Callable[[dict], Any], str]] = {
        "duty": (
            DutyForm,
            lambda d: service.duty_add(
                actor=user, worklist=worklist, text=d["text"], lead_officer=d["lead_officer"]
            ),
            _("职责已添加。"),
        ),
        "focus": (
            FocusForm,
            lambda d: service.focus_add(
                actor=user, worklist=worklist, kind=d["kind"], title=d["title"], detail=d["detail"]
            ),
            _("已添加。"),
        ),
        "item": (
            WorkItemForm,
            lambda d: service.work_item_create(
                actor=user,
                worklist=worklist,
                title=d["title"],
                description=d["description"],
                responsible=d["responsible"],
            ),
            _("工作事项已添加。"),
        ),
    }
    if which not in writers:
        return 400, False
    form_class, write, success = writers[which]
    form = form_class(request.POST)
    forms[which] = form
    if not form.is_valid():
        return 422, False
    saved = attempt(request, lambda: write(form.cleaned_data), success)
    return (200, True) if saved else (422, False)


# -- work items and projects: the same page ---------------------------------------------------------------


def _tracked_page(request, tracked, template: str, redirect_to: str):
    user = request.user
    can_keep = may(user, Action.KEEP_WORKLIST, tracked)
    forms = {"milestone": MilestoneForm(), "progress": ProgressForm(), "status": StatusForm()}
    status = 200
    if request.method == "POST":
        status, done = _tracked_post(request, tracked, forms)
        if done:
            return redirect(redirect_to, pk=tracked.pk)
    tracked.refresh_from_db()
    context = {
        "tracked": tracked,
        "milestones": tracked.milestones.order_by("due_on", "pk"),
        "notes": tracked.notes.select_related("author", "milestone"),
        "next_statuses": [
            (value, ItemStatus(value).label)
            for value in service.MANUAL_STATUSES.get(ItemStatus(tracked.status), ())
        ],
        "can_keep": can_keep,
        "forms": forms if can_keep else {},
        "today": timezone.localdate(),
    }
    return render(request, template, context, status=status)


def _tracked_post(request, tracked, forms: dict) -> tuple[int, bool]:
    user = request.user
    which = request.POST.get("form", "")
    if which == "complete":
        milestone = tracked.milestones.filter(pk=request.POST.get("milestone")).first()
        if milestone is None:
            raise NotFound()
        done = attempt(
            request, lambda: service.milestone_complete(actor=user, milestone=milestone), _("节点已完成。")
        )
        return (200, True) if done else (409, False)
    form_class = {"milestone": MilestoneForm, "progress": ProgressForm, "status": StatusForm}.get(which)
    if form_class is None:
        return 400, False
    form = form_class(request.POST)
    forms[which] = form
    if not form.is_valid():
        return 422, False
    data = form.cleaned_data
    if which == "milestone":
        saved = attempt(
            request,
            lambda: service.milestone_add(
                actor=user,
                tracked=tracked,
                title=data["title"],
                due_on=data["due_on"],
                working_days=data["working_days"],
            ),
            _("节点已添加。"),
        )
        milestone = saved.result
        if saved and milestone.asked_on != milestone.due_on:
            messages.info(
                request,
                _("%(asked)s 不是工作日，完成时限顺延至 %(due)s。")
                % {"asked": milestone.asked_on.isoformat(), "due": milestone.due_on.isoformat()},
            )
    elif which == "progress":
        saved = attempt(
            request,
            lambda: service.progress_add(
                actor=user, tracked=tracked, text=data["text"], evidence=data["evidence"]
            ),
            _("进展已记录。"),
        )
    else:
        saved = attempt(
            request,
            lambda: service.tracked_set_status(actor=user, tracked=tracked, status=data["status"]),
            _("状态已更新。"),
        )
    return (200, True) if saved else (422, False)


@login_required
@require_http_methods(["GET", "POST"])
def work_item_detail(request, pk: int):
    item: WorkItem = selectors.get_work_item(request.user, pk)
    return _tracked_page(
        request, item, "coordination/worklists/item_detail.html", "coordination:work_item_detail"
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_detail(request, pk: int):
    project: SecretaryProject = selectors.get_project(request.user, pk)
    return _tracked_page(
        request, project, "coordination/worklists/project_detail.html", "coordination:project_detail"
    )


def _counties_kept_by(user: User):
    counties = visible_to(user, Region.objects.filter(level=RegionLevel.COUNTY)).order_by("path")
    return counties.filter(
        pk__in=[c.pk for c in counties if may(user, Action.KEEP_WORKLIST, SecretaryProject(region=c))]
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_new(request):
    user = request.user
    require(user, Action.SUPERVISE_WORKLIST)  # a form page: the service asks again, with the county
    counties = _counties_kept_by(user)
    form = ProjectForm(
        request.POST or None,
        initial={"year": timezone.localdate().year, "region": counties.first()},
        regions=counties,
        leaders=Leader.objects.filter(region__in=counties, active=True),
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            project = attempt(
                request,
                lambda: service.project_create(
                    actor=user,
                    region=data["region"],
                    year=data["year"],
                    title=data["title"],
                    description=data["description"],
                    leader=data["leader"],
                    leader_name=data["leader_name"],
                    responsible=data["responsible"],
                ),
                _("一把手项目已建立。"),
            )
            if project:
                return redirect("coordination:project_detail", pk=project.result.pk)
    return render(request, "coordination/worklists/project_form.html", {"form": form}, status=status)


urlpatterns = [
    path("worklists/", index, name="worklist_index"),
    path("worklists/new/", worklist_new, name="worklist_new"),
    path("worklists/<int:pk>/", worklist_detail, name="worklist_detail"),
    path("worklists/items/<int:pk>/", work_item_detail, name="work_item_detail"),
    path("worklists/projects/new/", project_new, name="project_new"),
    path("worklists/projects/<int:pk>/", project_detail, name="project_detail"),
]

__all__ = ["urlpatterns"]
