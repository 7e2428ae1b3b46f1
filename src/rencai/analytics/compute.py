"""Computing indicators: a figure for any day, broken down, scoped to the viewer, small cells suppressed.

    figure(indicator, user=…, day=…, region=None, by=None) -> Figure        (total and one cell per value)
    series(indicator, user=…, start=…, end=…, region=None) -> [Cell]      (month ends, Cell.key = ISO date)
    comparison(indicator, user=…, day=…) -> [(rank, Cell)]                 (the six counties, best first)
    people(indicator, user=…, day=…, …) -> QuerySet[Talent]                (the talents behind a figure)
    region_value(code, region=…, day=…) -> Decimal | None                  (unscoped, for services)
    standard_indicators() / dashboard(user=…, day=…, region=None)

Frame indicators count the talents present on the day (`history.present_on`) whose features pass the
numerator rule, within those passing the denominator rule (a share), or alone (a count); flow indicators
count arrivals minus departures over the year up to the day, over the population a year before; source
indicators come from `analytics.sources`. Features the registry keeps no history of (team, tier, degree,
employer, county) take today's value on every day: a past figure is "today's people as they were present
then", which the indicator page says.

Suppression: below the city (everyone but the city organization department and superusers), a cell counting
fewer than `SMALL_CELL` people in its numerator or its denominator shows no figures; when that leaves exactly
one cell of a breakdown hidden, the next smallest is hidden too, so that no hidden cell can be recovered by
subtracting the others from the total (secondary suppression).

Speed: the raw counts of a figure are cached per process by (registry state, indicator version, day, region,
breakdown) and written to disk next to the history snapshot, so that a process that has just started
answers a dashboard it computed before without loading the registry. A series whose rules read no feature
that changes with the day for everyone (age, years since arrival, months employed) evaluates its rules once
and counts each month from sorted arrival and departure dates; only the few talents with dated honours,
memberships, achievements or projects are evaluated month by month. Each public read below reads the
change counter once (`history.pinned`) and the registry state only when the counter moved.
"""

import datetime as dt
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
from django.db import connection
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rencai.accounts.models import User
from rencai.analytics import history as hist
from rencai.analytics.models import Indicator, IndicatorCategory, IndicatorKind
from rencai.core.access import Action, may, require, visible_to
from rencai.core.errors import DomainError, ErrorCode, NotFound
from rencai.core.models import Region, RegionLevel
from rencai.policies.engine import CompiledRule, compile_rule
from rencai.registry.choices import Degree, Gender, Industry, Team, Tier
from rencai.registry.models import Talent

logger = logging.getLogger(__name__)

BREAKDOWNS = ("region", "team", "tier", "industry", "age_band", "degree", "gender")
BREAKDOWN_LABELS = {
    "region": gettext_lazy("县（市、区）"),
    "team": gettext_lazy("人才队伍"),
    "tier": gettext_lazy("人才类别"),
    "industry": gettext_lazy("行业"),
    "age_band": gettext_lazy("年龄段"),
    "degree": gettext_lazy("学历"),
    "gender": gettext_lazy("性别"),
}
# the frame column each breakdown groups by (age_band is computed from age)
BREAKDOWN_COLUMNS = {
    "region": "region",
    "team": "team",
    "tier": "tier",
    "industry": "employer_industry",
    "age_band": "age_band",
    "degree": "degree",
    "gender": "gender",
}
AGE_BANDS = (
    ("under_35", gettext_lazy("35岁以下")),
    ("35_44", gettext_lazy("35–44岁")),
    ("45_54", gettext_lazy("45–54岁")),
    ("55_plus", gettext_lazy("55岁及以上")),
)
SMALL_CELL = 5
TOTAL = "*"  # the total's key among raw counts ("" is a breakdown value: unclassified, no employer)
EPOCH = dt.date(1970, 1, 1)
TRENDS_FROM = dt.date(2015, 1, 1)
STRUCTURE_INDICATOR = "talents_total"
STRUCTURE_BREAKDOWNS = ("team", "tier", "industry", "age_band", "degree", "gender", "region")
HUNDREDTH = Decimal("0.01")
RESULTS_LIMIT = 20_000  # cached raw counts per process (a dashboard uses a few hundred)

Number = Decimal | int


@dataclass(frozen=True)
class Cell:
    """One breakdown value (or the total, key ""): its counts and value, or None where suppressed."""

    key: str
    label: str
    numerator: Number | None
    denominator: Number | None
    value: Decimal | None
    suppressed: bool


