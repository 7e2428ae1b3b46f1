"""Excel export of a 100,000-row drill-down (the people behind a figure) on the 1,000,000-talent registry
(issue 16: < 10 s).

    BENCH_DATABASE_URL=postgres://…/rencai_bench_analytics .venv/bin/python bench/_analytics_export.py

`run(database_url)` assumes a migrated database with the registry demo and the standard indicators. As the
city officer (`city` from the demo, or a bench officer), it finds the breakdown cell of `talents_total` whose
people are closest to 100,000 (a county, a team or a tier), then times `analytics.exports.people_export` end
to end — `compute.people` (the ids from the history frame, scoped by `visible_to`), the rows read in chunks,
the streamed write-only workbook, the audit entry — three times, and checks the workbook's row count.
This is what the job (`people_export_task`) runs for a list longer than `exports.INLINE_ROWS`.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_ROWS = 100_000
TARGET_SECONDS = 10.0
REPEAT = 3


def setup_django(database_url: str) -> None:
    from django.conf import settings

    if settings.configured:
        return
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _officer():
    from rencai.accounts.models import User
    from rencai.core.models import Region

    officer = User.objects.filter(username="city").first()
    if officer is not None:
        return officer
    officer, _ = User.objects.get_or_create(
        username="bench-analytics-city",
        defaults={"role": "city_org_dept", "region": Region.objects.get(code="330800")},
    )
    return officer


def _closest_cell(indicator, user, day: dt.date) -> tuple[str, str, int]:
    """(breakdown, key, people) of the cell whose numerator is closest to TARGET_ROWS."""
    from rencai.analytics import compute

    best: tuple[str, str, int] | None = None
    for by in ("region", "team", "tier"):
        figure = compute.figure(indicator, user=user, day=day, by=by)
        for cell in figure.cells:
            people = int(cell.numerator or 0)
            if best is None or abs(people - TARGET_ROWS) < abs(best[2] - TARGET_ROWS):
                best = (by, cell.key, people)
    assert best is not None
    return best


def run(database_url: str) -> list[str]:
    setup_django(database_url)
    from django.db import connection
    from django.utils import timezone
    from openpyxl import load_workbook

    from rencai.analytics import exports
    from rencai.analytics.models import Indicator

    indicator = Indicator.objects.get(code="talents_total")
    user = _officer()
    day = timezone.localdate()
    by, key, people = _closest_cell(indicator, user, day)
    lines = [
        f"drill-down export ({connection.vendor}): talents_total by {by}={key}, {people:,} people "
        f"(target {TARGET_ROWS:,} rows < {TARGET_SECONDS:.0f} s), {REPEAT} runs"
    ]
    seconds = []
    rows = 0
    size = 0
    for _ in range(REPEAT):
        started = time.perf_counter()
        query = exports.PeopleQuery(indicator=indicator, day=day, by=by, key=key)
        export = exports.people_export(actor=user, query=query)
        content = export.file.read()
        seconds.append(time.perf_counter() - started)
        rows, size = export.rows, len(content)
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    written = sum(1 for _ in sheet.iter_rows(values_only=True)) - 1
    per_100k = statistics.median(seconds) / max(rows, 1) * TARGET_ROWS
    verdict = "ok" if per_100k < TARGET_SECONDS else "SLOW"
    lines.append(
        f"  people_export: median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s "
        f"for {rows:,} rows "
        f"({size / 1e6:.1f} MB; workbook holds {written:,}); {per_100k:.2f} s per 100,000 rows [{verdict}]"
    )
    for line in lines:
        print(line, flush=True)
    return lines


if __name__ == "__main__":
    run(os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rencai_bench_analytics"))
