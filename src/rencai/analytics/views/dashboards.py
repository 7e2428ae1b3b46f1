"""The dashboards: the city lead's one page (a county officer's is the same page scoped to the county, with
the comparison of the six counties), a county page, a department page and the meeting-room screen (大屏).

Thin: every figure comes from `compute.dashboard` (scoped by the viewer, small cells suppressed below the
city); charts are drawn by the vendored ECharts from data embedded with json_script, and every figure is
also in a table, so the page reads without JavaScript.

Speed: the board (everything between the navigation and the scripts) is rendered once per registry version
(`history.registry_version`, a trigger-kept change counter: the next request after any change renders it
anew), day, scope and rights, and kept in memory; the default board of each scope (today, default map) is
also written next to the history snapshot, so that a web worker that has just started answers the city
lead's page without loading the registry.
"""

import datetime as dt
import functools
import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.http import require_GET

from rencai.analytics import compute
from rencai.analytics import history as hist
from rencai.analytics.views import figures as f
from rencai.core.access import Action, may, require, visible_to
from rencai.core.errors import NotFound
from rencai.core.models import Region, RegionLevel

SCREEN_REFRESH_SECONDS = 300  # the meeting-room screen reloads itself every five minutes
BOARDS_IN_MEMORY = 32  # rendered boards kept per process (about 120 kB each)
# query parameters of a default board (the one a worker that has just started finds on disk)
DEFAULT_BOARD_PARAMETERS = frozenset({"board", "region"})
logger = logging.getLogger(__name__)


def _scope_name(user, region: Region | None) -> str:
    """What the page is about: the region asked for, else the viewer's own (the city for city officers)."""
    if region is not None:
        return region.display_name
    own = getattr(user, "region", None)
    return own.display_name if own is not None else ""


def _headline(figure, *, links: bool) -> dict:
    indicator = figure.indicator
    row = f.cell_row(figure.total, indicator, day=figure.day, region=figure.region, links=links)
    detail = reverse("analytics:indicator_detail", args=[indicator.code]) + f"?day={figure.day.isoformat()}"
    if figure.region is not None:
        detail += f"&region={figure.region.code}"
    return {
        **row,
        "code": indicator.code,
        "name": indicator.display_name,
        "unit": f.unit_label(indicator.unit),
        "name_suffix": f.name_suffix(indicator.unit),
        "benchmark": f.number_text(indicator.benchmark, indicator.unit)
        if indicator.benchmark is not None
        else "",
        "url": detail,
    }


def _openable(user) -> frozenset[str]:
    """The counties whose page the viewer may open (the city: six; a county: its own)."""
    counties = visible_to(user, Region.objects.filter(level=RegionLevel.COUNTY))
    return frozenset(counties.values_list("code", flat=True))


def _board_context(request, *, region: Region | None) -> dict:
    """Everything the city, county and screen pages show, from one `compute.dashboard` call."""
    user = request.user
    query, problems = f.parse_query(request.GET)
    board = compute.dashboard(user=user, day=query.day, region=region)
    links = may(user, Action.SEE_PEOPLE_BEHIND_FIGURES)
    headline = board["headline"]
    indicators = {figure.indicator.code: figure.indicator for figure in headline}
    for ranked_code in board["comparison"]:
        if ranked_code not in indicators:
            indicators[ranked_code] = f.indicator_by_code(ranked_code)
    compared = [code for code in board["comparison"] if code in indicators]
    map_code = request.GET.get("map", "")
    if map_code not in compared:
        map_code = compared[0] if compared else ""
    trends = {
        code: f.series_chart(indicators[code], cells)
        for code, cells in board["trends"].items()
        if code in indicators
    }
    structure = [
        {
            "by": by,
            "title": f.BREAKDOWN_LABELS.get(by, by),
            "code": figure.indicator.code,
            "name": figure.indicator.display_name,
            "unit_suffix": f.unit_suffix(figure.indicator.unit),
            "rows": f.figure_rows(figure, links=links and f.may_open_people(user, figure.indicator)),
        }
        for by, figure in board["structure"].items()
    ]
    chart = {
        "map": f.tile_map(indicators[map_code], board["comparison"][map_code], openable=_openable(user))
        if map_code
        else None,
        "trends": trends,
        "structure": {by: f.bars(figure) for by, figure in board["structure"].items()},
    }
    return {
        "day": query.day,
        "today": timezone.localdate(),
        "wrong": f.messages_of(problems),
        "region": region,
        "scope_name": _scope_name(user, region),
        "headline": [
            _headline(figure, links=links and f.may_open_people(user, figure.indicator))
            for figure in headline
        ],
        "comparison": f.ranking_table(board["comparison"], indicators),
        "map_code": map_code,
        "map_choices": [(code, indicators[code].display_name) for code in compared],
        "trend_list": [{"code": code, **chart_data} for code, chart_data in trends.items()],
        "structure": structure,
        "chart": chart,
        "query": request.GET.urlencode(),
        "counties": f.counties() if region is None and may(user, Action.MANAGE_INDICATORS) else [],
        "can_manage": may(user, Action.MANAGE_INDICATORS),
        "report_month": _last_month(timezone.localdate()),
    }


