"""Recruitment at speed (issue 15): demand search, the funnel, settling rewards.

    .venv/bin/python bench/recruitment.py                    # PostgreSQL rencai_bench_recruitment (recreated)
    .venv/bin/python bench/recruitment.py --reuse --part funnel

Targets: demand search p95 < 100 ms over 100,000 demands; the funnel over 100,000 demands and 1,000,000
referrals < 1 s; settling rewards for 100,000 placements < 10 s, idempotent when run twice.

1. recreates the database (unless --reuse), migrates, and builds a registry with `rencai demo --talents N`;
2. runs each part in this process, each building the rows it needs and printing its figures:
   - demands (`bench/_recruitment_demands.py`): 100,000 demands, the public search page and API;
   - funnel (`bench/_recruitment_funnel.py`): 100,000 demands and 1,000,000 referrals, the funnel by role;
   - rewards (`bench/_recruitment_rewards.py`): 100,000 placements, two settle runs.
Never run by `make test`.
"""

import argparse
import importlib
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/rencai_bench_recruitment"
PARTS = {
    "demands": "_recruitment_demands",
    "funnel": "_recruitment_funnel",
    "rewards": "_recruitment_rewards",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--talents", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the database and its registry")
    parser.add_argument("--part", action="append", choices=sorted(PARTS), help="default: all")
    return parser.parse_args()


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
        Path(parsed.path.lstrip("/") if parsed.path.startswith("//") else parsed.path).unlink(missing_ok=True)


def rencai(*args: str, env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([str(BIN / "rencai"), *args], env=env, check=True, cwd=REPO)
    return time.perf_counter() - started


def main() -> None:
    args = parse_args()
    env = {**os.environ, "DATABASE_URL": args.database}
    if not args.reuse:
        recreate_database(args.database)
    rencai("migrate", "--verbosity", "0", env=env)
    if not args.reuse:
        seconds = rencai("demo", "--talents", str(args.talents), env=env)
        print(f"registry: rencai demo --talents {args.talents:,} in {seconds:.1f} s")
    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
    import django

    django.setup()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    for part in args.part or list(PARTS):
        module = importlib.import_module(PARTS[part])
        print(f"\n== {part} ==")
        module.run(args.database)  # each part prints its own figures as it measures them


if __name__ == "__main__":
    main()
