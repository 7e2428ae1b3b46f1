"""Registry at scale: `rencai demo` for a million talents, the list page, ID-number lookup, a big import.

    .venv/bin/python bench/registry.py                      # PostgreSQL rencai_bench, 1,000,000 talents
    .venv/bin/python bench/registry.py --reuse              # measure again without regenerating
    .venv/bin/python bench/registry.py --talents 100000 --database sqlite:///var/bench.sqlite3

The database named by --database is dropped and recreated unless --reuse. Page and lookup timings are
server-side, in process (django.test.Client: URL routing, middleware, session, view, template). Prints its
figures; never run by `make test`.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/rencai_bench"
TEAMS = ["professional", "high_skill", "enterprise_mgmt", "rural", "party_gov", "social_work"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--talents", type=int, default=1_000_000)
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE),
        help=f"database URL to (re)create and measure (default {DEFAULT_DATABASE})",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database and its data; skip `rencai demo`"
    )
    parser.add_argument("--requests", type=int, default=100, help="requests per measured series")
    parser.add_argument(  # 50,000 is the most one import takes (registry.importers.reading)
        "--import-rows", type=int, default=50_000, help="rows of the .xlsx import (0: skip)"
    )
    parser.add_argument(
        "--no-explain", action="store_true", help="skip EXPLAIN ANALYZE of the list page queries"
    )
    return parser.parse_args()


# --- database and demo data ---------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme.startswith("postgres"):
        import psycopg

        name = parsed.path.lstrip("/")
        admin = parsed._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    elif parsed.scheme == "sqlite":
        path = (
            REPO / parsed.path[1:]
        )  # sqlite:///var/x is relative (to the repository), sqlite:////tmp/x is not
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        raise SystemExit(f"unsupported database URL: {url}")


def rencai(*args: str, env: dict) -> float:
    """Run a `rencai` command in a fresh process (as an operator would); return its wall time."""
    began = time.perf_counter()
    subprocess.run([str(BIN / "rencai"), *args], env=env, cwd=REPO, check=True)
    return time.perf_counter() - began


# --- measuring ----------------------------------------------------------------------------------------------


def percentiles(samples_ms: list[float]) -> str:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    worst = max(samples_ms)
    return f"p50 {cuts[49]:8.1f} ms   p95 {cuts[94]:8.1f} ms   max {worst:8.1f} ms   (n={len(samples_ms)})"


def timed(call) -> tuple[float, object]:
    began = time.perf_counter()
    result = call()
    return (time.perf_counter() - began) * 1000, result


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@dataclass
class Series:
    samples_ms: list[float] = field(default_factory=list)
    statuses: set = field(default_factory=set)
    queries: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def get(self, client, url: str) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            ms, response = timed(lambda: client.get(url))
        self.samples_ms.append(ms)
        self.statuses.add(response.status_code)
        self.queries.append(len(captured.captured_queries))
        self.sizes.append(len(response.content))

    def summary(self) -> str:
        line = (
            f"{percentiles(self.samples_ms)}   HTTP {sorted(self.statuses)}   "
            f"queries/request {statistics.median(self.queries):.0f}   "
            f"{statistics.median(self.sizes) / 1000:.1f} kB"
        )
        if max(self.queries) == 0:
            line += "   <- no database query: the view is still a placeholder"
        return line


def list_page_series(client, *, region: str, requests: int, rng: random.Random) -> Series:
    """The list page with a region + team filter: half professional, half another team; pages 1 to 20."""
    series = Series()
    for index in range(requests):
        team = "professional" if index % 2 == 0 else TEAMS[rng.randrange(len(TEAMS))]
        page = 1 if index % 4 < 2 else rng.randint(2, 20)
        series.get(client, f"/registry/talents/?region={region}&team={team}&page={page}")
    return series


def explain_list_page(client, url: str) -> None:
    """EXPLAIN ANALYZE every query of one list-page request, slowest first (PostgreSQL only)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = sorted(captured.captured_queries, key=lambda q: float(q["time"]), reverse=True)
    print(f"\n  {len(queries)} queries for {url}; slowest first:")
    for query in queries[:4]:
        sql = query["sql"]
        print(f"\n  [{float(query['time']) * 1000:.1f} ms] {sql[:300]}{'…' if len(sql) > 300 else ''}")
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            for (line,) in cursor.fetchall():
                print("      " + line)


def sample_id_numbers(count: int, rng: random.Random) -> list[str]:
    from rencai.core import crypto
    from rencai.registry.models import Talent

    top = Talent.objects.order_by("-id").values_list("id", flat=True).first()
    low = Talent.objects.order_by("id").values_list("id", flat=True).first()
    picked = rng.sample(range(low, top + 1), min(count * 2, top - low + 1))
    ciphertexts = Talent.objects.filter(pk__in=picked).values_list("id_number_ciphertext", flat=True)
    return [crypto.decrypt(c) for c in ciphertexts][:count]


# --- the figures --------------------------------------------------------------------------------------------