@dataclass(frozen=True)
class Figure:
    indicator: Indicator
    day: dt.date
    region: Region | None  # None: the viewer's whole scope (the city for city officers)
    total: Cell
    by: str | None
    cells: list[Cell]  # one per breakdown value, in order; [] when `by` is None


# Raw counts of one cell: (numerator, denominator or None, people) where `people` is the smallest number of
# people the cell's figures rest on (None: not counts of people, e.g. money: never suppressed)
Raw = tuple[Number, Number | None, int | None]


# -- indicators and rules -----------------------------------------------------------------------------------


def standard_indicators() -> QuerySet[Indicator]:
    """The active standard indicators, by category (in the order categories are declared) and position."""
    order = Case(
        *(When(category=value, then=Value(i)) for i, value in enumerate(IndicatorCategory.values)),
        default=Value(len(IndicatorCategory.values)),
        output_field=IntegerField(),
    )
    return (
        Indicator.objects.filter(active=True, is_standard=True)
        .annotate(category_order=order)
        .order_by("category_order", "position", "code")
    )


def rules_of(indicator: Indicator) -> tuple[CompiledRule, CompiledRule | None]:
    """The compiled numerator and denominator (None: a plain count). The engine caches them by text."""
    numerator = compile_rule(indicator.numerator or "true", expect="bool")
    denominator = (
        compile_rule(indicator.denominator, expect="bool") if indicator.denominator.strip() else None
    )
    return numerator, denominator


def _features(indicator: Indicator, by: str | None = None) -> frozenset[str]:
    numerator, denominator = rules_of(indicator)
    features = set(numerator.features) | (set(denominator.features) if denominator else set())
    if by == "age_band":
        features.add("age")
    return frozenset(features)


def _bad_breakdown(by: str) -> DomainError:
    return DomainError(
        ErrorCode.VALIDATION_FAILED,
        f"该指标不能按“{by}”分组",
        f"This indicator cannot be broken down by “{by}”",
        details=[
            {"field": "by", "message_zh": "分组不存在或不适用", "message_en": "Unknown or unusable grouping"}
        ],
    )


def allowed_breakdowns(indicator: Indicator) -> tuple[str, ...]:
    """The breakdowns this indicator offers: its own list (all breakdowns when empty), or its source's."""
    if indicator.kind == IndicatorKind.SOURCE:
        from rencai.analytics.sources import source_of

        return source_of(indicator).breakdowns
    own = tuple(indicator.breakdowns or ())
    return tuple(name for name in BREAKDOWNS if not own or name in own)


def _check_breakdown(indicator: Indicator, by: str | None) -> None:
    if by is not None and by not in allowed_breakdowns(indicator):
        raise _bad_breakdown(by)


# -- scope --------------------------------------------------------------------------------------------------

_regions_lock = threading.Lock()
_regions: dict = {}


def _all_regions() -> dict[str, Region]:
    """code -> Region (a handful of rows), read again with each new reading of the registry state."""
    if not hist.state_epoch():
        hist.current_state()
    with _regions_lock:
        key = (connection.settings_dict["NAME"], hist.state_epoch())
        if _regions.get("db") != key or not _regions.get("by_code"):
            _regions["by_code"] = {r.code: r for r in Region.objects.all()}
            _regions["db"] = key
        return _regions["by_code"]


def city_region() -> Region:
    """The top region the registry covers (the city)."""
    regions = sorted(_all_regions().values(), key=lambda r: len(r.path))
    cities = [r for r in regions if r.level == RegionLevel.CITY]
    return (cities or regions)[0]


def counties() -> list[Region]:
    """The six counties (the regions directly below the city), by code."""
    city = city_region()
    return sorted((r for r in _all_regions().values() if r.parent_id == city.pk), key=lambda r: r.code)


def scope_region(user: User) -> Region:
    """The region whose figures `user` sees: their own region (the city for superusers)."""
    if user.is_superuser or not user.region_id:
        return city_region()
    return next((r for r in _all_regions().values() if r.pk == user.region_id), None) or city_region()


def sees_small_cells(user: User) -> bool:
    """Whether the viewer sees small cells: the city organization department (those who may see the people
    behind any figure of the whole city) and superusers."""
    if user.is_superuser:
        return True
    return may(user, Action.SEE_PEOPLE_BEHIND_FIGURES) and scope_region(user).pk == city_region().pk


