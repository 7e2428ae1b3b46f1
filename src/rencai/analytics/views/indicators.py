"""The indicator pages: the catalogue, one indicator (its figure on any day, a breakdown, the monthly series,
the county comparison), the people behind a figure, and the city's maintenance form.

Figures come from `analytics.compute`, scoped by the viewer; the people list comes from `compute.people`
(scoped, and refused to those without SEE_PEOPLE_BEHIND_FIGURES) and each page of it read is audited, as
any read of personal data is.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rencai.analytics import compute, services
from rencai.analytics.forms import IndicatorForm
from rencai.analytics.models import Indicator, IndicatorCategory
from rencai.analytics.views import figures as f
from rencai.core import audit
from rencai.core.access import Action, may, require, visible_to
from rencai.core.errors import DomainError, NotFound
from rencai.core.models import Region, RegionLevel


def _selectable_counties(user) -> list[Region]:
    """The counties the viewer may pick (the city: six; a county: its own)."""
    return list(visible_to(user, Region.objects.filter(level=RegionLevel.COUNTY)).order_by("code"))


@login_required
@require_GET
def catalogue(request):
    """Every active indicator by category, with its value today in the viewer's scope."""
    user = request.user
    require(user, Action.VIEW_ANALYTICS)
    query, problems = f.parse_query(request.GET)
    labels = dict(IndicatorCategory.choices)
    groups: dict[str, dict] = {}
    indicators = list(Indicator.objects.filter(active=True).order_by("category", "position", "code"))
    # one reading of the change counter for the whole table (compute.figures), not one per indicator
    for indicator, figure in zip(
        indicators, compute.figures(indicators, user=user, day=query.day), strict=True
    ):
        group = groups.setdefault(
            indicator.category, {"label": labels.get(indicator.category, indicator.category), "rows": []}
        )
        group["rows"].append(
            {
                "indicator": indicator,
                "name": indicator.display_name,
                "value": f.cell_text(figure.total, indicator),
                "unit": f.unit_label(indicator.unit),
            }
        )
    return render(
        request,
        "analytics/catalogue.html",
        {
            "groups": list(groups.values()),
            "day": query.day,
            "wrong": f.messages_of(problems),
            "can_manage": may(user, Action.MANAGE_INDICATORS),
        },
    )


@login_required
@require_GET
def detail(request, code: str):
    user = request.user
    require(user, Action.VIEW_ANALYTICS)
    indicator = f.indicator_by_code(code)
    query, problems = f.parse_query(request.GET, indicator=indicator)
    figure = compute.figure(indicator, user=user, day=query.day, region=query.region, by=query.by)
    links = f.may_open_people(user, indicator)
    series = compute.series(
        indicator, user=user, start=min(f.SERIES_START, query.day), end=query.day, region=query.region
    )
    ranked = compute.comparison(indicator, user=user, day=query.day)
    total = f.cell_row(figure.total, indicator, day=query.day, region=query.region, links=links)
    context = {
        "indicator": indicator,
        "name": indicator.display_name,
        "unit_suffix": f.unit_suffix(indicator.unit),
        "name_suffix": f.name_suffix(indicator.unit),
        "benchmark": f.number_text(indicator.benchmark, indicator.unit)
        if indicator.benchmark is not None
        else "",
        "day": query.day,
        "today": timezone.localdate(),
        "region": query.region,
        "by": query.by or "",
        "wrong": f.messages_of(problems),
        "total": total,
        "rows": f.figure_rows(figure, links=links),
        "any_suppressed": figure.total.suppressed or any(cell.suppressed for cell in figure.cells),
        "breakdowns": [(name, f.BREAKDOWN_LABELS.get(name, name)) for name in f.breakdowns_of(indicator)],
        "by_label": f.BREAKDOWN_LABELS.get(query.by, "") if query.by else "",
        "counties": _selectable_counties(user),
        "series": f.series_rows(indicator, series),
        "comparison": f.comparison_rows(indicator, ranked, day=query.day, links=links),
        "chart": {
            "series": f.series_chart(indicator, series),
            "cells": f.bars(figure) if query.by else None,
        },
        "query": request.GET.urlencode(),
        "can_manage": may(user, Action.MANAGE_INDICATORS),
        "links": links,
    }
    return render(request, "analytics/indicator_detail.html", context)


