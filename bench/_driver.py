"""The driver of the benchmarks made of parts (bench/evaluation.py, bench/recruitment.py): a registry built
by `rencai demo`, then each part's `run(database_url)` in this process, printing its own figures."""

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


def parse_args(description: str, parts: dict[str, str], database: str, talents: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", database))
    parser.add_argument("--talents", type=int, default=talents)
    parser.add_argument("--reuse", action="store_true", help="keep the database and its registry")
    parser.add_argument("--part", action="append", choices=sorted(parts), help="default: all")
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


def main(description: str, parts: dict[str, str], *, database: str, talents: int) -> None:
    """Build the registry (unless --reuse), then run the parts asked for (module names under bench/)."""
    args = parse_args(description, parts, database, talents)
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
    for part in args.part or list(parts):
        module = importlib.import_module(parts[part])
        print(f"\n== {part} ==")
        module.run(args.database)  # each part prints its own figures as it measures them