def bench_list_page(users: dict, args, rng: random.Random, vendor: str) -> None:
    from rencai.registry.selectors import TalentFilters, talents_for

    print("\n== talent list page: /registry/talents/?region=330881&team=… (server time, in process) ==")
    for label, username in (("city officer   (city)", "city"), ("county officer (jiangshan)", "jiangshan")):
        client = client_for(users[username])
        client.get("/registry/talents/?region=330881&team=professional")  # warm caches
        series = list_page_series(client, region="330881", requests=args.requests, rng=rng)
        print(f"  {label:<28} {series.summary()}")
    user = users["city"]
    filters = TalentFilters(region="330881", team="professional")
    count_samples = [timed(lambda: talents_for(user, filters).count())[0] for _ in range(20)]
    page_samples = [timed(lambda: list(talents_for(user, filters)[:50]))[0] for _ in range(20)]
    deep_samples = [timed(lambda: list(talents_for(user, filters)[50 * 199 : 50 * 200]))[0] for _ in range(5)]
    name_filters = TalentFilters(q="王伟")
    name_samples = [
        timed(lambda: list(talents_for(users["jiangshan"], name_filters)[:50]))[0] for _ in range(5)
    ]
    name_counts = [timed(lambda: talents_for(users["jiangshan"], name_filters).count())[0] for _ in range(5)]
    print("  selector talents_for(city, region=330881, team=professional):")
    print(f"    count()                    {percentiles(count_samples)}")
    print(f"    first 50 rows              {percentiles(page_samples)}")
    print(f"    page 200 (OFFSET 9950)     {percentiles(deep_samples)}")
    print("  selector talents_for(jiangshan, q=王伟) (name contains):")
    print(f"    first 50 rows              {percentiles(name_samples)}")
    print(f"    count()                    {percentiles(name_counts)}")
    if vendor == "postgresql" and not args.no_explain:
        explain_list_page(
            client_for(users["jiangshan"]), "/registry/talents/?region=330881&team=professional"
        )


def bench_lookup(users: dict, args, rng: random.Random) -> None:
    from rencai.registry.selectors import TalentFilters, talents_for

    print("\n== lookup by ID number (blind index) ==")
    numbers = sample_id_numbers(args.requests, rng)
    user = users["city"]
    samples, misses = [], 0
    for number in numbers:
        ms, hits = timed(lambda n=number: list(talents_for(user, TalentFilters(q=n))))
        samples.append(ms)
        misses += len(hits) != 1
    print(f"  talents_for(city, q=<id>)         {percentiles(samples)}   not found: {misses}")
    client = client_for(user)
    series = Series()
    for number in numbers:
        series.get(client, f"/registry/talents/?q={number}")
    print(f"  /registry/talents/?q=<id>         {series.summary()}")


def report_page(user, batch_id: int):
    """The report page's view and template, first page (called directly: the URL may not be wired yet)."""
    from django.test import RequestFactory

    from rencai.registry.import_views import import_report

    request = RequestFactory().get(f"/registry/import/{batch_id}/")
    request.user = user
    return import_report(request, batch_id)


def bench_import(users: dict, args) -> None:
    """Import a fresh N-row .xlsx as the city officer (report included), then the same file again."""
    from bench.import_fixture import write_talent_xlsx

    from rencai.registry.importers import import_file
    from rencai.registry.models import Talent

    print(f"\n== import of a {args.import_rows:,}-row .xlsx with its report (as `city`) ==")
    region_codes = ["330802", "330803", "330822", "330824", "330825", "330881"]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"talents-{args.import_rows}.xlsx"
        ms, _ = timed(lambda: write_talent_xlsx(path, args.import_rows, region_codes))
        print(f"  writing the fixture: {ms / 1000:.1f} s ({path.stat().st_size / 1e6:.1f} MB)")
        changed = Path(directory) / f"talents-{args.import_rows}-changed.xlsx"
        write_talent_xlsx(changed, args.import_rows, region_codes, seed=2018)
        runs = [
            ("first import", path.read_bytes()),
            ("same file again", path.read_bytes()),
            ("values changed", changed.read_bytes()),  # the same people, other names, teams, tiers …
        ]
        for label, data in runs:
            before = Talent.objects.count()
            ms, batch = timed(
                lambda data=data: import_file(
                    actor=users["city"], kind="talents", filename=path.name, data=data
                )
            )
            report_ms, response = timed(lambda b=batch: report_page(users["city"], b.pk))
            print(
                f"  {label:<16} import_file {ms / 1000:6.1f} s   report page {report_ms:6.0f} ms "
                f"(HTTP {response.status_code})   total {(ms + report_ms) / 1000:6.1f} s"
            )
            print(
                f"    outcome {batch.outcome}  rows {batch.total_rows:,}  created {batch.created_count:,}  "
                f"updated {batch.updated_count:,}  unchanged {batch.unchanged_count:,}  "
                f"rejected {batch.rejected_count:,}  talents {before:,} -> {Talent.objects.count():,}"
            )
            if batch.rejected_count:
                print(f"    first rejection: {batch.errors[0]}")


def main() -> None:
    args = parse_args()
    os.chdir(REPO)
    warnings.filterwarnings("ignore", message="No directory at")  # static files are not collected here
    env = {**os.environ, "DATABASE_URL": args.database, "DJANGO_SETTINGS_MODULE": "rencai.settings"}
    print(f"database: {args.database}")
    if not args.reuse:
        recreate_database(args.database)
        rencai("migrate", "--verbosity", "0", env=env)
        seconds = rencai("demo", "--talents", str(args.talents), env=env)
        print(f"\n== `rencai demo --talents {args.talents}`: {seconds:.1f} s wall (process start to exit) ==")
    os.environ.update(DATABASE_URL=args.database, DJANGO_SETTINGS_MODULE="rencai.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.db import connection

    from rencai.accounts.models import User
    from rencai.registry.models import Talent

    users = {u.username: u for u in User.objects.filter(username__in=["city", "jiangshan"])}
    print(f"talents in the database: {Talent.objects.count():,} ({connection.vendor})")
    rng = random.Random(2017)
    bench_list_page(users, args, rng, connection.vendor)
    bench_lookup(users, args, rng)
    if args.import_rows:
        bench_import(users, args)


if __name__ == "__main__":
    main()
