"""The public notice page (公示) of a few hundred cases (issue 14: p95 < 100 ms).

    BENCH_DATABASE_URL=postgres://…/rencai_bench .venv/bin/python bench/_evaluation_notice.py

`run(database_url)` assumes a registry built by `rencai migrate && rencai demo --talents N`. It adds (once,
recognisable by their codes) a published scheme `bench-notice`, a round of NOTICE_CASES random talents in
state `notice` with their proposed tiers, and the round's public notice; then requests the page
`/notice/<id>/` through django.test.Client without signing in, WARMUP times unmeasured and REQUESTS times
measured, and prints p50 / p95 / p99 / max. It also checks that the page holds no ID number or phone (the
masked forms included). Returns the printed lines (bench/evaluation.py gathers them).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTICE_CASES = 300
WARMUP = 20
REQUESTS = 300
SCHEME = "bench-notice"
ROUND = "公示基准批次（300人）"
DAY = dt.date(2026, 12, 7)


def setup_django(database_url: str) -> None:
    from django.conf import settings

    if settings.configured:
        return
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _scheme(city):
    """A published scheme, written as rows (weights 100 each, then published: the triggers check it)."""
    from rencai.evaluation.choices import IndicatorSource, Purpose, SchemeStatus
    from rencai.evaluation.models import Indicator, Scheme, SchemeEvaluator

    scheme = Scheme.objects.filter(code=SCHEME, version=1).first()
    if scheme is not None:
        return scheme
    scheme = Scheme.objects.create(
        code=SCHEME,
        name="基准：公示",
        region=city,
        purpose=Purpose.RECOGNITION,
        effective_from=dt.date(2026, 1, 1),
        tier_thresholds={"C": 90, "D": 75, "E": 60},
        honour="city_programme",
    )
    Indicator.objects.create(
        scheme=scheme,
        code="results",
        name="实绩贡献",
        source=IndicatorSource.SCORED,
        weight=100,
        rubric="按实绩",
    )
    SchemeEvaluator.objects.create(scheme=scheme, kind="government", weight=100)
    Scheme.objects.filter(pk=scheme.pk).update(status=SchemeStatus.PUBLISHED)
    return scheme


def _notice(scheme, city, rng: random.Random):
    from django.db.models import Max

    from rencai.evaluation.choices import CaseState, RoundState
    from rencai.evaluation.models import Case, PublicNotice, Round
    from rencai.evaluation.services.notices import tier_for
    from rencai.registry.models import Talent

    round_ = Round.objects.filter(name=ROUND, scheme=scheme).first()
    if round_ is not None:
        return round_.notices.get()
    week = dt.timedelta(days=7)
    round_ = Round.objects.create(
        scheme=scheme,
        name=ROUND,
        region=city,
        year=DAY.year,
        state=RoundState.NOTICE,
        opens_on=DAY - 10 * week,
        applications_due=DAY - 8 * week,
        employer_due=DAY - 7 * week,
        first_review_due=DAY - 6 * week,
        panel_due=DAY - 4 * week,
        second_review_due=DAY - 2 * week,
    )
    top = Talent.objects.aggregate(top=Max("pk"))["top"] or 0
    ids = rng.sample(range(1, top + 1), min(top, NOTICE_CASES * 3))
    active = Talent.objects.filter(pk__in=ids, status="active")
    talents = list(active.values_list("pk", "region_id", "current_employer_id"))[:NOTICE_CASES]
    cases = []
    for talent_id, region_id, employer_id in talents:
        score = Decimal(rng.randint(6000, 9900)) / 100
        cases.append(
            Case(
                round=round_,
                talent_id=talent_id,
                region_id=region_id,
                enterprise_id=employer_id,
                field="electronics",
                state=CaseState.NOTICE,
                total_score=score,
                result_tier=tier_for(scheme, score),
                result_honour=scheme.honour,
            )
        )
    Case.objects.bulk_create(cases, batch_size=1000)
    notice = PublicNotice.objects.create(
        round=round_,
        title=f"{ROUND}评价结果公示",
        starts_on=DAY,
        ends_on=DAY + week,
        days=5,
    )
    notice.cases.add(*Case.objects.filter(round=round_))
    return notice


def _percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(database_url: str) -> list[str]:
    setup_django(database_url)
    from django.db import connection
    from django.test import Client

    from rencai.core.models import Region
    from rencai.registry.models import Talent

    rng = random.Random(5)
    city = Region.objects.get(code="330800")
    notice = _notice(_scheme(city), city, rng)
    client = Client()  # nobody signed in: the page is public
    url = f"/notice/{notice.pk}/"
    for _ in range(WARMUP):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    page = response.content.decode()
    talents = Talent.objects.filter(pk__in=notice.cases.values("talent")).values_list(
        "id_number_masked", "phone_masked"
    )
    leaks = sum(1 for pair in talents for masked in pair if masked and masked in page)
    lines = [
        f"public notice page ({connection.vendor}, {Talent.objects.count():,} talents, "
        f"{notice.cases.count()} cases on the notice, {REQUESTS} requests after {WARMUP} unmeasured)",
        f"  p50 {statistics.median(times):6.1f} ms   p95 {_percentile(times, 0.95):6.1f} ms "
        f"(target < 100 ms)   p99 {_percentile(times, 0.99):6.1f} ms   max {max(times):6.1f} ms",
        f"  page size {len(response.content) / 1024:.0f} KiB; personal data on the page: {leaks} (must be 0)",
    ]
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set BENCH_DATABASE_URL to a database built by `rencai demo --talents N`")
    run(url)