def _resolve(user: User, region: Region | None) -> Region:
    """The region asked for, within the viewer's scope (NotFound otherwise, naming nothing)."""
    scope = scope_region(user)
    if region is None:
        return scope
    if not region.path.startswith(scope.path):
        raise NotFound()
    return region


def region_within_scope(user: User, region: Region | None) -> Region:
    """The region asked for (None: the viewer's own), within the viewer's scope (NotFound otherwise)."""
    return _resolve(user, region)


def _codes(region: Region) -> tuple[str, ...] | None:
    """The region codes a region's figures count (None: the whole registry)."""
    if region.pk == city_region().pk:
        return None
    return tuple(sorted(r.code for r in _all_regions().values() if r.path.startswith(region.path)))


# -- labels -------------------------------------------------------------------------------------------------


def _choice_labels(choices) -> dict[str, str]:
    return {str(value): str(label) for value, label in choices.choices}


def breakdown_keys(by: str, region: Region | None = None) -> list[tuple[str, str]]:
    """(key, label) of every value of a breakdown, in display order."""
    if by == "region":
        region = region or city_region()
        below = [r for r in _all_regions().values() if r.parent_id == region.pk]
        return [(r.code, r.display_name) for r in sorted(below or [region], key=lambda r: r.code)]
    if by == "age_band":
        return [(key, str(label)) for key, label in AGE_BANDS]
    if by not in BREAKDOWNS:
        return []  # a source's own breakdown (department): its keys come with its counts
    choices = {"team": Team, "tier": Tier, "industry": Industry, "degree": Degree, "gender": Gender}[by]
    keys = list(_choice_labels(choices).items())
    if by in ("tier", "team"):
        keys.append(("", _("未分类")))
    elif by == "industry":
        keys.append(("", _("无用人单位")))
    elif by == "gender":
        keys.append(("", _("未登记")))
    return keys


def _label(by: str, key: str) -> str:
    if by == "region":
        region = _all_regions().get(key)
        return region.display_name if region else key
    if by == "department":
        from rencai.registry.models import Department

        name = (
            Department.objects.filter(pk=int(key)).values_list("name", flat=True).first()
            if key.isdigit()
            else None
        )
        return name or key
    return dict(breakdown_keys(by)).get(key, key)


# -- raw counts ---------------------------------------------------------------------------------------------

_results: dict = {}  # key -> raw counts; "state" -> the registry state they were computed for
_results_lock = threading.Lock()
_unsaved: set = set()


def _version(indicator: Indicator) -> str:
    return f"{indicator.pk}:{indicator.updated_at.isoformat() if indicator.updated_at else ''}"


def _results_for(state: tuple) -> dict:
    """This process's cached raw counts for `state` (loaded from disk in a process that has just started)."""
    with _results_lock:
        if _results.get("state") != state:
            _results.clear()
            _unsaved.clear()
            _results["state"] = state
            _results["data"] = _load_results(state)
        return _results["data"]


def _remember(state: tuple, key: str, value) -> None:
    data = _results_for(state)
    with _results_lock:
        if len(data) >= RESULTS_LIMIT:
            data.clear()
        data[key] = value
        _unsaved.add(key)


def clear_cache() -> None:
    """Forget this process's cached figures and regions (files on disk stay)."""
    with _results_lock:
        _results.clear()
        _unsaved.clear()
        _sources.clear()
    with _regions_lock:
        _regions.clear()


def _age_band() -> pl.Expr:
    age = pl.col("age")
    return (
        pl.when(age < 35)
        .then(pl.lit("under_35"))
        .when(age < 45)
        .then(pl.lit("35_44"))
        .when(age < 55)
        .then(pl.lit("45_54"))
        .otherwise(pl.lit("55_plus"))
        .alias("age_band")
    )


def _group(frame: pl.LazyFrame, by: str | None) -> tuple[pl.LazyFrame, str | None]:
    if by is None:
        return frame, None
    if by == "age_band":
        frame = frame.with_columns(_age_band())
    return frame, BREAKDOWN_COLUMNS[by]


def _masks(indicator: Indicator) -> tuple[pl.Expr, pl.Expr]:
    numerator, denominator = rules_of(indicator)
    within = denominator.to_polars() if denominator is not None else pl.lit(True)
    return numerator.to_polars() & within, within


