"""Source indicators: figures the talent registry does not hold, computed by named functions from the apps
that hold them (the budget ledger, one-stop deadlines, platforms, evaluation and recruitment outcomes).

Each source answers `compute(day=…, codes=…, by=…)` with raw counts `{key: (numerator, denominator or
None, people or None)}` (key TOTAL, "*", is the total; `codes` None means the whole city), the shape frame
indicators have, so that `compute.figure` turns them into the same cells. `people` is the smallest number of
people a figure rests on (None for money and platforms: those are not suppressed). Year-to-date figures
count from 1 January of the day's year up to and including the day.

What the sources cannot date: the ledger keeps each budget account's committed amount as it stands, so the
budget share is today's whatever the day; committed money counts reservations made by the day and not
released by it.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from rencai.analytics.models import Indicator
from rencai.core.errors import DomainError, ErrorCode

Raw = tuple[Decimal | int, Decimal | int | None, int | None]
Compute = Callable[..., dict[str, Raw]]
ZERO = Decimal("0.00")
TOTAL = "*"  # as compute.TOTAL


@dataclass(frozen=True)
class Source:
    name: str
    compute: Compute
    breakdowns: tuple[str, ...] = ("region",)


SOURCES: dict[str, Source] = {}


def register(name: str, *, breakdowns: tuple[str, ...] = ("region",)) -> Callable[[Compute], Compute]:
    def decorate(function: Compute) -> Compute:
        SOURCES[name] = Source(name, function, breakdowns)
        return function

    return decorate


def source_of(indicator: Indicator) -> Source:
    source = SOURCES.get(indicator.source)
    if source is None:
        raise DomainError(
            ErrorCode.VALIDATION_FAILED,
            f"数据来源“{indicator.source}”不存在",
            f"There is no data source “{indicator.source}”",
        )
    return source


def _year_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 1, 1)


def _end_of(day: dt.date) -> dt.datetime:
    """The first moment after `day` in the local time zone (aware)."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _in_regions(queryset: QuerySet, region_code: str, codes: Iterable[str] | None) -> QuerySet:
    return queryset if codes is None else queryset.filter(**{f"{region_code}__in": list(codes)})


def _grouped(
    queryset: QuerySet, key: str | None, numerator, denominator=None, *, people: bool
) -> dict[str, Raw]:
    """Aggregate `numerator` (and `denominator`) over `queryset`, in total and grouped by `key`."""
    aggregates = {"n": numerator}
    if denominator is not None:
        aggregates["d"] = denominator
    rows = [(TOTAL, queryset.aggregate(**aggregates))]
    if key is not None:
        rows += [
            (str(row.pop(key)), row) for row in queryset.values(key).annotate(**aggregates).order_by(key)
        ]
    result: dict[str, Raw] = {}
    for name, row in rows:
        n = row["n"] or 0
        d = (row["d"] or 0) if denominator is not None else None
        size = (min(int(n), int(d)) if d is not None else int(n)) if people else None
        result[name] = (n, d, size)
    return result


def _money(field: str):
    return Coalesce(Sum(field), Value(ZERO), output_field=DecimalField(max_digits=18, decimal_places=2))


# -- policy money (the budget ledger is the one truth of commitments) ----------------------------------------


@register("ledger_committed")
def ledger_committed(*, day: dt.date, codes: Iterable[str] | None, by: str | None) -> dict[str, Raw]:
    """Yuan committed in the day's budget year: reservations made by the day and not released by it, by the
    talent's county."""
    from rencai.policies.models import Reservation

    end = _end_of(day)
    held = Reservation.objects.filter(budget_year=day.year, created_at__lt=end).filter(
        Q(released_at__isnull=True) | Q(released_at__gte=end)
    )
    held = _in_regions(held, "talent__region__code", codes)
    return _grouped(held, "talent__region__code" if by else None, _money("amount"), people=False)


@register("ledger_paid")
def ledger_paid(*, day: dt.date, codes: Iterable[str] | None, by: str | None) -> dict[str, Raw]:
    """Yuan paid in the day's budget year: confirmed entitlements (paid at once or with their application),
    less the instalments of staged ones not yet released, by the talent's county."""
    from rencai.policies.models import Entitlement, EntitlementStatus, Instalment, InstalmentStatus

    granted = Entitlement.objects.filter(budget_year=day.year, status=EntitlementStatus.GRANTED)
    granted = _in_regions(granted, "talent__region__code", codes)
    key = "talent__region__code" if by else None
    paid = _grouped(granted, key, _money("amount"), people=False)
    unpaid = Instalment.objects.filter(entitlement__in=granted).exclude(
        status=InstalmentStatus.RELEASED, decided_at__lt=_end_of(day)
    )
    owed = _grouped(
        unpaid, "entitlement__talent__region__code" if by else None, _money("amount"), people=False
    )
    return {name: (n - owed.get(name, (ZERO,))[0], None, None) for name, (n, _d, _p) in paid.items()}


@register("ledger_budget_share")
def ledger_budget_share(*, day: dt.date, codes: Iterable[str] | None, by: str | None) -> dict[str, Raw]:
    """Committed over the budget of the day's year (accounts with a limit), by the policy's region. The
    ledger holds committed amounts as they stand: today's, whatever the day."""
    from rencai.policies.models import BudgetAccount

    accounts = BudgetAccount.objects.filter(year=day.year, limit__isnull=False)
    accounts = _in_regions(accounts, "policy__region__code", codes)
    key = "policy__region__code" if by else None
    return _grouped(accounts, key, _money("committed"), _money("limit"), people=False)


# -- one-stop services: steps decided within their working-day deadline --------------------------------------