def _last_month(today: dt.date) -> str:
    first = today.replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def _county(code: str) -> Region:
    region = Region.objects.filter(code=code, level=RegionLevel.COUNTY).first()
    if region is None:
        raise NotFound()
    return region


# -- the cached board ---------------------------------------------------------------------------------------

_boards: OrderedDict[str, str] = OrderedDict()
_boards_lock = threading.Lock()


def _viewer(user, region: Region | None) -> list:
    """What a board shows differently from one viewer to another besides the figures: scope and rights."""
    return [
        compute.scope_region(user).code,
        compute.sees_small_cells(user),
        may(user, Action.SEE_PEOPLE_BEHIND_FIGURES),
        may(user, Action.EXPORT),
        may(user, Action.MANAGE_INDICATORS),
        sorted(_openable(user)),
        _scope_name(user, region),
    ]


def _board_key(request, template: str, day: dt.date, region: Region | None, version: tuple) -> list:
    return [
        template,
        list(version),
        timezone.localdate().isoformat(),  # "today" bounds the date field and names the report month
        day.isoformat(),
        region.code if region is not None else "",
        request.GET.get("map", ""),
        bool(request.GET.get("board")),
        get_language(),
        _viewer(request.user, region),
    ]


@functools.cache
def _code_fingerprint() -> str:
    """The code and translations a board's HTML comes from: a board on disk from other code is not used."""
    package = Path(compute.__file__).resolve().parent
    files = sorted(package.rglob("*.py")) + sorted(package.rglob("*.html"))
    files += [*sorted((package.parent / "locale").rglob("*.mo")), package.parent / "urls.py"]
    digest = hashlib.sha256(hist._code_fingerprint().encode())
    for file in files:
        digest.update(str(file.relative_to(package.parent)).encode() + file.read_bytes())
    return digest.hexdigest()[:16]


def _board_path(key: list) -> Path | None:
    """The file of a default board: one per scope, rights, template and language (the version, the day and
    the code are checked inside: a newer board replaces it)."""
    snapshot = hist.snapshot_path()
    if snapshot is None:
        return None
    stable = json.dumps([snapshot.name, key[0], *key[4:]])
    return snapshot.with_name(f"board-{hashlib.sha256(stable.encode()).hexdigest()[:20]}.json")


def _load_board(path: Path | None, key: str) -> str | None:
    if path is None or not path.exists():
        return None
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        logger.warning("cached board %s unreadable: %s", path, error)
        return None
    if stored.get("key") != key or stored.get("code") != _code_fingerprint():
        return None
    return stored.get("html")


def _save_board(path: Path, key: str, html: str) -> None:
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"key": key, "code": _code_fingerprint(), "html": html})
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            handle.write(text)  # figures of the whole city, small cells included: for this service only
        os.replace(partial, path)
    except OSError as error:  # a full or read-only disk costs the next new worker a render, nothing more
        logger.warning("cached board not written to %s: %s", path, error)
        partial.unlink(missing_ok=True)


def _remember_board(key: str, html: str) -> None:
    with _boards_lock:
        _boards[key] = html
        _boards.move_to_end(key)
        while len(_boards) > BOARDS_IN_MEMORY:
            _boards.popitem(last=False)


def clear_boards() -> None:
    """Forget this process's rendered boards (files on disk stay)."""
    with _boards_lock:
        _boards.clear()


def cached_board(request, template: str, *, region: Region | None, extra: dict | None = None) -> str:
    """The board's HTML for this viewer: from memory or disk when rendered before for the same registry
    version, day, scope and rights; rendered (and kept) otherwise. Nothing is kept inside a transaction or
    without the change counter (no version: see `history.registry_version`), nor for a wrong query."""
    user = request.user
    with hist.one_reading() as version:
        compute.region_within_scope(user, region)  # out of scope: 404 before any cache is looked at
        query, problems = f.parse_query(request.GET)
        key = path = None
        if version is not None and not problems and not connection.in_atomic_block:
            parts = _board_key(request, template, query.day, region, version)
            key = json.dumps(parts, default=str)
            if set(request.GET) <= DEFAULT_BOARD_PARAMETERS:
                path = _board_path(parts)
            with _boards_lock:
                html = _boards.get(key)
            if html is None and (html := _load_board(path, key)) is not None:
                _remember_board(key, html)
            if html is not None:
                return html
        context = _board_context(request, region=region)
        context.update(extra or {})
        html = render_to_string(template, context, request)
        if key is not None:
            _remember_board(key, html)
            if path is not None:
                _save_board(path, key, html)
        return html


