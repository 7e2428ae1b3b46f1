"""The Chinese working-day calendar (holidays and adjusted workdays, 调休) for limits in working days.

The table `CalendarDay` stores only the days that break the Monday–Friday rule, as the `chinese-calendar`
package lists them: public holidays (also those falling on a weekend, so every day of a holiday carries its
name) and weekend days that are worked (调休上班). Every other day of a known year is a working day exactly
when it is Monday to Friday.

A year is known only when a `CalendarYear` row marks it complete. The migration copies every year the
package knows; administrators add later years in the admin (days first, then tick "complete"). Asking about
a year that is not known raises `CalendarYearMissing`: a deadline is never set on weekdays only. What may be
approximate for a while (a deadline's colour, a reminder) asks `add_working_days_or_estimate`, which counts
a missing year Monday to Friday and says so, so that the pages showing it can warn.

Lookups are served from a per-process cache of the exceptions per year, cleared whenever a calendar row is
saved or deleted in this process and refreshed after `CACHE_SECONDS` so that other processes (gunicorn
workers, the task worker) see an administrator's change within that time.
"""

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext

from rencai.core.errors import DomainError, ErrorCode
from rencai.core.models import CalendarDay, CalendarSource, CalendarYear

CACHE_SECONDS = 60.0

_lock = threading.Lock()
_years: dict[int, dict[dt.date, bool] | None] = {}
_loaded_at = 0.0


class CalendarYearMissing(DomainError):
    """The calendar does not know a year, so no working-day arithmetic is possible in it."""

    status = 409

    def __init__(self, year: int):
        super().__init__(
            ErrorCode.CALENDAR_YEAR_MISSING,
            f"工作日历缺少 {year} 年的节假日安排，请管理员先录入该年的节假日和调休上班日。",
            f"The working-day calendar has no holiday schedule for {year}; "
            f"an administrator must enter that year's holidays and adjusted workdays first.",
        )
        self.year = year


def clear_cache(**_signal_kwargs) -> None:
    """Forget every cached year (called on any change to the calendar tables)."""
    global _loaded_at
    with _lock:
        _years.clear()
        _loaded_at = time.monotonic()


for _model in (CalendarDay, CalendarYear):
    post_save.connect(clear_cache, sender=_model, dispatch_uid=f"calendar-cache-save-{_model.__name__}")
    post_delete.connect(clear_cache, sender=_model, dispatch_uid=f"calendar-cache-delete-{_model.__name__}")


def _exceptions_of(year: int) -> dict[dt.date, bool]:
    """The days of `year` that break the Monday–Friday rule, mapped to whether they are worked."""
    global _loaded_at
    now = time.monotonic()
    if now - _loaded_at > CACHE_SECONDS:
        clear_cache()
    days = _years.get(year, False)
    if isinstance(days, bool):  # False: not cached yet (None caches "missing")
        days = _load_year(year)
        with _lock:
            _years[year] = days
    if days is None:
        raise CalendarYearMissing(year)
    return days


def _load_year(year: int) -> dict[dt.date, bool] | None:
    if not CalendarYear.objects.filter(year=year, complete=True).exists():
        # A year the package knows but the table lacks (a newer package, or a flushed test database) is
        # copied in now; a year nobody knows stays missing.
        if year not in package_years() or not load_from_package(years=[year]):
            return None
    rows = CalendarDay.objects.filter(date__year=year).values_list("date", "is_working_day")
    return dict(rows)


WARN_DAYS_BEFORE_YEAR_END = 45


def years_missing_soon(today: dt.date) -> list[int]:
    """The years officers must have before deadlines reach them: this year, and the next one from
    WARN_DAYS_BEFORE_YEAR_END days before it starts (a 20-working-day limit set in mid-December ends in
    January). Those the calendar does not know are returned, so that the lack is reported ahead of time."""
    years = [today.year]
    if (dt.date(today.year + 1, 1, 1) - today).days <= WARN_DAYS_BEFORE_YEAR_END:
        years.append(today.year + 1)
    missing = []
    for year in years:
        try:
            _exceptions_of(year)
        except CalendarYearMissing:
            missing.append(year)
    return missing


def home_panel(user) -> dict | None:
    """A warning on staff home pages while a year the deadlines need is missing from the calendar."""
    from django.utils import timezone

    from rencai.core.access import Action, may

    if not may(user, Action.SEE_CALENDAR_WARNING):
        return None

    missing = years_missing_soon(timezone.localdate())
    if not missing:
        return None
    return warning_panel(user, missing)


