"""The public demand search over 100,000 demands (issue 15: p95 < 100 ms), page and API.

    BENCH_DATABASE_URL=postgres://…/rencai_bench_demands .venv/bin/python bench/_recruitment_demands.py

`run(database_url)` assumes a migrated database (the regions come with the migrations; the demo's
enterprises are used when there, else 200 bench enterprises are added). It adds, once (recognised by the
`BENCH-D` title prefix), 100,000 demands by bulk_create: 85% published, the rest in the other states, over
every field, team, tier, degree, place (the Hangzhou and Shanghai enclaves included) and work mode. Then it
times, through django.test.Client with nobody signed in, the public search page `/recruitment/demands/` and
the API `GET /api/recruitment/demands` for a set of typical searches (no filter, one field, enclave with a
salary floor, team + tier + degree, a county, a keyword, a deep page), WARMUP unmeasured and REQUESTS
measured per search. Returns the printed lines.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "BENCH-D"
DEMANDS = 100_000
BATCH = 5_000
WARMUP = 3
REQUESTS = 20
TARGET_MS = 100.0
SEARCHES = [
    {},
    {"field": "electronics"},
    {"place": "hangzhou_enclave", "salary": "300000"},
    {"team": "professional", "tier": "C", "degree": "doctor"},
    {"region": "330881"},
    {"work_mode": "flexible", "field": "biomedicine"},
    {"q": "工程师"},
    {"page": "200"},
]


def setup_django(database_url: str) -> None:
    from django.conf import settings

    if settings.configured:
        return
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _enterprises():
    from rencai.core.models import Region
    from rencai.core.validators import CREDIT_ALPHABET, credit_check_char
    from rencai.registry.models import Enterprise

    enterprises = list(Enterprise.objects.only("pk", "region_id"))
    if len(enterprises) >= 20:
        return enterprises
    counties = list(Region.objects.filter(level="county"))
    rows = []
    for n in range(200):
        body = "".join(CREDIT_ALPHABET[(n // (31**i)) % 31] for i in range(8))
        first17 = "91330800" + body + "B"
        rows.append(
            Enterprise(
                credit_code=first17 + credit_check_char(first17),
                name=f"{PREFIX}基准企业{n:03d}有限公司",
                region=counties[n % len(counties)],
                industry="manufacturing",
                size="medium",
            )
        )
    Enterprise.objects.bulk_create(rows, ignore_conflicts=True)
    return list(Enterprise.objects.only("pk", "region_id"))


def _build() -> float:
    """The demands (once); the seconds it took (0 when they were there already)."""
    from django.db import transaction
    from django.utils import timezone

    from rencai.recruitment.choices import DemandState, Place, WorkMode
    from rencai.recruitment.models import Demand
    from rencai.registry.choices import Degree, Industry, Team, Tier

    if Demand.objects.filter(title__startswith=PREFIX).exists():
        return 0.0
    started = time.perf_counter()
    rng = random.Random(15)
    enterprises = _enterprises()
    today, now = timezone.localdate(), timezone.now()
    others = [s for s in DemandState.values if s != DemandState.PUBLISHED]
    words = [
        "研发工程师",
        "工艺工程师",
        "技术总监",
        "产品经理",
        "首席科学家",
        "高级技师",
        "数据分析师",
        "销售总监",
    ]
    with transaction.atomic():
        for start in range(0, DEMANDS, BATCH):
            rows = []
            for n in range(start, min(start + BATCH, DEMANDS)):
                enterprise = rng.choice(enterprises)
                published = rng.random() < 0.85
                low = rng.randrange(80, 800) * 1000
                rows.append(
                    Demand(
                        enterprise_id=enterprise.pk,
                        region_id=enterprise.region_id,
                        title=f"{PREFIX} {rng.choice(words)}{n}",
                        team=rng.choice(Team.values),
                        tier_sought=rng.choice(["", *Tier.values]),
                        degree=rng.choice(Degree.values),
                        field=rng.choice(Industry.values),
                        headcount=rng.randint(1, 5),
                        salary_min=low,
                        salary_max=low + rng.randrange(0, 400) * 1000,
                        place=rng.choices(Place.values, weights=[8, 1, 1])[0],
                        work_mode=rng.choices(WorkMode.values, weights=[4, 1])[0],
                        state=DemandState.PUBLISHED if published else rng.choice(others),
                        expires_on=today + dt.timedelta(days=rng.randint(1, 300)),
                        published_at=now - dt.timedelta(minutes=n) if published else None,
                    )
                )
            Demand.objects.bulk_create(rows)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Demand._meta.db_table}")
    return time.perf_counter() - started


def _percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _time(client, url: str, params: dict) -> list[float]:
    for _ in range(WARMUP):
        assert client.get(url, params).status_code == 200
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    return times


def run(database_url: str) -> list[str]:
    setup_django(database_url)
    from django.db import connection
    from django.test import Client

    from rencai.recruitment.models import Demand
    from rencai.recruitment.selectors import public_demands

    built = _build()
    client = Client()  # nobody signed in: the search is public
    total, published = Demand.objects.count(), public_demands().count()
    lines = [
        f"public demand search ({connection.vendor}, {total:,} demands, {published:,} published and current; "
        f"built in {built:.1f} s; {REQUESTS} requests per search after {WARMUP} unmeasured; target p95 < "
        f"{TARGET_MS:.0f} ms)"
    ]
    everything: dict[str, list[float]] = {"page": [], "api": []}
    for params in SEARCHES:
        label = "&".join(f"{k}={v}" for k, v in params.items()) or "(no filter)"
        page = _time(client, "/recruitment/demands/", params)
        api_params = {k: v for k, v in params.items() if k != "page"}
        if "page" in params:
            api_params |= {"limit": 20, "offset": (int(params["page"]) - 1) * 20}
        api = _time(client, "/api/recruitment/demands", api_params)
        everything["page"] += page
        everything["api"] += api
        lines.append(
            f"  {label:<45} page p50 {statistics.median(page):6.1f} p95 {_percentile(page, 0.95):6.1f} ms"
            f"   api p50 {statistics.median(api):6.1f} p95 {_percentile(api, 0.95):6.1f} ms"
        )
    for kind, times in everything.items():
        p95 = _percentile(times, 0.95)
        verdict = "ok" if p95 < TARGET_MS else "OVER TARGET"
        lines.append(
            f"  all {kind:<4} searches: p50 {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  {verdict}"
        )
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set BENCH_DATABASE_URL to a migrated database (rencai migrate)")
    run(url)
