"""The API against its own contract: schemathesis over /api/openapi.json as an officer and as a talent.

    .venv/bin/python bench/security.py                           # SQLite demo in a temporary folder
    .venv/bin/python bench/security.py --examples 25 --keep /tmp/secdemo   # prepare once, then reuse

A fresh folder gets the demo as the Makefile makes it (migrate, demo, demo_policies, match, demo_services)
on SQLite; `rencai serve --no-worker` serves it on a free port; API tokens are issued for `city` (the city
organization department's officer) and `talent` (the demo talent). For each role, `schemathesis run` (the
CLI of schemathesis 4) generates for every operation of /api/openapi.json — examples, coverage, fuzzing and
stateful phases, positive and negative data, `--max-examples` per operation and a fixed seed — with every
check it has. The JSON report gives, per role, the operations tested, the server errors (ST101) and the
contract violations (every other failure: undocumented status codes, schema-violating requests accepted,
schema-valid requests rejected, responses off their schema…), target 0 and 0; the exit code is 1 if either
target is missed. The full text of schemathesis's findings (with curl lines to reproduce) is kept in the
folder, named in the output.

Schema-valid requests the server may still refuse, and why (the one allowance made to schemathesis's
`positive_data_acceptance` check, per operation, in REFUSED_WHEN_VALID below; 409, 404 and 403 are already
accepted by that check): an input rule that JSON Schema cannot state (an ID number's or credit code's check
digit, order numbers without gaps across steps, an end date after a start date), a reference that must exist
in the caller's scope (a region, an employer, a material type, a policy), or the state of the stored data
(a draft whose rules do not parse cannot be issued, simulated or explained; an arrival date after today).
Those answers are 422 with the problem in both languages; one is 400 (`materials_missing` when the window
accepts an application that lacks materials: a refusal of the stored state, pinned at 400 by the onestop
tests). Other refusals of the stored state answer 409, which the check accepts. A 400 or 422 for input that
breaks none of these counts as a violation.

Never run by `make test` (it takes minutes).
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ROLES = {"city": "city organization department officer", "talent": "talent"}
SERVER_ERRORS = {"ST101"}

# (method, path) → why a schema-valid request may be refused with 422 (see the docstring)
REFUSED_WHEN_VALID = {
    ("POST", "/api/registry/talents/"): "ID number check digit and birth date; region and employer in scope",
    ("PATCH", "/api/registry/talents/{talent_id}"): "ID number check digit; region and employer in scope",
    ("POST", "/api/registry/talents/{talent_id}/transfer"): "the region must exist and differ",
    ("POST", "/api/registry/enterprises/"): "credit code check character; region in scope",
    ("POST", "/api/policies/{policy_id}/versions"): "end date after start date",
    ("PUT", "/api/policies/versions/{version_id}"): "end date after start date",
    ("POST", "/api/policies/versions/{version_id}/issue"): "the stored draft's rules must parse",
    ("POST", "/api/policies/versions/{version_id}/simulate"): "the stored draft's rules must parse",
    ("GET", "/api/policies/{policy_id}/explain/{talent_id}"): "the version's rules must parse",
    ("POST", "/api/services/items"): "steps numbered without gaps; material types and policy exist",
    ("PUT", "/api/services/items/{item_id}"): "steps numbered without gaps; material types and policy exist",
    ("POST", "/api/services/applications/{application_id}/return"): "the material types must exist",
    (
        "POST",
        "/api/services/applications/{application_id}/resubmit",
    ): "material types exist, the notice's all given",
}
# (method, path) → why a schema-valid request may be refused with 400: the stored application lacks
# materials its item requires (the window is told which; `materials_missing`, a refusal of the state)
REFUSED_400_WHEN_VALID = {
    ("POST", "/api/services/applications/{application_id}/accept"): "the stored application lacks materials",
}
POSITIVE_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=25, help="test cases per operation (-n)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--talents", type=int, default=300)
    parser.add_argument("--workers", default="2", help="schemathesis workers")
    parser.add_argument("--keep", default="", help="a folder for the SQLite demo, prepared once and reused")
    return parser.parse_args()


def verdict(count: int) -> str:
    return "PASS" if count == 0 else "FAIL"


def prepare(env: dict, talents: int) -> None:
    """The demo as the Makefile makes it, on the bench's own database."""
    for step in (
        ["migrate", "--verbosity", "0"],
        ["demo", "--talents", str(talents)],
        ["demo_policies"],
        ["match"],
        ["demo_services"],
    ):
        subprocess.run([str(BIN / "rencai"), *step], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)