def _frame_counts(
    history: hist.History, indicator: Indicator, day: dt.date, codes: tuple[str, ...] | None, by: str | None
) -> dict[str, Raw]:
    """{key: (numerator, denominator, people)} of a frame indicator; key TOTAL is the total."""
    numerator, within = _masks(indicator)
    counted = indicator.denominator.strip() != ""
    frame = hist.frame_on(history, day, _features(indicator, by)).lazy()
    if codes is not None:
        frame = frame.filter(pl.col("region").is_in(list(codes)))
    frame, column = _group(frame, by)
    aggregates = [numerator.sum().cast(pl.Int64).alias("n"), within.sum().cast(pl.Int64).alias("d")]
    rows: list[tuple[str, int, int]] = []
    if column is not None:
        grouped = frame.group_by(pl.col(column).alias("key")).agg(aggregates).collect()
        rows = [(str(k), int(n), int(d)) for k, n, d in grouped.select("key", "n", "d").iter_rows()]
    n_total = sum(r[1] for r in rows) if column else None
    d_total = sum(r[2] for r in rows) if column else None
    if column is None:
        n_total, d_total = frame.select(aggregates).collect().row(0)
    result: dict[str, Raw] = {}
    for key, n, d in [(TOTAL, int(n_total or 0), int(d_total or 0)), *rows]:
        result[key] = (n, d, min(n, d)) if counted else (n, None, n)
    return result


def _flow_parts(
    history: hist.History, indicator: Indicator, day: dt.date, codes: tuple[str, ...] | None, by: str | None
) -> dict[str, tuple[int, int, int]]:
    """{key: (arrivals, departures, population a year before)} over the year up to `day`."""
    numerator, within = _masks(indicator)
    start = policy_year_before(day)
    frame = hist.with_date_features(history, history.frame.lazy(), day, _features(indicator, by))
    if codes is not None:
        frame = frame.filter(pl.col("region").is_in(list(codes)))
    frame, column = _group(frame, by)
    arrival, departed = pl.col("arrival_date"), pl.col("departed_on")
    lo, hi = pl.lit(start, dtype=pl.Date), pl.lit(day, dtype=pl.Date)
    stayed = departed.is_null() | (departed > arrival)  # departed before arriving: never present
    aggregates = [
        (numerator & stayed & (arrival > lo) & (arrival <= hi)).sum().cast(pl.Int64).alias("a"),
        (numerator & stayed & departed.is_not_null() & (departed > lo) & (departed <= hi))
        .sum()
        .cast(pl.Int64)
        .alias("l"),
        (within & hist.present_on(start)).sum().cast(pl.Int64).alias("d"),
    ]
    if column is None:
        a, l_, d = frame.select(aggregates).collect().row(0)
        return {TOTAL: (int(a), int(l_), int(d))}
    grouped = frame.group_by(pl.col(column).alias("key")).agg(aggregates).collect()
    parts = {
        str(k): (int(a), int(l_), int(d)) for k, a, l_, d in grouped.select("key", "a", "l", "d").iter_rows()
    }
    parts[TOTAL] = tuple(sum(p[i] for p in parts.values()) for i in range(3))  # type: ignore[assignment]
    return parts


def _flow_counts(
    history: hist.History, indicator: Indicator, day: dt.date, codes: tuple[str, ...] | None, by: str | None
) -> dict[str, Raw]:
    """{key: (arrivals - departures, population a year before, people)} over the year up to `day`."""
    parts = _flow_parts(history, indicator, day, codes, by)
    return {key: (a - l_, d, min(a, l_, d)) for key, (a, l_, d) in parts.items()}


