"""Pages of recruitment: the index (招才引智, linking every part the user may use) and the funnel with its
charts and its Excel download.

Thin: the figures come from `recruitment.funnel` (scoped by the user's tenancy), the filters from the query
string (a wrong value is named on the page and the year shown instead). The charts are drawn by the vendored
ECharts from data embedded with json_script; every figure is also in the tables, so the page works without
JavaScript.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from rencai.core.access import Action, may, require
from rencai.core.errors import Problem
from rencai.core.models import Region, RegionLevel
from rencai.recruitment import funnel as reports
from rencai.recruitment.choices import Channel
from rencai.registry.choices import Industry, Tier

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# -- the index ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    url_name: str
    label: Promise
    actions: tuple[Action, ...]  # any of them shows the part
    note: Promise | None = None


# Every part of recruitment, shown to the holders of the actions that use it (a part not installed yet is
# left out, as the navigation does)
PARTS = (
    Part("recruitment:demand_new", gettext_lazy("发布人才需求"), (Action.POST_DEMAND,)),
    Part(
        "recruitment:demand_list",
        gettext_lazy("人才需求"),
        (Action.POST_DEMAND, Action.REVIEW_DEMAND),
        gettext_lazy("本单位、本辖区的需求与审核"),
    ),
    Part("recruitment:demand_queue", gettext_lazy("待审核需求"), (Action.REVIEW_DEMAND,)),
    Part("recruitment:demand_search", gettext_lazy("公开需求检索"), (Action.BROWSE_RECRUITMENT,)),
    Part("recruitment:station_list", gettext_lazy("人才工作站"), (Action.BROWSE_RECRUITMENT,)),
    Part("recruitment:event_list", gettext_lazy("推介会"), (Action.BROWSE_RECRUITMENT,)),
    Part("recruitment:lead_list", gettext_lazy("引才线索"), (Action.RECORD_LEAD, Action.MANAGE_RECRUITMENT)),
    Part("recruitment:agency_list", gettext_lazy("中介机构"), (Action.MANAGE_RECRUITMENT,)),
    Part(
        "recruitment:referral_list",
        gettext_lazy("推荐人才"),
        (Action.REFER_CANDIDATE, Action.BROWSE_RECRUITMENT),
    ),
    Part("recruitment:placement_list", gettext_lazy("引才到岗"), (Action.BROWSE_RECRUITMENT,)),
    Part(
        "recruitment:scheme_list",
        gettext_lazy("引才奖励方案"),
        (Action.MANAGE_RECRUITMENT, Action.SETTLE_REWARDS),
    ),
    Part(
        "recruitment:reward_list",
        gettext_lazy("引才奖励"),
        (Action.SETTLE_REWARDS, Action.BROWSE_RECRUITMENT),
    ),
    Part("recruitment:funnel", gettext_lazy("引才漏斗与报表"), (Action.BROWSE_RECRUITMENT,)),
)


def parts_for(user) -> list[dict]:
    """The parts `user` may use, with their links."""
    shown = []
    for part in PARTS:
        if not any(may(user, action) for action in part.actions):
            continue
        try:
            url = reverse(part.url_name)
        except NoReverseMatch:
            continue
        shown.append(
            {"url": url, "label": part.label, "note": part.note, "name": part.url_name.split(":")[1]}
        )
    return shown


@login_required
@require_GET
def index(request):
    user = request.user
    require(user, Action.BROWSE_RECRUITMENT)
    year = timezone.localdate().year
    funnel = reports.funnel_for(user, reports.FunnelFilters.for_year(year))
    return render(
        request, "recruitment/index.html", {"parts": parts_for(user), "year": year, "total": funnel.total}
    )


# -- the funnel ---------------------------------------------------------------------------------------------


def _counties() -> list[Region]:
    return list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("code"))


def _messages(problems: list[Problem]) -> list[str]:
    english = (get_language() or "").startswith("en")
    return [str(item["message_en"] if english else item["message_zh"]) for item in problems]


def _chart(funnel: reports.Funnel) -> dict:
    """What funnel.js draws: the stages, and arrivals by channel and by county."""
    total = funnel.total
    stages = [
        (_("发布需求"), total.demands or 0),
        (_("推荐与线索"), total.referrals + total.leads),
        (_("面试"), total.interviews),
        (_("到岗"), total.arrivals),
        (_("留任满12个月"), total.retained),
    ]

    def bars(rows: list[reports.Row]) -> dict:
        return {
            "labels": [row.label for row in rows],
            "referrals": [row.stages.referrals + row.stages.leads for row in rows],
            "arrivals": [row.stages.arrivals for row in rows],
        }

    return {
        "stages": [{"name": str(name), "value": value} for name, value in stages],
        "channel": bars(funnel.tables["channel"]),
        "county": bars(funnel.tables["county"]),
        "series": {"referrals": _("推荐与线索"), "arrivals": _("到岗")},
    }


@login_required
@require_GET
def funnel_page(request):
    user = request.user
    require(user, Action.BROWSE_RECRUITMENT)
    today = timezone.localdate()
    filters, problems = reports.parse_filters(request.GET, today)
    funnel = reports.funnel_for(user, filters, today=today)
    tables = [
        (name, reports.DIMENSION_TITLES[name], reports.DIMENSION_HEADERS[name], funnel.tables[name])
        for name in reports.DIMENSIONS
    ]
    context = {
        "funnel": funnel,
        "filters": filters,
        "wrong": _messages(problems),
        "tables": tables,
        "columns": reports.COLUMNS,
        "chart": _chart(funnel),
        "years": list(range(today.year + 1, reports.FIRST_YEAR - 1, -1)),
        "year": request.GET.get("year", str(today.year)),
        "channels": Channel.choices,
        "tiers": Tier.choices,
        "industries": Industry.choices,
        "counties": _counties(),
        "query": request.GET.urlencode(),
    }
    return render(request, "recruitment/funnel/funnel.html", context)


@login_required
@require_GET
def funnel_export(request):
    filters, _problems = reports.parse_filters(request.GET, timezone.localdate())
    spool, filename = reports.funnel_export(actor=request.user, filters=filters)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX)


urlpatterns = [
    path("", index, name="index"),
    path("funnel/", funnel_page, name="funnel"),
    path("funnel/export/", funnel_export, name="funnel_export"),
]
