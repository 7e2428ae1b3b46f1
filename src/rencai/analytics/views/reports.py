"""The printable monthly report (/analytics/report/<yyyy-mm>/): an A4 page with a print stylesheet, no
navigation, dated and numbered; its content is `analytics.report.monthly_report`, in the reader's scope."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from rencai.analytics import report
from rencai.analytics.views import figures as f
from rencai.core.access import Action, require


def _change_text(change, unit: str) -> str:
    if change is None:
        return "—"
    sign = "+" if change > 0 else ""
    if unit == "%":
        return f"{sign}{change:,.1f}"  # percentage points
    return sign + f.number_text(change)


def _headline_rows(content: dict) -> list[dict]:
    rows = []
    for item in content["headline"]:
        figure = item["figure"]
        indicator = figure.indicator
        rows.append(
            {
                "name": indicator.display_name,
                "name_suffix": f.name_suffix(indicator.unit),
                "value": f.cell_text(figure.total, indicator),
                "benchmark": f.number_text(indicator.benchmark, indicator.unit)
                if indicator.benchmark is not None
                else "",
                "on_month": _change_text(item["on_month"], indicator.unit),
                "on_year": _change_text(item["on_year"], indicator.unit),
            }
        )
    return rows


def _twelve(content: dict) -> list[dict]:
    return [
        {
            "name": entry["indicator"].display_name,
            "name_suffix": f.name_suffix(entry["indicator"].unit),
            "rows": f.series_rows(entry["indicator"], entry["cells"]),
            "spark": entry["spark"],
        }
        for entry in content["twelve"].values()
    ]


@login_required
@require_GET
def latest(request):
    """The report of the month under way."""
    require(request.user, Action.VIEW_ANALYTICS)
    return redirect("analytics:report", month=f"{timezone.localdate():%Y-%m}")


@login_required
@require_GET
def monthly(request, month: str):
    user = request.user
    require(user, Action.VIEW_ANALYTICS)
    today = timezone.localdate()
    period = report.month_of(month, today=today)
    content = report.monthly_report(user=user, month=period)
    indicators = {item["figure"].indicator.code: item["figure"].indicator for item in content["headline"]}
    for code in content["comparison"]:
        indicators.setdefault(code, f.indicator_by_code(code))
    structure = [
        {
            "title": f.BREAKDOWN_LABELS.get(by, by),
            "name": figure.indicator.display_name,
            "unit_suffix": f.unit_suffix(figure.indicator.unit),
            "rows": f.figure_rows(figure, links=False),
        }
        for by, figure in content["structure"].items()
    ]
    region = getattr(user, "region", None)
    return render(
        request,
        "analytics/report.html",
        {
            "month": period,
            "day": content["day"],
            "printed": today,
            "scope_name": region.display_name if region is not None else "",
            "headline": _headline_rows(content),
            "comparison": f.ranking_table(content["comparison"], indicators),
            "twelve": _twelve(content),
            "structure": structure,
            "previous": report.previous_month(period),
            "next": report.next_month(period, today),
            "spark_width": report.SPARK_WIDTH,
            "spark_height": report.SPARK_HEIGHT,
        },
    )


urlpatterns = [
    path("report/", latest, name="report_latest"),
    path("report/<str:month>/", monthly, name="report"),
]