def issue_tokens(env: dict) -> dict[str, str]:
    """A fresh API token for each role's demo user (printed by `rencai shell`, one `TOKEN user key` line)."""
    code = (
        "from rencai.accounts.models import ApiToken, User\n"
        f"for name in {list(ROLES)!r}:\n"
        "    user = User.objects.get(username=name)\n"
        "    print('TOKEN', name, ApiToken.issue(user, name='bench-security')[1])\n"
    )
    out = subprocess.run(
        [str(BIN / "rencai"), "shell", "-c", code],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {
        parts[1]: parts[2] for parts in (line.split() for line in out.splitlines()) if parts[:1] == ["TOKEN"]
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(env: dict, port: int, log: Path) -> subprocess.Popen:
    """`rencai serve` (a supervisor: stopped with SIGTERM), once it answers the OpenAPI document."""
    server = subprocess.Popen(
        [str(BIN / "rencai"), "serve", "--no-worker", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=5) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(1)
    server.send_signal(signal.SIGTERM)
    raise SystemExit(f"the server did not answer on port {port}; see {log}")


def write_config(folder: Path) -> Path:
    """schemathesis.toml: the documented allowance of REFUSED_WHEN_VALID, operation by operation."""
    lines = []
    allowances = [(key, why, "422") for key, why in REFUSED_WHEN_VALID.items()]
    allowances += [(key, why, "400") for key, why in REFUSED_400_WHEN_VALID.items()]
    for (method, path), why, status in allowances:
        lines += [
            f"# {why}",
            "[[operations]]",
            f'include-name = "{method} {path}"',  # method and path apart would match either
            f"checks.positive_data_acceptance.expected-statuses = {json.dumps([*POSITIVE_ACCEPTED, status])}",
            "",
        ]
    config = folder / "schemathesis.toml"
    config.write_text("\n".join(lines))
    return config


def run_role(role: str, token: str, port: int, config: Path, folder: Path, args) -> dict:
    report, text = folder / f"schemathesis-{role}.json", folder / f"schemathesis-{role}.txt"
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"http://127.0.0.1:{port}/api/openapi.json",
        "-H",
        f"Authorization: Bearer {token}",
        "-n",
        str(args.examples),
        "--seed",
        str(args.seed),
        "--checks",
        "all",
        "--workers",
        args.workers,
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    with text.open("w") as out:
        subprocess.run(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT, check=False)
    data = json.loads(report.read_text())
    data["text"] = str(text)
    return data


def show(role: str, data: dict) -> bool:
    """Print one role's figures; True when both targets are met."""
    failures = data.get("failures", [])
    server = sum(f["count"] for f in failures if f["code"] in SERVER_ERRORS)
    contract = sum(f["count"] for f in failures if f["code"] not in SERVER_ERRORS)
    operations = data["operations"]
    print(f"\n== {role} ({ROLES[role]}) ==")
    print(
        f"operations tested {operations['tested']} of {operations['selected']}, "
        f"test cases {data['test_cases']['generated']}, errors {len(data.get('errors', []))}"
    )
    print(f"server errors        {server:5}   target 0   {verdict(server)}")
    print(f"contract violations  {contract:5}   target 0   {verdict(contract)}")
    for failure in failures:
        print(f"  {failure['code']} {failure['title']}: {failure['count']}")
        for operation in failure["operations"][:10]:
            print(f"      {operation}")
    for error in data.get("errors", [])[:5]:
        print(f"  error: {str(error)[:200]}")
    print(f"details (curl lines to reproduce): {data['text']}")
    return server == 0 and contract == 0 and not data.get("errors")


def main() -> int:
    args = parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="rencai-security-")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "security.sqlite3"
    env = {**os.environ, "RENCAI_VAR_DIR": str(folder), "DATABASE_URL": f"sqlite:///{database}"}
    if not database.exists():
        print(f"preparing the demo in {folder} …", flush=True)
        prepare(env, args.talents)
    tokens = issue_tokens(env)
    port = free_port()
    server = serve(env, port, folder / "serve.log")
    config = write_config(folder)
    met = True
    try:
        for role in ROLES:
            print(
                f"schemathesis as {role}: {args.examples} examples per operation, seed {args.seed} …",
                flush=True,
            )
            met = show(role, run_role(role, tokens[role], port, config, folder, args)) and met
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    print(f"\n{'all targets met' if met else 'targets missed'}; server log {folder / 'serve.log'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