def warning_panel(user, years: list[int]) -> dict:
    """The context of `core/_calendar_panel.html`: the missing years, who enters them, and whether `user`
    may (then the panel links to the admin)."""
    from rencai.core.access import Action, may

    return {
        "template": "core/_calendar_panel.html",
        "years": years,
        "can_add": may(user, Action.MAINTAIN_CALENDAR),
        "maintainers": maintainers(),
    }


def maintainers() -> str:
    """Who may enter a missing year, as the warnings name them: the holders of the calendar maintenance
    right (`Action.MAINTAIN_CALENDAR`), in the active language."""
    from rencai.accounts.models import Role
    from rencai.core.access import RULES, Action

    right = RULES[Action.MAINTAIN_CALENDAR]
    names = [str(Role(role).label) for role in sorted(right.roles)]
    if right.superuser:
        names.append(gettext("系统管理员"))
    return " / ".join(names)


def is_working_day(day: dt.date) -> bool:
    """Whether `day` is a working day in China; CalendarYearMissing for a year the calendar lacks."""
    worked = _exceptions_of(day.year).get(day)
    if worked is not None:
        return worked
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself not counted); negative counts go back."""
    return _count_working_days(start, days, is_working_day)


@dataclass(frozen=True)
class Estimate:
    """A date counted in working days; `assumed_years` are the years the calendar lacks, counted Monday to
    Friday (empty: the date is exact)."""

    day: dt.date
    assumed_years: tuple[int, ...] = ()

    @property
    def exact(self) -> bool:
        return not self.assumed_years


def add_working_days_or_estimate(start: dt.date, days: int) -> Estimate:
    """`add_working_days`, but a year the calendar lacks is counted Monday to Friday and reported instead of
    refused. For what may be approximate while a warning says so (a deadline's colour, a reminder); a
    deadline itself is set with `add_working_days` only."""
    assumed: set[int] = set()

    def working(day: dt.date) -> bool:
        try:
            return is_working_day(day)
        except CalendarYearMissing:
            assumed.add(day.year)
            return day.weekday() < 5

    day = _count_working_days(start, days, working)
    return Estimate(day, tuple(sorted(assumed)))


def _count_working_days(start: dt.date, days: int, working: Callable[[dt.date], bool]) -> dt.date:
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    current = start
    while remaining:
        current += dt.timedelta(days=step)
        if working(current):
            remaining -= 1
    return current


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]: the inverse of add_working_days; negative when end is before start."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def known_years() -> list[int]:
    """Years the calendar can compute in."""
    return list(CalendarYear.objects.filter(complete=True).values_list("year", flat=True))


def package_years() -> list[int]:
    """Years the installed chinese-calendar package has holiday schedules for."""
    from chinese_calendar.constants import holidays

    return sorted({day.year for day in holidays})


def load_from_package(*, years: list[int] | None = None, day_model=None, year_model=None) -> list[int]:
    """Copy the package's holidays and adjusted workdays into the table for `years` (default: all it knows).

    Years already present (from the package or entered by an administrator) are left untouched. The model
    arguments let a data migration pass its historical models. Returns the years added.
    """
    from chinese_calendar.constants import holidays, workdays

    day_model = day_model or CalendarDay
    year_model = year_model or CalendarYear
    wanted = set(years if years is not None else package_years())
    present = set(year_model.objects.filter(year__in=wanted).values_list("year", flat=True))
    added = sorted(wanted - present)
    if not added:
        return []
    source = CalendarSource.CHINESE_CALENDAR.value
    rows = [
        day_model(date=day, is_working_day=False, name=_chinese_name(name), source=source)
        for day, name in holidays.items()
        if day.year in added
    ] + [
        day_model(date=day, is_working_day=True, name="调休上班", source=source)
        for day, name in workdays.items()
        if day.year in added
    ]
    with transaction.atomic():
        day_model.objects.bulk_create(rows, ignore_conflicts=True)
        year_model.objects.bulk_create(
            [year_model(year=year, source=source, complete=True) for year in added], ignore_conflicts=True
        )
    return added


_CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _chinese_name(package_name: str) -> str:
    return _CHINESE_NAMES.get(package_name, package_name)
