"""Demo analytics (`rencai demo_analytics`): the standard set present, and its figures printed for the city.

The registry demo already carries history (arrivals from 2010, departures, honours by year, platform
memberships by date), so the 2015-to-today series move; this checks that they do and prints them. It writes
nothing but the standard indicators missing from the database (the migration normally made them).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from rencai.accounts.models import Role, User
from rencai.analytics import compute
from rencai.analytics.models import IndicatorKind
from rencai.analytics.standard import seed_standard_set
from rencai.core.errors import DomainError, ErrorCode


@dataclass
class AnalyticsDemoReport:
    created: int = 0
    lines: list[str] = field(default_factory=list)
    flat: list[str] = field(default_factory=list)  # registry indicators whose yearly series did not move


def load_demo_analytics(today: dt.date | None = None) -> AnalyticsDemoReport:
    today = today or timezone.localdate()
    report = AnalyticsDemoReport(created=seed_standard_set())
    city = User.objects.filter(role=Role.CITY_ORG_DEPT, region__parent__isnull=True).first() or (
        User.objects.filter(is_superuser=True).first()
    )
    if city is None:
        raise DomainError(
            ErrorCode.DEMO_REFUSED,
            "没有市委组织部账号：请先运行 rencai demo",
            "No city organization department account: run `rencai demo` first",
        )
    for indicator in compute.standard_indicators():
        total = compute.figure(indicator, user=city, day=today).total
        line = f"{indicator.name} / {indicator.name_en}: {total.value} {indicator.unit}"
        if indicator.kind != IndicatorKind.SOURCE:
            yearly = compute.series(indicator, user=city, start=compute.TRENDS_FROM, end=today)[11::12]
            values = [cell.value for cell in yearly]
            line += "  (" + ", ".join(f"{cell.key[:4]}: {cell.value}" for cell in yearly) + ")"
            if len(set(values)) <= 1 and indicator.code.startswith(("talents", "team_", "net_")):
                report.flat.append(indicator.code)
        report.lines.append(line)
    compute.save_results()
    return report
