"""Pages of demands (人才需求): the public search and a published demand's page (no login), the
enterprise's own demands (post, edit, submit, close), and the county's review queue.

Thin: rows through the scoped selectors (out of scope is 404), writes through `services.demands`; a
refusal is shown on the page with every problem.
"""

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.core.access import Action, may, require
from rencai.core.errors import DomainError, NotFound
from rencai.core.feedback import attempt, show_error
from rencai.recruitment import selectors
from rencai.recruitment.choices import DemandState
from rencai.recruitment.forms.demands import CloseForm, DemandForm, ReviewForm, SearchForm
from rencai.recruitment.models import Demand
from rencai.recruitment.services import demands as service

PAGE_SIZE = 20
DISPLAYED = ("field", "tier_sought", "degree", "place", "work_mode")
SELECT_FILTERS = ("field", "team", "tier", "degree", "place", "work_mode", "region")


class CappedPaginator(Paginator):
    """Counts at most `SEARCH_RESULTS_SHOWN` rows (a LIMIT in the count's subquery): the pages stop there."""

    @cached_property
    def count(self) -> int:
        # unordered, so PostgreSQL may scan the table and stop at the cap instead of walking the index
        rows = cast(QuerySet, self.object_list)
        return rows.order_by()[: selectors.SEARCH_RESULTS_SHOWN].count()


# -- public ---------------------------------------------------------------------------------------------


def _labels(field) -> dict[str, str]:
    """A choice field's labels in the active language, translated once per page (not once per row)."""
    return {str(value): str(label) for value, label in field.flatchoices}


def _search_rows(demands) -> list[dict]:
    """The page's demands with their choices' labels, for the results table."""
    fields = {name: _labels(Demand._meta.get_field(name)) for name in DISPLAYED}
    return [
        {"demand": d, **{name: fields[name].get(getattr(d, name), "") for name in DISPLAYED}} for d in demands
    ]


def _filter_options(form: SearchForm) -> list[tuple]:
    """The search's select filters as (name, label, [(value, label, selected)]), rendered as plain options:
    a widget template per option would cost the page more than its query."""
    options = []
    for name in SELECT_FILTERS:
        bound = form[name]
        current = str(bound.value() or "")
        choices = [(str(v), str(label), str(v) == current) for v, label in form.fields[name].choices]  # type: ignore[attr-defined]
        options.append((name, str(bound.label), choices))
    return options


@require_GET
def demand_search(request):
    """The public search of published demands: no login, filters in the query string, paginated."""
    form = SearchForm(request.GET)
    rows = selectors.public_demands(form.filters())
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    capped = page.paginator.count >= selectors.SEARCH_RESULTS_SHOWN
    context = {
        "form": form,
        "filters": _filter_options(form),
        "page": page,
        "rows": _search_rows(page.object_list),
        "query": query.urlencode(),
        "capped": capped,
    }
    return render(request, "recruitment/demands/search.html", context)


@require_GET
def demand_public(request, pk: int):
    return render(request, "recruitment/demands/public.html", {"demand": selectors.public_demand(pk)})


# -- the enterprise's and the county's ------------------------------------------------------------------


