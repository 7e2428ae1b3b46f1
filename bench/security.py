"""The API against its own contract: schemathesis over /api/openapi.json as an officer and as a talent.

    .venv/bin/python bench/security.py                      # SQLite in a temporary folder, 25 examples
    .venv/bin/python bench/security.py --examples 100 --database postgres://postgres@127.0.0.1:5432/rencai_bench_security

A fresh database gets the demo (a small registry, the policies, a matching run, the service catalogue);
then every API operation is generated for by schemathesis (positive and negative data, a fixed seed so a
run can be repeated) and called in-process through the WSGI application with a bearer token, once as the
city organization officer and once as the demo talent. Every check schemathesis has runs: no server error
(5xx), responses conform to the documented status codes, content types, headers and schemas, and invalid
data is rejected. It prints, per role, the operations, the calls, the server errors and the contract
violations (targets: 0 and 0) with the first few of each, and exits 1 if a target is missed.

Never run by `make test` (it takes minutes); the database is created for the run and dropped after.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVER_ERROR = "not_a_server_error"
CONTRACT = {
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database", default="", help="PostgreSQL URL (default: SQLite in a temporary folder)"
    )
    parser.add_argument("--examples", type=int, default=25, help="hypothesis examples per operation")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--talents", type=int, default=300)
    parser.add_argument("--show", type=int, default=5, help="failures to print per kind")
    parser.add_argument("--keep", default="", help="a folder for the SQLite demo, prepared once and reused")
    return parser.parse_args()


def psql(sql: str, check: bool = False) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=check)


def verdict(count: int) -> str:
    return "PASS" if count == 0 else "FAIL"


def prepare(env: dict) -> None:
    """The demo as the Makefile makes it, on the bench's own database."""
    rencai = str(BIN / "rencai")
    for step in (
        ["migrate", "--verbosity", "0"],
        ["demo", "--talents", str(env["BENCH_TALENTS"])],
        ["demo_policies"],
        ["match"],
        ["demo_services"],
    ):
        subprocess.run([rencai, *step], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)


def run_role(schema_app, token: str, args) -> dict:
    import hypothesis
    import schemathesis
    from schemathesis.checks import ALL_CHECKS
    from schemathesis.runner import events, from_schema

    # django-ninja documents OpenAPI 3.1; schemathesis 3 generates for it as 3.0 when told to
    schema = schemathesis.from_wsgi("/api/openapi.json", schema_app, force_schema_version="30")
    runner = from_schema(
        schema,
        checks=ALL_CHECKS,
        headers={"Authorization": f"Bearer {token}"},
        hypothesis_settings=hypothesis.settings(
            max_examples=args.examples,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(hypothesis.HealthCheck),
            database=None,
        ),
        seed=args.seed,
        no_failfast=True,
    )
    found: dict[str, list[str]] = defaultdict(list)
    operations, calls, errors = 0, 0, []
    for event in runner.execute():
        if isinstance(event, events.AfterExecution):
            operations += 1
            seen_failures: set[tuple[str, str]] = set()
            for check in event.result.checks:
                calls += 1
                if check.value.name != "failure":
                    continue
                status = check.response.status_code if check.response else "-"
                label = (
                    f"{event.method} {event.path} → {status}: {(check.message or '').splitlines()[0][:140]}"
                )
                key = (check.name, label)
                if key not in seen_failures:
                    seen_failures.add(key)
                    found[check.name].append(label)
            for error in event.result.errors:
                errors.append(f"{event.method} {event.path}: {error.exception.splitlines()[0][:160]}")
    return {"operations": operations, "checks": calls, "found": found, "errors": errors}


def main() -> int:
    args = parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rencai-security-"))
    folder.mkdir(parents=True, exist_ok=True)
    prepared = args.keep and (folder / "security.sqlite3").exists()
    env = {**os.environ, "RENCAI_VAR_DIR": str(folder), "BENCH_TALENTS": str(args.talents)}
    if args.database:
        name = urlparse(args.database).path.lstrip("/")
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"]
        )
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True
        )
        env["DATABASE_URL"] = args.database
    else:
        env["DATABASE_URL"] = f"sqlite:///{folder / 'security.sqlite3'}"
    if not prepared:
        print(f"preparing the demo on {env['DATABASE_URL']} …", flush=True)
        prepare(env)

    os.environ.update({k: v for k, v in env.items() if k in ("RENCAI_VAR_DIR", "DATABASE_URL")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
    import django

    django.setup()
    from rencai.accounts.models import ApiToken, User
    from rencai.wsgi import application

    tokens = {
        "city_org_dept (city)": ApiToken.issue(User.objects.get(username="city"), name="bench-security")[1],
        "talent (talent)": ApiToken.issue(User.objects.get(username="talent"), name="bench-security")[1],
    }
    missed = False
    for role, token in tokens.items():
        print(f"\n== {role}: {args.examples} examples per operation, seed {args.seed} ==", flush=True)
        report = run_role(application, token, args)
        by_kind = Counter({name: len(labels) for name, labels in report["found"].items()})
        server_errors = by_kind.get(SERVER_ERROR, 0)
        violations = sum(n for name, n in by_kind.items() if name in CONTRACT)
        print(f"operations {report['operations']}, checks run {report['checks']}")
        print(f"server errors (distinct): {server_errors}   target 0   {verdict(server_errors)}")
        print(f"contract violations (distinct): {violations}   target 0   {verdict(violations)}")
        for name, labels in sorted(report["found"].items()):
            print(f"  {name}: {len(labels)}")
            for label in labels[: args.show]:
                print(f"    {label}")
        if report["errors"]:
            print(f"  generation errors: {len(report['errors'])}")
            for label in report["errors"][: args.show]:
                print(f"    {label}")
        missed = missed or bool(server_errors or violations)
    if args.database:
        from django.db import connections

        connections.close_all()
        name = urlparse(args.database).path.lstrip("/")
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"]
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
