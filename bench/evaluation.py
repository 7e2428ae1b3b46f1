"""Evaluation at speed (issue 14): conflicts, panel draws, computed indicators, notice, expert lists.

    .venv/bin/python bench/evaluation.py                     # PostgreSQL rencai_bench_eval, 1,000,000 talents
    .venv/bin/python bench/evaluation.py --reuse             # measure again on the same registry
    .venv/bin/python bench/evaluation.py --talents 100000 --part panels   # a quick check of one part

Targets: conflict check of one case against 5,000 experts < 50 ms; drawing a panel < 100 ms; computed
indicators for a round of 2,000 candidates on the 1,000,000-talent registry < 1 s; the public notice page
p95 < 100 ms; an expert's case list p95 < 100 ms.

1. recreates the database (unless --reuse), migrates, and builds the registry with `rencai demo --talents N`
   (a separate process, timed);
2. runs each part in this process (Django configured on that database), each building the evaluation rows
   it needs on top of the registry and printing its own figures:
   - indicators (`bench/_evaluation_indicators.py`): a round of 2,000 candidates, `compute_round`;
   - panels (`bench/_evaluation_panels.py`): 5,000 experts, conflicts of one case, a draw, an expert's list;
   - notice (`bench/_evaluation_notice.py`): the public notice page of a few hundred cases.
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
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/rencai_bench_eval"
PARTS = {
    "indicators": "_evaluation_indicators",
    "panels": "_evaluation_panels",
    "notice": "_evaluation_notice",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--talents", type=int, default=1_000_000)
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