@login_required
@require_GET
def people(request, code: str):
    """The talents behind one figure, a page at a time, masked as the registry's list shows them."""
    user = request.user
    indicator = f.indicator_by_code(code)
    query, problems = f.parse_query(request.GET, indicator=indicator)
    part = request.GET.get("part", "numerator")
    if part not in f.PARTS:
        raise NotFound()
    key = request.GET.get("key", "") if query.by else None
    talents = compute.people(
        indicator, user=user, day=query.day, region=query.region, by=query.by, key=key, part=part
    ).select_related("region", "current_employer")
    page = Paginator(talents, settings.RENCAI_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    audit.record(
        actor=user,
        action="analytics.people.view",
        object_type="registry.talent",
        region_code=query.region.code if query.region is not None else _home_code(user),
        detail={
            "indicator": indicator.code,
            "day": query.day.isoformat(),
            "region": query.region.code if query.region is not None else "",
            "by": query.by or "",
            "key": key or "",
            "part": part,
            "page": page.number,
            "talents": [talent.pk for talent in page.object_list],
        },
    )
    return render(
        request,
        "analytics/people.html",
        {
            "indicator": indicator,
            "name": indicator.display_name,
            "page": page,
            "query": params.urlencode(),
            "day": query.day,
            "region": query.region,
            "by_label": f.BREAKDOWN_LABELS.get(query.by, "") if query.by else "",
            "key": key,
            "part": part,
            "wrong": f.messages_of(problems),
            "can_export": may(user, Action.EXPORT),
        },
    )


def _home_code(user) -> str:
    region = getattr(user, "region", None)
    return region.code if region is not None else ""


# -- maintenance (the city organization department) ---------------------------------------------------------


def _show_problems(form: IndicatorForm, error: DomainError) -> None:
    """A refusal on the form: its message above, each problem on its field (a rule's with line and column)."""
    english = (get_language() or "").startswith("en")
    form.add_error(None, error.message)
    for detail in error.details:
        text = str(detail.get("message_en") if english else detail.get("message_zh"))
        field = detail.get("field")
        form.add_error(field if field in form.fields else None, text)


def _maintain(request, indicator: Indicator | None):
    user = request.user
    require(user, Action.MANAGE_INDICATORS)  # a form page: the service asks again when it saves
    status = 200
    if request.method == "POST":
        form = IndicatorForm(request.POST, initial={"code": indicator.code} if indicator else None)
        if indicator is not None:
            form.fields["code"].disabled = True  # the code names the indicator in links and targets
        if form.is_valid():
            try:
                saved = services.indicator_save(
                    actor=user, indicator=indicator, data=form.to_input(indicator)
                )
            except NotFound:
                raise
            except DomainError as error:
                _show_problems(form, error)
                status = error.status
            else:
                messages.success(request, _("指标已保存。"))
                return redirect("analytics:indicator_detail", code=saved.code)
        else:
            status = 422
    else:
        form = IndicatorForm.of(indicator)
    return render(
        request, "analytics/indicator_form.html", {"form": form, "indicator": indicator}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_new(request):
    return _maintain(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def indicator_edit(request, code: str):
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        raise NotFound()
    return _maintain(request, indicator)


urlpatterns = [
    path("indicators/", catalogue, name="catalogue"),
    path("indicators/new/", indicator_new, name="indicator_new"),
    path("indicators/<slug:code>/edit/", indicator_edit, name="indicator_edit"),
    path("indicators/<slug:code>/", detail, name="indicator_detail"),
    path("indicators/<slug:code>/people/", people, name="people"),
]
