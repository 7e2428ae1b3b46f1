"""The recruitment funnel (招才引智漏斗): demand → referrals and leads → interviews → arrivals → still here
after twelve months, by channel, county, tier and industry, with the reward cost per arrival.

Every stage is one GROUP BY in the database over all four dimensions at once (a small cube, at most a few
thousand rows), rolled up here into the total and the four tables: five queries for the whole page, however
many demands and referrals there are. Each stage's rows are scoped by the user's tenancy (`visible_to`): a
county sees its own region, the city all and the county comparison, an enterprise its own demands, an
agency its own referrals and the demands and arrivals they concern.

What counts where (the choices the issue leaves to us):
- a demand counts in the period it was published, once it was published (drafts and rejected ones never);
  demands have no channel, so the channel table leaves that stage empty;
- referrals and leads count in the period they were made; an interview is a referral that reached the
  interview or was placed, or a lead whose outcome is "interviewed" or "hired";
- an arrival is a placement the registry confirmed (confirmed, retained or left early; a pending one is
  not an arrival yet), counted in the period of its arrival date; it is "still here" when the settlement
  marked it retained, or it is confirmed and arrived twelve months or more before today;
- the cost of an arrival is what its rewards commit (instalments scheduled or paid) and what was paid.
"""

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import IO, Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require, scope_filter, visible_to
from rencai.core.errors import Problem, problem
from rencai.core.models import Region, RegionLevel
from rencai.core.spreadsheets import text_row
from rencai.recruitment.choices import (
    Channel,
    DemandState,
    InstalmentState,
    LeadOutcome,
    PlacementState,
    ReferralState,
)
from rencai.recruitment.models import Demand, Lead, Placement, Referral, RewardInstalment
from rencai.registry.choices import Industry, Tier

DIMENSIONS = ("channel", "county", "tier", "industry")
RETENTION_MONTHS = 12
ZERO = Decimal("0")

PUBLISHED_STATES = (DemandState.PUBLISHED, DemandState.FILLED, DemandState.EXPIRED, DemandState.CLOSED)
INTERVIEWED_REFERRALS = (ReferralState.INTERVIEWED, ReferralState.PLACED)
INTERVIEWED_LEADS = (LeadOutcome.INTERVIEWED, LeadOutcome.HIRED)
ARRIVED = (PlacementState.CONFIRMED, PlacementState.RETAINED, PlacementState.LEFT_EARLY)
COMMITTED_INSTALMENTS = (InstalmentState.SCHEDULED, InstalmentState.PAID)
NO_VALUE = ""  # a row without a tier or an industry (a lead with no demand, a talent without a tier)


@dataclass(frozen=True)
class FunnelFilters:
    """The period (inclusive) and the optional narrowing to one channel, county, tier or industry."""

    date_from: dt.date
    date_to: dt.date
    channel: str = ""
    county: str = ""  # a region code
    tier: str = ""
    industry: str = ""

    @classmethod
    def for_year(cls, year: int, **narrowing: str) -> "FunnelFilters":
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), **narrowing)