def policy_year_before(day: dt.date) -> dt.date:
    """The same day a year earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _raw(indicator: Indicator, day: dt.date, codes: tuple[str, ...] | None, by: str | None) -> dict[str, Raw]:
    """The raw counts of a figure, unscoped and unsuppressed (cached for frame and flow indicators)."""
    if indicator.kind == IndicatorKind.SOURCE:
        return _source_raw(indicator, day, codes, by)
    state = hist.current_state()
    key = json.dumps(["figure", _version(indicator), day.isoformat(), codes, by])
    cached = _results_for(state).get(key)
    if cached is not None:
        return {k: tuple(v) for k, v in cached.items()}
    history = hist.cached_history(state)
    counts = _flow_counts if indicator.kind == IndicatorKind.FLOW else _frame_counts
    result = counts(history, indicator, day, codes, by)
    _remember(history.state, key, {k: list(v) for k, v in result.items()})
    return result


_sources: dict = {}


def _source_raw(
    indicator: Indicator, day: dt.date, codes: tuple[str, ...] | None, by: str | None
) -> dict[str, Raw]:
    """A source's raw counts, reused while the registry state in use is (on a large registry the state is
    trusted for a few seconds: the sources' figures are then as fresh as the registry's)."""
    from rencai.analytics.sources import source_of

    hist.current_state()
    epoch = hist.state_epoch()
    with _results_lock:
        if _sources.get("epoch") != epoch:
            _sources.clear()
            _sources["epoch"] = epoch
        key = (indicator.source, _version(indicator), day, codes, by)
        cached = _sources.get(key)
        by_region = _sources.get((indicator.source, _version(indicator), day, codes, "region"))
        if cached is None and by is None and by_region is not None:
            cached = {TOTAL: by_region[TOTAL]}  # the total of a breakdown already read
    if cached is None:
        cached = source_of(indicator).compute(day=day, codes=codes, by=by)
        with _results_lock:
            _sources[key] = cached
    return cached


# -- cells and suppression ----------------------------------------------------------------------------------


def _value(indicator: Indicator, numerator: Number, denominator: Number | None) -> Decimal | None:
    factor = Decimal(indicator.factor)
    if denominator is None:
        return (Decimal(numerator) * factor).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator) * factor).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def _cell(indicator: Indicator, key: str, label: str, raw: Raw | None, suppressed: bool) -> Cell:
    if raw is None:
        raw = (0, 0 if indicator.is_share else None, 0)
    numerator, denominator, _people = raw
    if suppressed:
        return Cell(key, label, None, None, None, True)
    return Cell(key, label, numerator, denominator, _value(indicator, numerator, denominator), False)


def _small(raw: Raw | None) -> bool:
    people = 0 if raw is None else raw[2]
    return people is not None and people < SMALL_CELL


def suppressed_keys(raws: dict[str, Raw | None], total_hidden: bool = False) -> set[str]:
    """The keys of a breakdown to hide: the small cells, and, when that hides exactly one cell (and the
    total is shown), the next smallest, so that the hidden cell cannot be recovered from the total."""
    hidden = {key for key, raw in raws.items() if _small(raw)}
    if len(hidden) == 1 and not total_hidden:
        shown = [(raws[key][2] or 0, key) for key in raws if key not in hidden and raws[key] is not None]  # type: ignore[index]
        if shown:
            hidden.add(min(shown)[1])
    return hidden


def _cells(
    indicator: Indicator, raw: dict[str, Raw], by: str, region: Region, suppress: bool, total_hidden: bool
) -> list[Cell]:
    keys = breakdown_keys(by, region)
    known = {key for key, _label in keys}
    keys += [(key, _label(by, key)) for key in sorted(raw) if key != TOTAL and key not in known]
    raws: dict[str, Raw | None] = {key: raw.get(key) for key, _label in keys}
    hidden = suppressed_keys(raws, total_hidden) if suppress else set()
    return [_cell(indicator, key, label, raws[key], key in hidden) for key, label in keys]


def _figure(
    indicator: Indicator, *, day: dt.date, region: Region, by: str | None, suppress: bool, shown_region
) -> Figure:
    raw = _raw(indicator, day, _codes(region), by)
    total_hidden = suppress and _small(raw.get(TOTAL))
    total = _cell(indicator, "", region.display_name, raw.get(TOTAL), total_hidden)
    cells = _cells(indicator, raw, by, region, suppress, total_hidden) if by else []
    return Figure(indicator, day, shown_region, total, by, cells)


# -- the public reads ---------------------------------------------------------------------------------------


@hist.pinned
def figure(
    indicator: Indicator, *, user: User, day: dt.date, region: Region | None = None, by: str | None = None
) -> Figure:
    """One indicator on one day for the viewer: within their scope (a region outside it is NotFound), small
    cells suppressed below the city; a bad breakdown is a DomainError."""
    hist.current_state()  # first: the regions cached with it
    require(user, Action.VIEW_ANALYTICS)
    _check_breakdown(indicator, by)
    where = _resolve(user, region)
    return _figure(
        indicator, day=day, region=where, by=by, suppress=not sees_small_cells(user), shown_region=region
    )


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """The last day of each month from `start`'s month to `end`'s, the last one clipped to `end`."""
    days = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        days.append(min(following - dt.timedelta(days=1), end))
        year, month = following.year, following.month
    return days


def _sorted_days(values: pl.Series) -> pl.Series:
    return values.drop_nulls().cast(pl.Int32).sort()


def _count_up_to(days: pl.Series, on: pl.Series) -> pl.Series:
    """How many of the sorted `days` fall on or before each of `on`."""
    return days.search_sorted(on, side="right").cast(pl.Int64)


def _series_static(
    history: hist.History, indicator: Indicator, days: list[dt.date], codes: tuple[str, ...] | None
) -> list[Raw]:
    """Monthly raw counts when the rules read no dense date feature: masks once for the talents whose features
    are the same on every day, counted per month from sorted dates; the others evaluated month by month."""
    features = _features(indicator)
    numerator, within = _masks(indicator)
    touched = history.touched(features)
    arrival, departed = pl.col("arrival_date"), pl.col("departed_on")
    base = history.frame.lazy()
    if codes is not None:
        base = base.filter(pl.col("region").is_in(list(codes)))
    # talents marked departed without a date, or departed before arriving, are present on no day
    base = base.filter((departed.is_null() & (pl.col("status") == "active")) | (departed > arrival))
    if "status" in features:
        base = base.with_columns(pl.lit("active").alias("status"))
    steady = base.filter(~pl.col("talent_id").is_in(touched.implode()))
    marked = steady.select(arrival, departed, numerator.alias("n"), within.alias("d")).collect()
    on = pl.Series([(day - EPOCH).days for day in days], dtype=pl.Int32)
    before = pl.Series([(policy_year_before(day) - EPOCH).days for day in days], dtype=pl.Int32)

    def up_to(mask: str, column: str, when: pl.Series) -> pl.Series:
        return _count_up_to(_sorted_days(marked.filter(pl.col(mask))[column]), when)

    flow = indicator.kind == IndicatorKind.FLOW
    if flow:
        arrivals = up_to("n", "arrival_date", on) - up_to("n", "arrival_date", before)
        departures = up_to("n", "departed_on", on) - up_to("n", "departed_on", before)
        population = up_to("d", "arrival_date", before) - up_to("d", "departed_on", before)
    else:
        present_n = up_to("n", "arrival_date", on) - up_to("n", "departed_on", on)
        present_d = up_to("d", "arrival_date", on) - up_to("d", "departed_on", on)
    others = history.frame.filter(pl.col("talent_id").is_in(touched.implode()))
    if codes is not None:
        others = others.filter(pl.col("region").is_in(list(codes)))
    others = others.filter((departed.is_null() & (pl.col("status") == "active")) | (departed > arrival))
    few = replace_frame(history, others)
    changes = hist.change_days(history, features)
    counted = indicator.denominator.strip() != ""
    result: list[Raw] = []
    marks: pl.DataFrame | None = None
    previous = dt.date.min
    for i, day in enumerate(days):
        if others.height and (marks is None or _changed_between(changes, previous, day)):
            # the few talents' dated features changed since the last month end: evaluate their rules again
            marks = (
                hist.with_date_features(few, others.lazy(), day, features)
                .select("arrival_date", "departed_on", numerator.alias("n"), within.alias("d"))
                .with_columns(pl.lit("active").alias("status"))  # undated departures were left out above
                .collect()
            )
        previous = day
        extra = _marked_counts(marks, day, flow) if others.height and marks is not None else (0, 0, 0)
        if flow:
            a = int(arrivals[i]) + extra[0]
            l_ = int(departures[i]) + extra[1]
            d = int(population[i]) + extra[2]
            result.append((a - l_, d, min(a, l_, d)))
        else:
            n, d = int(present_n[i]) + extra[0], int(present_d[i]) + extra[1]
            result.append((n, d, min(n, d)) if counted else (n, None, n))
    return result


def _changed_between(changes: pl.Series, after: dt.date, until: dt.date) -> bool:
    """Whether a dated feature changes on a day in (after, until]."""
    if after == dt.date.min:
        return True
    lo = changes.search_sorted(pl.Series([after], dtype=pl.Date), side="right")[0]
    hi = changes.search_sorted(pl.Series([until], dtype=pl.Date), side="right")[0]
    return bool(hi > lo)


def _marked_counts(marks: pl.DataFrame, day: dt.date, flow: bool) -> tuple[int, int, int]:
    """(numerator, denominator, 0) present on `day`, or for a flow (arrivals, departures, population a year
    before) over the year up to `day`, of rows carrying their masks `n` and `d`."""
    if not flow:
        n, d = marks.filter(hist.present_on(day)).select(pl.col("n").sum(), pl.col("d").sum()).row(0)
        return int(n or 0), int(d or 0), 0
    start = policy_year_before(day)
    arrival, departed = pl.col("arrival_date"), pl.col("departed_on")
    lo, hi = pl.lit(start, dtype=pl.Date), pl.lit(day, dtype=pl.Date)
    stayed = departed.is_null() | (departed > arrival)
    a, l_, d = marks.select(
        (pl.col("n") & stayed & (arrival > lo) & (arrival <= hi)).sum(),
        (pl.col("n") & stayed & departed.is_not_null() & (departed > lo) & (departed <= hi)).sum(),
        (pl.col("d") & hist.present_on(start)).sum(),
    ).row(0)
    return int(a or 0), int(l_ or 0), int(d or 0)


def replace_frame(history: hist.History, frame: pl.DataFrame) -> hist.History:
    """The same history restricted to the rows of `frame` (the dated rows stay whole: joins drop the rest)."""
    return replace(history, frame=frame)


def _series_raw(indicator: Indicator, days: list[dt.date], codes: tuple[str, ...] | None) -> list[Raw]:
    if indicator.kind == IndicatorKind.SOURCE:
        return [_source_raw(indicator, day, codes, None)[TOTAL] for day in days]
    state = hist.current_state()
    key = json.dumps(["series", _version(indicator), [d.isoformat() for d in days], codes])
    cached = _results_for(state).get(key)
    if cached is not None:
        return [tuple(row) for row in cached]
    history = hist.cached_history(state)
    if _features(indicator) & hist.DENSE_DATE_FEATURES:
        result = [_raw(indicator, day, codes, None)[TOTAL] for day in days]
    else:
        result = _series_static(history, indicator, days, codes)
    _remember(history.state, key, [list(row) for row in result])
    return result


@hist.pinned
def series(
    indicator: Indicator, *, user: User, start: dt.date, end: dt.date, region: Region | None = None
) -> list[Cell]:
    """Monthly values from `start`'s month to `end` (each month's last day, the last clipped to `end`),
    Cell.key the ISO date, suppressed like a figure's total."""
    hist.current_state()  # first: the regions cached with it
    require(user, Action.VIEW_ANALYTICS)
    where = _resolve(user, region)
    suppress = not sees_small_cells(user)
    days = month_ends(start, end)
    raws = _series_raw(indicator, days, _codes(where))
    return [
        _cell(indicator, day.isoformat(), day.isoformat(), raw, suppress and _small(raw))
        for day, raw in zip(days, raws, strict=True)
    ]


