"""The year-end score sheets of the seven regions (the city and its six counties) on the registry (issue 16).

    BENCH_DATABASE_URL=postgres://…/rencai_bench_analytics .venv/bin/python bench/_analytics_targets.py

`run(database_url)` assumes a migrated database with the registry demo. It loads the targets demo when the
2017 sheets are missing (`rencai demo_targets`: every sheet set, measured and scored through the services),
then times, for the seven region sheets of 2017, the year-end score sheet — every indicator item measured
from the registry on 31 December (`coordination.scoring.score_sheet(live=True)`), work items, bonus and
deductions, the total — all seven in one go:
- cold: the analytics figure cache emptied first (the registry history stays in memory, as in a server);
- warm: the same again, 10 times.
Target: < 1 s for the seven.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 1000.0


def setup_django(database_url: str) -> None:
    from django.conf import settings

    if settings.configured:
        return
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _year_end(sheets, day) -> tuple[float, list]:
    from rencai.coordination import scoring

    started = time.perf_counter()
    scores = [scoring.score_sheet(sheet, day=day, live=True) for sheet in sheets]
    return (time.perf_counter() - started) * 1000, scores


def run(database_url: str) -> list[str]:
    setup_django(database_url)
    import datetime as dt

    from rencai.analytics import compute, history
    from rencai.coordination.demo_targets import PAST_YEAR, load_demo_targets
    from rencai.coordination.models import TargetSheet
    from rencai.core.models import RegionLevel

    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    if not TargetSheet.objects.filter(year=PAST_YEAR).exists():
        started = time.perf_counter()
        load_demo_targets()
        say(f"targets demo loaded (rencai demo_targets) in {time.perf_counter() - started:.1f} s")
    sheets = list(
        TargetSheet.objects.filter(
            year=PAST_YEAR, department__isnull=True, region__level__in=[RegionLevel.CITY, RegionLevel.COUNTY]
        )
        .select_related("region", "department")
        .prefetch_related("items")
    )
    day = dt.date(PAST_YEAR, 12, 31)
    history.cached_history()  # the registry history in memory, as in a running server
    compute.clear_cache()
    cold, scores = _year_end(sheets, day)
    warm = [_year_end(sheets, day)[0] for _ in range(10)]
    items = sum(len(score.lines) for score in scores)
    verdict = "pass" if cold < TARGET_MS and max(warm) < TARGET_MS else "MISSED"
    say(
        f"year-end score sheets of {len(sheets)} regions ({items} items): cold {cold:.1f} ms, "
        f"warm p50 {statistics.median(warm):.1f} ms, max {max(warm):.1f} ms, "
        f"target < {TARGET_MS:.0f} ms — {verdict}"
    )
    for score in scores:
        say(f"  {score.sheet.unit_name}: {score.total}")
    return lines


if __name__ == "__main__":
    run(os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rencai_bench_analytics"))