@dataclass
class Stages:
    """The funnel of one row: its counts stage by stage and its reward money."""

    demands: int | None = 0  # None: the stage does not apply to the row (a channel)
    positions: int | None = 0
    referrals: int = 0
    leads: int = 0
    interviews: int = 0
    arrivals: int = 0
    retained: int = 0
    committed: Decimal = ZERO
    paid: Decimal = ZERO

    def add(self, other: "Stages") -> None:
        for name in ("referrals", "leads", "interviews", "arrivals", "retained", "committed", "paid"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("demands", "positions"):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(self, name, None if mine is None or theirs is None else mine + theirs)

    @property
    def cost_per_arrival(self) -> Decimal | None:
        return (self.committed / self.arrivals).quantize(Decimal("0.01")) if self.arrivals else None

    @property
    def paid_per_arrival(self) -> Decimal | None:
        return (self.paid / self.arrivals).quantize(Decimal("0.01")) if self.arrivals else None

    @property
    def retention_rate(self) -> Decimal | None:
        """Percent of the arrivals still here after twelve months."""
        return (
            (Decimal(100 * self.retained) / self.arrivals).quantize(Decimal("0.1")) if self.arrivals else None
        )


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    stages: Stages


@dataclass
class Funnel:
    filters: FunnelFilters
    total: Stages
    tables: dict[str, list[Row]] = field(default_factory=dict)  # dimension -> rows


# A cube cell: (channel, county region id, tier, industry) -> the stage counts it holds
Cell = tuple[str, int | None, str, str]


# -- scoping ------------------------------------------------------------------------------------------------


def referrals_in_scope(user) -> QuerySet:
    return visible_to(user, Referral.objects.all())


def _in_scope(user, model, through_referrals: str, column: str = "pk") -> QuerySet:
    """The rows of `model` the user sees by its tenancy (the same Q as `visible_to`, asked once); for those
    who see none of them directly, an agency's users, the rows their own referrals reached."""
    condition = scope_filter(user, model)
    if condition is not None:
        return model._default_manager.filter(condition)
    reached = referrals_in_scope(user).values(column)
    return model._default_manager.filter(**{f"{through_referrals}__in": reached})


def demands_in_scope(user) -> QuerySet:
    # an agency's users see no demand list of their own: their funnel starts at the demands they referred to
    return _in_scope(user, Demand, "pk", column="demand_id")


def placements_in_scope(user) -> QuerySet:
    return _in_scope(user, Placement, "referral")  # an agency: the arrivals its referrals brought


def _instalments(user) -> QuerySet:
    return _in_scope(user, RewardInstalment, "reward__placement__referral")


# -- the five queries ---------------------------------------------------------------------------------------


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def _during(path: str, filters: FunnelFilters) -> Q:
    """A timestamp within the period's local days, as a plain range: `__date` would wrap the column in a
    time-zone conversion, which no index serves and which hides the row count from the planner (it then
    sorts half a million rows on disk instead of hashing them)."""
    start = timezone.make_aware(dt.datetime.combine(filters.date_from, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min))
    return Q(**{f"{path}__gte": start, f"{path}__lt": end})


def _narrow(queryset: QuerySet, filters: FunnelFilters, paths: dict[str, str]) -> QuerySet:
    """Apply the channel / county / tier / industry narrowing through this stage's paths to them."""
    for name in DIMENSIONS:
        wanted = getattr(filters, name)
        path = paths.get(name)
        if not wanted:
            continue
        if path is None:  # this stage has no such dimension (a demand has no channel): nothing matches
            return queryset.none()
        if name == "county":  # the county and everything below it
            below = Region.objects.filter(path__contains=f"{wanted}/").values_list("pk", flat=True)
            queryset = queryset.filter(**{f"{path}__in": list(below)})
        else:
            queryset = queryset.filter(**{path: wanted})
    return queryset


def _annotated_cube(queryset: QuerySet, keys: dict[str, str], measures: Mapping[str, Any]) -> list[dict]:
    """GROUP BY plain columns (paths) and aggregate the measures, in one query. Plain columns, never CASE or
    COALESCE: the planner knows how many distinct values a column has and hashes the groups in memory; an
    expression's count it guesses in the tens of thousands and sorts on disk."""
    aliases = {f"k_{name}": F(path) for name, path in keys.items()}
    rows = list(queryset.annotate(**aliases).values(*aliases).annotate(**measures).order_by())
    for row in rows:  # a lead or an arrival without a demand counts under its enterprise's industry
        row["k_industry"] = row.get("k_industry") or row.pop("k_enterprise_industry", None) or NO_VALUE
        row["k_tier"] = row.get("k_tier") or NO_VALUE
    return rows


def _industry_is(prefix: str, industry: str) -> Q:
    """The industry of a lead or an arrival: its demand's field, or without a demand its enterprise's."""
    return Q(**{f"{prefix}demand__field": industry}) | Q(
        **{f"{prefix}demand__isnull": True, f"{prefix}enterprise__industry": industry}
    )


def _demand_cube(user, filters: FunnelFilters) -> list[dict]:
    queryset = demands_in_scope(user).filter(_during("published_at", filters), state__in=PUBLISHED_STATES)
    paths = {"county": "region", "tier": "tier_sought", "industry": "field"}
    queryset = _narrow(queryset, filters, paths)
    keys = {"county": "region_id", "tier": "tier_sought", "industry": "field"}
    rows = _annotated_cube(queryset, keys, {"demands": Count("pk"), "positions": Sum("headcount")})
    for row in rows:
        row["k_channel"] = NO_VALUE  # demands are not brought by a channel
    return rows


def _referral_cube(user, filters: FunnelFilters) -> list[dict]:
    """Referrals counted per demand first, then the (at most 100,000) demand counts grouped by the demand's
    county, tier and field: half the work of joining every referral to its demand before grouping (on
    PostgreSQL, 1,000,000 referrals: about 200 ms against 400 ms on an idle machine). The inner query is the
    ORM's, scope and filters included; only the outer GROUP BY is written out."""
    queryset = referrals_in_scope(user).filter(_during("created_at", filters))
    paths = {"county": "region", "tier": "demand__tier_sought", "industry": "demand__field"}
    if filters.channel and filters.channel != Channel.REFERRAL:
        return []  # every referral is of the referral channel
    queryset = _narrow(queryset, replace(filters, channel=""), paths)
    per_demand = (
        queryset.values("demand_id")
        .annotate(n=Count("pk"), i=Count("pk", filter=Q(state__in=INTERVIEWED_REFERRALS)))
        .order_by()
    )
    inner, params = per_demand.query.sql_with_params()
    demand = Demand._meta.db_table
    sql = (
        f"SELECT d.region_id, d.tier_sought, d.field, SUM(r.n), SUM(r.i) FROM ({inner}) r "
        f"JOIN {demand} d ON d.id = r.demand_id GROUP BY d.region_id, d.tier_sought, d.field"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        grouped = cursor.fetchall()
    return [
        {
            "k_channel": Channel.REFERRAL.value,
            "k_county": county,
            "k_tier": tier or NO_VALUE,
            "k_industry": industry or NO_VALUE,
            "referrals": int(referrals),
            "interviews": int(interviews),
        }
        for county, tier, industry, referrals, interviews in grouped
    ]


def _lead_cube(user, filters: FunnelFilters) -> list[dict]:
    """Leads from events and from stations: the channel is a pair of measures, not a group key (see
    `_annotated_cube`), each group then split in two rows."""
    queryset = visible_to(user, Lead.objects.all()).filter(_during("created_at", filters))
    at_event = Q(event__isnull=False)
    sources = {Channel.EVENT.value: at_event, Channel.STATION.value: ~at_event}
    if filters.channel:
        if filters.channel not in sources:
            return []
        sources = {filters.channel: sources[filters.channel]}
    queryset = _narrow(
        queryset,
        replace(filters, channel="", industry=""),
        {"county": "region", "tier": "demand__tier_sought"},
    )
    if filters.industry:
        queryset = queryset.filter(_industry_is("", filters.industry))
    keys = {
        "county": "region_id",
        "tier": "demand__tier_sought",
        "industry": "demand__field",
        "enterprise_industry": "enterprise__industry",
    }
    measures: dict[str, Any] = {}
    for channel, source in sources.items():
        measures[f"leads_{channel}"] = Count("pk", filter=source)
        measures[f"interviews_{channel}"] = Count("pk", filter=source & Q(outcome__in=INTERVIEWED_LEADS))
    rows = []
    for row in _annotated_cube(queryset, keys, measures):
        for channel in sources:
            leads = row[f"leads_{channel}"]
            if leads:
                interviews = row[f"interviews_{channel}"]
                rows.append({**row, "k_channel": channel, "leads": leads, "interviews": interviews})
    return rows


def _arrivals_narrowed(queryset: QuerySet, filters: FunnelFilters, prefix: str = "") -> QuerySet:
    paths = {"channel": f"{prefix}channel", "county": f"{prefix}region", "tier": f"{prefix}tier"}
    queryset = _narrow(queryset, replace(filters, industry=""), paths)
    return queryset.filter(_industry_is(prefix, filters.industry)) if filters.industry else queryset


def _arrival_keys(prefix: str = "") -> dict[str, str]:
    return {
        "channel": f"{prefix}channel",
        "county": f"{prefix}region_id",
        "tier": f"{prefix}tier",
        "industry": f"{prefix}demand__field",
        "enterprise_industry": f"{prefix}enterprise__industry",
    }


def _placement_cube(user, filters: FunnelFilters, today: dt.date) -> list[dict]:
    queryset = placements_in_scope(user).filter(
        state__in=ARRIVED, arrived_on__gte=filters.date_from, arrived_on__lte=filters.date_to
    )
    queryset = _arrivals_narrowed(queryset, filters)
    cutoff = _months_before(today, RETENTION_MONTHS)
    still_here = Q(state=PlacementState.RETAINED) | Q(state=PlacementState.CONFIRMED, arrived_on__lte=cutoff)
    measures = {"arrivals": Count("pk"), "retained": Count("pk", filter=still_here)}
    return _annotated_cube(queryset, _arrival_keys(), measures)


def _reward_cube(user, filters: FunnelFilters) -> list[dict]:
    """The rewards of the same arrivals (the period is the arrival's), committed and paid."""
    prefix = "reward__placement__"
    queryset = _instalments(user).filter(
        **{
            f"{prefix}state__in": ARRIVED,
            f"{prefix}arrived_on__gte": filters.date_from,
            f"{prefix}arrived_on__lte": filters.date_to,
        }
    )
    queryset = _arrivals_narrowed(queryset, filters, prefix)
    measures = {
        "committed": Sum("amount", filter=Q(state__in=COMMITTED_INSTALMENTS)),
        "paid": Sum("amount", filter=Q(state=InstalmentState.PAID)),
    }
    return _annotated_cube(queryset, _arrival_keys(prefix), measures)


# -- rolling the cube up ------------------------------------------------------------------------------------


def _county_of() -> dict[int, Region]:
    """Each region's county (a county itself; the city and above stay themselves): a handful of rows."""
    regions = {region.pk: region for region in Region.objects.all()}
    by_code = {region.code: region for region in regions.values()}
    county: dict[int, Region] = {}
    for pk, region in regions.items():
        found = region
        for code in (c for c in region.path.split("/") if c):
            ancestor = by_code.get(code)
            if ancestor is not None and ancestor.level == RegionLevel.COUNTY:
                found = ancestor
                break
        county[pk] = found
    return county


def _stages_of(record: dict) -> Stages:
    stages = Stages(
        referrals=record.get("referrals") or 0,
        leads=record.get("leads") or 0,
        interviews=record.get("interviews") or 0,
        arrivals=record.get("arrivals") or 0,
        retained=record.get("retained") or 0,
        committed=record.get("committed") or ZERO,
        paid=record.get("paid") or ZERO,
    )
    stages.demands = record.get("demands") or 0
    stages.positions = record.get("positions") or 0
    return stages


def _labelled(dimension: str, counties: dict[int, Region]) -> Callable[[str], str]:
    labels = {
        "channel": dict(Channel.choices),
        "tier": dict(Tier.choices),
        "industry": dict(Industry.choices),
    }.get(dimension, {})
    by_code = {region.code: region for region in counties.values()}

    def label(key: str) -> str:
        if dimension == "county":
            return by_code[key].display_name if key in by_code else _("未知区划")
        if key == NO_VALUE:
            return _("未注明")
        return str(labels.get(key, key))

    return label


def _order(dimension: str, keys: Iterable[str]) -> list[str]:
    known = {
        "channel": Channel.values,
        "tier": Tier.values,
        "industry": Industry.values,
    }.get(dimension)
    keys = set(keys)
    if known is None:
        return sorted(keys)
    return [key for key in known if key in keys] + sorted(keys - set(known))


def roll_up(cubes: Iterable[list[dict]], filters: FunnelFilters) -> Funnel:
    counties = _county_of()
    total = Stages()
    by: dict[str, dict[str, Stages]] = {name: {} for name in DIMENSIONS}
    for cube in cubes:
        for record in cube:
            stages = _stages_of(record)
            total.add(stages)
            region = counties.get(record["k_county"])
            keys = {
                "channel": record["k_channel"] or NO_VALUE,
                "county": region.code if region is not None else NO_VALUE,
                "tier": record["k_tier"] or NO_VALUE,
                "industry": record["k_industry"] or NO_VALUE,
            }
            for name, key in keys.items():
                if name == "channel" and key == NO_VALUE:
                    continue  # demands: no channel
                by[name].setdefault(key, Stages()).add(stages)
    for row in by["channel"].values():
        row.demands = row.positions = None  # demands are not brought by a channel
    tables = {}
    for name in DIMENSIONS:
        label = _labelled(name, counties)
        tables[name] = [Row(key, label(key), by[name][key]) for key in _order(name, by[name])]
    return Funnel(filters=filters, total=total, tables=tables)


def funnel_for(user, filters: FunnelFilters, *, today: dt.date | None = None) -> Funnel:
    """The funnel the user may see for the filters: five GROUP BY queries, rolled up."""
    require(user, Action.BROWSE_RECRUITMENT)
    today = today or timezone.localdate()
    cubes = (
        _demand_cube(user, filters),
        _referral_cube(user, filters),
        _lead_cube(user, filters),
        _placement_cube(user, filters, today),
        _reward_cube(user, filters),
    )
    return roll_up(cubes, filters)


STAGE_NAMES = ("demands", "positions", "referrals", "leads", "interviews", "arrivals", "retained")


# -- the filters from a query string ------------------------------------------------------------------------

FIRST_YEAR = 2017  # the year of the seed's talent policy


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def county_codes() -> list[str]:
    return list(
        Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").values_list("code", flat=True)
    )


def parse_filters(params: Mapping[str, str], today: dt.date) -> tuple[FunnelFilters, list[Problem]]:
    """The filters a page or API query asks for (a year, or a date range within it or on its own, and the
    narrowing), and the problems of what was wrong; the page shows them and uses the rest, the API refuses."""
    problems: list[Problem] = []
    year_text = (params.get("year") or "").strip()
    year = today.year
    if year_text:
        if year_text.isdigit() and FIRST_YEAR <= int(year_text) <= today.year + 1:
            year = int(year_text)
        else:
            problems.append(
                problem(
                    "year",
                    f"年度应在 {FIRST_YEAR} 至 {today.year + 1} 之间",
                    f"The year must be {FIRST_YEAR} to {today.year + 1}",
                )
            )
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    texts = {name: (params.get(name) or "").strip() for name in ("from", "to")}
    dates = {name: _date(text) for name, text in texts.items() if text}
    for name, value in dates.items():
        if value is None:
            problems.append(problem(name, "日期格式应为 YYYY-MM-DD", "Dates are written YYYY-MM-DD"))
    if dates and None not in dates.values():
        start, end = dates.get("from") or start, dates.get("to") or end
        if start > end:
            problems.append(problem("from", "开始日期晚于结束日期", "The start date is after the end date"))
            start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    allowed = {
        "channel": Channel.values,
        "county": county_codes(),
        "tier": Tier.values,
        "industry": Industry.values,
    }
    narrowing: dict[str, str] = {}
    for name, values in allowed.items():
        given = (params.get(name) or "").strip()
        if given and given not in values:
            problems.append(problem(name, f"无此筛选值：{given}", f"No such value: {given}"))
        elif given:
            narrowing[name] = given
    return FunnelFilters(start, end, **narrowing), problems


# -- the Excel export ---------------------------------------------------------------------------------------

DIMENSION_TITLES = {
    "channel": gettext_lazy("按引才渠道"),
    "county": gettext_lazy("按县（市、区）"),
    "tier": gettext_lazy("按人才层次"),
    "industry": gettext_lazy("按行业"),
}
DIMENSION_HEADERS = {
    "channel": gettext_lazy("引才渠道"),
    "county": gettext_lazy("县（市、区）"),
    "tier": gettext_lazy("人才层次"),
    "industry": gettext_lazy("行业"),
}
COLUMNS = (
    ("demands", gettext_lazy("发布需求")),
    ("positions", gettext_lazy("需求人数")),
    ("referrals", gettext_lazy("中介推荐")),
    ("leads", gettext_lazy("引才线索")),
    ("interviews", gettext_lazy("面试")),
    ("arrivals", gettext_lazy("到岗")),
    ("retained", gettext_lazy("留任满12个月")),
    ("retention_rate", gettext_lazy("留任率（%）")),
    ("committed", gettext_lazy("奖励承诺（元）")),
    ("paid", gettext_lazy("奖励已付（元）")),
    ("cost_per_arrival", gettext_lazy("人均引才成本（元）")),
)
COLUMN_NAMES = tuple(name for name, _label in COLUMNS)


def cells(stages: Stages) -> list[object]:
    """A row's figures in the order of `COLUMNS` (None: the stage does not apply, or no arrival)."""
    return [getattr(stages, name) for name, _label in COLUMNS]


def write_funnel_workbook(funnel: Funnel) -> IO[bytes]:
    """The funnel's tables, one sheet each (the total first), as a rewound spooled file. The tables are
    aggregates (a row per channel, county, tier or industry), so the workbook is small whatever the data."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the default empty sheet
    bold = Font(bold=True)
    period = f"{funnel.filters.date_from:%Y-%m-%d} ~ {funnel.filters.date_to:%Y-%m-%d}"
    sheets: list[tuple[str, str, list[Row]]] = [(_("总体"), _("范围"), [Row("", period, funnel.total)])]
    sheets += [
        (str(DIMENSION_TITLES[name]), str(DIMENSION_HEADERS[name]), funnel.tables[name])
        for name in DIMENSIONS
    ]
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        sheet.append([header, *(str(label) for _name, label in COLUMNS)])
        for cell in sheet[1]:
            cell.font = bold
        for row in rows:
            sheet.append(text_row(sheet, [row.label, *cells(row.stages)]))
    spool = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
    workbook.save(spool)
    spool.seek(0)
    return spool


def funnel_export(*, actor: User, filters: FunnelFilters) -> tuple[IO[bytes], str]:
    """The workbook of the funnel as `actor` sees it, and its file name; the export is audited."""
    funnel = funnel_for(actor, filters)
    spool = write_funnel_workbook(funnel)
    region = getattr(actor, "region", None)
    audit.record(
        actor=actor,
        action="recruitment.funnel.export",
        object_type="recruitment.funnel",
        region_code=region.code if region is not None else "",
        detail={
            "from": filters.date_from.isoformat(),
            "to": filters.date_to.isoformat(),
            **{name: getattr(filters, name) for name in DIMENSIONS if getattr(filters, name)},
        },
    )
    return spool, f"{_('招才引智漏斗')}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.xlsx"