def _rank_key(indicator: Indicator, cell: Cell) -> tuple:
    if cell.value is None:
        return (1, Decimal(0))
    return (0, -cell.value if indicator.higher_is_better else cell.value)


@hist.pinned
def comparison(indicator: Indicator, *, user: User, day: dt.date) -> list[tuple[int, Cell]]:
    """The six counties ranked best first (by `higher_is_better`), hidden or empty values last. Counties
    see the comparison too; small cells are suppressed for them."""
    hist.current_state()  # first: the regions cached with it
    require(user, Action.VIEW_ANALYTICS)
    suppress = not sees_small_cells(user)
    raw = _raw(indicator, day, None, "region")
    raws: dict[str, Raw | None] = {region.code: raw.get(region.code) for region in counties()}
    hidden = suppressed_keys(raws) if suppress else set()
    cells = [
        _cell(indicator, region.code, region.display_name, raws[region.code], region.code in hidden)
        for region in counties()
    ]
    ordered = sorted(cells, key=lambda cell: (_rank_key(indicator, cell), cell.key))
    return [(position, cell) for position, cell in enumerate(ordered, start=1)]


def _talent_ids(
    indicator: Indicator,
    day: dt.date,
    codes: tuple[str, ...] | None,
    by: str | None,
    key: str | None,
    part: str,
) -> list[int]:
    history = hist.cached_history()
    numerator, within = _masks(indicator)
    frame = hist.frame_on(history, day, _features(indicator, by)).lazy()
    if codes is not None:
        frame = frame.filter(pl.col("region").is_in(list(codes)))
    frame, column = _group(frame, by)
    if column is not None and key is not None:
        frame = frame.filter(pl.col(column) == key)
    mask = within if part == "denominator" else numerator
    return frame.filter(mask).select("talent_id").collect()["talent_id"].to_list()