@register("onestop_on_time", breakdowns=("region", "department"))
def onestop_on_time(*, day: dt.date, codes: Iterable[str] | None, by: str | None) -> dict[str, Raw]:
    """Department steps decided on or before their deadline, over the steps decided this year up to the day
    plus those still open past their deadline on the day (late whatever comes of them)."""
    from rencai.onestop.models import StepState, StepTask

    decided = Q(decided_on__gte=_year_start(day), decided_on__lte=day) & ~Q(state=StepState.CANCELLED)
    overdue = (
        Q(opened_on__lte=day, due_on__lt=day)
        & (Q(state=StepState.PENDING) | Q(decided_on__gt=day))
        & Q(due_on__gte=_year_start(day))
    )
    tasks = _in_regions(StepTask.objects.filter(decided | overdue), "region__code", codes)
    key = {"region": "region__code", "department": "department_id"}.get(by or "")
    on_time = Count("pk", filter=decided & Q(decided_on__lte=F("due_on")))
    return _grouped(tasks, key, on_time, Count("pk"), people=False)


# -- talent platforms (established by the day) ---------------------------------------------------------------


def _platforms(kind: str) -> Compute:
    def count(*, day: dt.date, codes: Iterable[str] | None, by: str | None) -> dict[str, Raw]:
        from rencai.registry.models import TalentPlatform

        platforms = TalentPlatform.objects.filter(kind=kind, established_on__lte=day)
        platforms = _in_regions(platforms, "region__code", codes)
        return _grouped(platforms, "region__code" if by else None, Count("pk"), people=False)

    return count


for _kind in ("academician_station", "enclave", "doctoral_station"):
    register(f"platforms_{_kind}")(_platforms(_kind))


# -- evaluation outcomes (decided this year up to the day) ---------------------------------------------------


def _cases_decided(day: dt.date, codes: Iterable[str] | None) -> QuerySet:
    from rencai.evaluation.choices import CaseState
    from rencai.evaluation.models import Case

    cases = Case.objects.filter(
        state__in=[CaseState.RECOGNIZED, CaseState.NOT_RECOGNIZED],
        decided_at__gte=_end_of(_year_start(day) - dt.timedelta(days=1)),
        decided_at__lt=_end_of(day),
    )
    return _in_regions(cases, "region__code", codes)


@register("evaluation_recognized")
def evaluation_recognized(*, day: dt.date, codes: Iterable[str] | None, by: str | None) -> dict[str, Raw]:
    """Talents recognized by evaluation over the cases decided this year (recognized or not)."""
    from rencai.evaluation.choices import CaseState

    recognized = Count("pk", filter=Q(state=CaseState.RECOGNIZED))
    cases = _cases_decided(day, codes)
    return _grouped(cases, "region__code" if by else None, recognized, Count("pk"), people=True)


@register("evaluation_decided")
def evaluation_decided(*, day: dt.date, codes: Iterable[str] | None, by: str | None) -> dict[str, Raw]:
    """Evaluation cases decided this year (recognized or not)."""
    return _grouped(_cases_decided(day, codes), "region__code" if by else None, Count("pk"), people=True)


# -- recruitment outcomes ------------------------------------------------------------------------------------


def _confirmed_in_year(day: dt.date, codes: Iterable[str] | None) -> QuerySet:
    from rencai.recruitment.models import Placement

    placements = Placement.objects.filter(confirmed_on__gte=_year_start(day), confirmed_on__lte=day)
    return _in_regions(placements, "region__code", codes)


@register("recruitment_confirmed")
def recruitment_confirmed(*, day: dt.date, codes: Iterable[str] | None, by: str | None) -> dict[str, Raw]:
    """Arrivals confirmed this year up to the day (placements checked against the registry)."""
    return _grouped(_confirmed_in_year(day, codes), "region__code" if by else None, Count("pk"), people=True)


@register("recruitment_retained")
def recruitment_retained(*, day: dt.date, codes: Iterable[str] | None, by: str | None) -> dict[str, Raw]:
    """Of the confirmed arrivals of at least twelve months before the day, those still there: judged retained
    by the recruitment app, or not recorded as having left."""
    from rencai.recruitment.choices import PlacementState
    from rencai.recruitment.models import Placement

    year_ago = policy_year_before(day)
    due = Placement.objects.filter(
        confirmed_on__isnull=False, confirmed_on__lte=day, arrived_on__lte=year_ago
    )
    due = _in_regions(due, "region__code", codes)
    stayed = Count(
        "pk", filter=Q(state=PlacementState.RETAINED) | Q(left_on__isnull=True) | Q(left_on__gt=day)
    )
    return _grouped(due, "region__code" if by else None, stayed, Count("pk"), people=True)


@register("recruitment_cost_per_arrival")
def recruitment_cost_per_arrival(
    *, day: dt.date, codes: Iterable[str] | None, by: str | None
) -> dict[str, Raw]:
    """Reward money paid this year up to the day over the arrivals confirmed this year (yuan per arrival)."""
    from rencai.recruitment.choices import InstalmentState
    from rencai.recruitment.models import RewardInstalment

    paid = RewardInstalment.objects.filter(
        state=InstalmentState.PAID,
        settled_at__gte=_end_of(_year_start(day) - dt.timedelta(days=1)),
        settled_at__lt=_end_of(day),
    )
    paid = _in_regions(paid, "reward__placement__region__code", codes)
    key = "reward__placement__region__code" if by else None
    money = _grouped(paid, key, _money("amount"), people=False)
    arrivals = recruitment_confirmed(day=day, codes=codes, by=by)
    result: dict[str, Raw] = {}
    for name in set(money) | set(arrivals):
        result[name] = (money.get(name, (ZERO,))[0], arrivals.get(name, (0,))[0], None)
    return result


def policy_year_before(day: dt.date) -> dt.date:
    """The same day a year earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)