# -- the pages ----------------------------------------------------------------------------------------------


def _board_page(request, region: Region | None):
    body = cached_board(request, "analytics/_dashboard_body.html", region=region)
    return render(
        request,
        "analytics/dashboard.html",
        {"body": mark_safe(body), "scope_name": _scope_name(request.user, region)},  # our own render
    )


@login_required
@require_GET
def index(request):
    """The city lead's page (a county officer's: their county, and the comparison); a department officer
    is taken to their department's page (which links back here with ?board for the figures of their scope)."""
    user = request.user
    require(user, Action.VIEW_ANALYTICS)
    if user.department_id and not may(user, Action.SEE_PEOPLE_BEHIND_FIGURES) and "board" not in request.GET:
        return redirect("analytics:department")
    return _board_page(request, None)


@login_required
@require_GET
def county(request, code: str):
    """One county's page: the city sees any, a county only its own (another is 404, naming nothing)."""
    require(request.user, Action.VIEW_ANALYTICS)
    return _board_page(request, _county(code))


@login_required
@require_GET
def screen(request):
    """The meeting-room screen: the same figures, dark, large, no navigation, reloading itself."""
    require(request.user, Action.VIEW_ANALYTICS)
    region = f.region_by_code(request.GET.get("region", ""))
    extra = {"refresh": SCREEN_REFRESH_SECONDS, "refresh_minutes": SCREEN_REFRESH_SECONDS // 60}
    return HttpResponse(cached_board(request, "analytics/screen.html", region=region, extra=extra))


# -- the department page ------------------------------------------------------------------------------------

# The coordination pages a department keeps (work lists, targets), linked when installed
DEPARTMENT_LINKS = (
    ("coordination:worklist_index", gettext_lazy("职责清单与工作台账")),
    ("coordination:target_index", gettext_lazy("目标责任考核")),
    ("coordination:consultation_list", gettext_lazy("政策征求意见")),
)


def _links() -> list[dict]:
    found = []
    for name, label in DEPARTMENT_LINKS:
        try:
            found.append({"url": reverse(name), "label": label})
        except NoReverseMatch:  # a part of coordination not installed here
            continue
    return found


SOON_DAYS = 14  # milestones due within two weeks are "coming up"


def _worklist_summary(user, today: dt.date) -> dict:
    """This year's work items of the user's department by status, and its open milestones (overdue, due
    within two weeks), as the coordination app scopes them (a department reads its own list only)."""
    # coordination is analytics' peer (it reads indicators for target progress); read only, at call time
    from rencai.coordination.selectors import worklists as coordination

    items = coordination.work_items_for(user, year=today.year)
    labels = dict(items.model._meta.get_field("status").flatchoices)
    counts = list(items.order_by().values_list("status").annotate(n=Count("id")))
    open_milestones = coordination.milestones_open(user, until=today + dt.timedelta(days=SOON_DAYS))
    overdue = open_milestones.filter(due_on__lt=today).count()
    return {
        "by_status": [
            {"status": status, "label": labels.get(status, status), "n": n} for status, n in counts
        ],
        "items": sum(n for _status, n in counts),
        "overdue": overdue,
        "soon": open_milestones.count() - overdue,
        "year": today.year,
    }


@login_required
@require_GET
def department(request):
    """A department officer's page: the department's one-stop on-time rate beside the other departments of
    its region (the service dashboard's definition), this year's work list in figures, and links to its work
    list, targets and consultations."""
    from rencai.onestop.selectors import dashboard as service_dashboard

    user = request.user
    require(user, Action.VIEW_ANALYTICS)
    if not user.department_id:
        raise NotFound("您的账户不属于任何职能部门", "Your account belongs to no department")
    board = service_dashboard(user)
    rows = [
        {
            "name": row.label,
            "decided": row.decided,
            "on_time": row.on_time,
            "overdue_open": row.overdue_open,
            "rate": f.number_text(Decimal(str(row.rate)) * 100, "%") if row.rate is not None else "—",
            "own": row.key == user.department_id,
        }
        for row in board.by_department
    ]
    own = next((row for row in rows if row["own"]), None)
    region = getattr(user, "region", None)
    return render(
        request,
        "analytics/department.html",
        {
            "department": user.department,
            "own": own,
            "rows": rows,
            "links": _links(),
            "worklist": _worklist_summary(user, timezone.localdate()),
            "county_url": reverse("analytics:county", args=[region.code])
            if region is not None and region.level == RegionLevel.COUNTY
            else reverse("analytics:dashboard") + "?board=1",
            "region": region,
        },
    )


urlpatterns = [
    path("", index, name="dashboard"),
    path("county/<str:code>/", county, name="county"),
    path("department/", department, name="department"),
    path("screen/", screen, name="screen"),
]