def ids_filter(ids: list[int]) -> RawSQL:
    """A subquery of the given ids for `pk__in` (one parameter: a million placeholders would not do)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


@hist.pinned
def people(
    indicator: Indicator,
    *,
    user: User,
    day: dt.date,
    region: Region | None = None,
    by: str | None = None,
    key: str | None = None,
    part: str = "numerator",
) -> QuerySet[Talent]:
    """The talents behind a figure (frame indicators), scoped by `visible_to`, ordered by id. Needs the right
    to see the people behind figures; a region outside the viewer's scope is NotFound."""
    hist.current_state()  # first: the regions cached with it
    require(user, Action.SEE_PEOPLE_BEHIND_FIGURES)
    if indicator.kind != IndicatorKind.FRAME:
        raise DomainError(
            ErrorCode.VALIDATION_FAILED,
            "该指标不是按人员名录统计的，没有人员名单",
            "This indicator is not counted from the registry: it has no list of people",
        )
    _check_breakdown(indicator, by)
    if part not in ("numerator", "denominator"):
        raise DomainError(
            ErrorCode.VALIDATION_FAILED, "名单只能取分子或分母", "Choose numerator or denominator"
        )
    where = _resolve(user, region)
    ids = _talent_ids(indicator, day, _codes(where), by, key, part)
    return visible_to(user, Talent.objects.filter(pk__in=ids_filter(ids))).order_by("id")