@login_required
@require_GET
def demand_list(request):
    user = request.user
    state = request.GET.get("state", "")
    rows = selectors.demands_for(user, state=state if state in DemandState.values else "")
    page = Paginator(rows, settings.RENCAI_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "state": state,
        "states": DemandState.choices,
        "query": f"state={state}" if state else "",
        "can_post": may(user, Action.POST_DEMAND),
        "can_review": may(user, Action.REVIEW_DEMAND),
    }
    return render(request, "recruitment/demands/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def demand_new(request):
    user = request.user
    require(user, Action.POST_DEMAND)  # a form page: the service asks again, for the enterprise
    form = DemandForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                demand = service.demand_create(actor=user, enterprise=user.enterprise, data=form.cleaned_data)
            except NotFound:
                raise
            except DomainError as error:
                show_error(request, error)
                status = error.status
            else:
                messages.success(request, _("人才需求已保存为草稿，提交后由县级组织部门审核发布。"))
                return redirect("recruitment:demand_detail", pk=demand.pk)
    return render(request, "recruitment/demands/form.html", {"form": form, "demand": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def demand_edit(request, pk: int):
    user = request.user
    demand = selectors.get_demand(user, pk)
    require(user, Action.POST_DEMAND, demand)
    form = DemandForm(request.POST or None, initial=DemandForm.initial_of(demand))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                service.demand_update(actor=user, demand=demand, data=form.cleaned_data)
            except NotFound:
                raise
            except DomainError as error:
                show_error(request, error)
                status = error.status
            else:
                messages.success(request, _("人才需求已修改。"))
                return redirect("recruitment:demand_detail", pk=demand.pk)
    return render(request, "recruitment/demands/form.html", {"form": form, "demand": demand}, status=status)


@login_required
@require_GET
def demand_detail(request, pk: int):
    user = request.user
    demand: Demand = selectors.get_demand(user, pk)
    posts = may(user, Action.POST_DEMAND, demand)
    reviews = may(user, Action.REVIEW_DEMAND, demand)
    context = {
        "demand": demand,
        "can_edit": posts and demand.state in service.EDITABLE_STATES,
        "can_submit": posts and demand.state in service.EDITABLE_STATES,
        "can_review": reviews and demand.state == DemandState.SUBMITTED,
        "can_close": (posts or reviews) and demand.state in service.OPEN_STATES,
        "review_form": ReviewForm(),
        "close_form": CloseForm(),
    }
    return render(request, "recruitment/demands/detail.html", context)


@login_required
@require_POST
def demand_submit(request, pk: int):
    demand = selectors.get_demand(request.user, pk)
    attempt(
        request,
        lambda: service.demand_submit(actor=request.user, demand=demand),
        _("人才需求已提交县级组织部门审核。"),
    )
    return redirect("recruitment:demand_detail", pk=pk)


@login_required
@require_POST
def demand_review(request, pk: int):
    demand = selectors.get_demand(request.user, pk)
    form = ReviewForm(request.POST)
    approve = form.is_valid() and form.cleaned_data["decision"] == "approve"
    comment = form.cleaned_data.get("comment", "") if form.is_valid() else ""
    done = attempt(
        request,
        lambda: service.demand_review(actor=request.user, demand=demand, approve=approve, comment=comment),
        _("人才需求已发布。") if approve else _("人才需求已退回修改。"),
    )
    if done:
        return redirect("recruitment:demand_queue")
    return redirect("recruitment:demand_detail", pk=pk)


@login_required
@require_POST
def demand_close(request, pk: int):
    demand = selectors.get_demand(request.user, pk)
    form = CloseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    attempt(
        request,
        lambda: service.demand_close(actor=request.user, demand=demand, reason=reason),
        _("人才需求已关闭。"),
    )
    return redirect("recruitment:demand_detail", pk=pk)


@login_required
@require_GET
def demand_queue(request):
    user = request.user
    require(user, Action.REVIEW_DEMAND)  # a queue page with no service behind it
    page = Paginator(selectors.review_queue(user), settings.RENCAI_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "recruitment/demands/queue.html", {"page": page, "query": ""})


urlpatterns = [
    path("demands/", demand_search, name="demand_search"),
    path("demands/<int:pk>/", demand_public, name="demand_public"),
    path("my/demands/", demand_list, name="demand_list"),
    path("my/demands/new/", demand_new, name="demand_new"),
    path("my/demands/review/", demand_queue, name="demand_queue"),
    path("my/demands/<int:pk>/", demand_detail, name="demand_detail"),
    path("my/demands/<int:pk>/edit/", demand_edit, name="demand_edit"),
    path("my/demands/<int:pk>/submit/", demand_submit, name="demand_submit"),
    path("my/demands/<int:pk>/review/", demand_review, name="demand_review"),
    path("my/demands/<int:pk>/close/", demand_close, name="demand_close"),
]