@hist.pinned
def region_value(code: str, *, region: Region, day: dt.date) -> Decimal | None:
    """The value of indicator `code` for `region` on `day`, unscoped and unsuppressed (for services such as
    target progress); None when the indicator is missing or its denominator is empty."""
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        return None
    hist.current_state()
    raw = _raw(indicator, day, _codes(region), None).get(TOTAL)
    if raw is None:
        return None
    return _value(indicator, raw[0], raw[1])


@hist.pinned
def dashboard(*, user: User, day: dt.date, region: Region | None = None) -> dict:
    """Everything the city or county page shows, in one call (cached raw counts make it cheap once warm):
    headline figures of the standard set, the county comparison, monthly trends from 2015 of the registry
    indicators, and the structure of the talents present (by team, tier, industry, age, degree, gender and
    county)."""
    hist.current_state()  # first: the regions cached with it
    require(user, Action.VIEW_ANALYTICS)
    where = _resolve(user, region)
    suppress = not sees_small_cells(user)
    indicators = list(standard_indicators())
    compared = {
        ind.code: comparison(ind, user=user, day=day) for ind in indicators
    }  # first: its totals serve
    headline = [
        _figure(ind, day=day, region=where, by=None, suppress=suppress, shown_region=region)
        for ind in indicators
    ]
    trends = {
        ind.code: series(ind, user=user, start=TRENDS_FROM, end=day, region=region)
        for ind in indicators
        if ind.kind != IndicatorKind.SOURCE
    }
    structure = {}
    total = next((ind for ind in indicators if ind.code == STRUCTURE_INDICATOR), None)
    if total is not None:
        for by in STRUCTURE_BREAKDOWNS:
            if by == "region" and _codes(where) is not None and len(_codes(where) or ()) <= 1:
                continue  # a county has no counties below it
            structure[by] = _figure(
                total, day=day, region=where, by=by, suppress=suppress, shown_region=region
            )
    save_results()
    return {
        "day": day,
        "region": where,
        "headline": headline,
        "comparison": compared,
        "trends": trends,
        "structure": structure,
    }


@hist.pinned
def figures(
    indicators: Iterable[Indicator], *, user: User, day: dt.date, region: Region | None = None
) -> list[Figure]:
    """The totals of several indicators for the viewer (a table's rows)."""
    return [figure(ind, user=user, day=day, region=region) for ind in indicators]


# -- cached counts on disk ----------------------------------------------------------------------------------


def _results_path() -> Path | None:
    path = hist.snapshot_path()
    return None if path is None else path.with_name(path.name.replace("history-", "figures-"))


def _state_digest(state: tuple) -> str:
    return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()


def _load_results(state: tuple) -> dict:
    path = _results_path()
    if path is None or not path.exists():
        return {}
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        logger.warning("cached figures %s unreadable: %s", path, error)
        return {}
    if stored.get("state") != _state_digest(state) or stored.get("code") != hist._code_fingerprint():
        return {}
    return dict(stored.get("data", {}))


def save_results() -> None:
    """Write this process's cached counts to disk when it computed new ones (for the next new process)."""
    path = _results_path()
    with _results_lock:
        if path is None or not _unsaved or "state" not in _results:
            return
        payload = {
            "state": _state_digest(_results["state"]),
            "code": hist._code_fingerprint(),
            "data": _results["data"],
        }
        _unsaved.clear()
        text = json.dumps(payload)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text)
        os.replace(partial, path)
    except OSError as error:
        logger.warning("cached figures not written to %s: %s", path, error)
        partial.unlink(missing_ok=True)
