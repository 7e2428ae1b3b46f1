"""A mixed load on `rencai serve` at 10, 50 and 200 clients: throughput, latency, errors, connections.

    .venv/bin/python bench/load.py                                # 60 s a level, PostgreSQL rencai_bench_load
    .venv/bin/python bench/load.py --duration 10 --clients 10,50  # a quick run
    .venv/bin/python bench/load.py --reuse --threads 4            # same data, another thread count

It recreates the database (unless --reuse), loads the demo (`rencai demo --talents N`, `rencai
demo_services`) plus gold cards for demo talents to check, starts `rencai serve` on a free port
exactly as production runs it (granian, 2 workers, the task worker beside them), logs in over HTTP as the
demo officers, department, enterprise and talent, and then, for each level, runs the clients for
--duration seconds. Each client is a keep-alive connection sending its next request as soon as the last one
is answered (closed loop, `wrk` with a Lua script per kind of request), split as:

- lists (40%): registry talents (pages, filters) and enterprises, the window queue, the department queue,
  "my applications", API lists of applications and talents — as the officer, department, enterprise or
  talent they belong to;
- details (30%): a talent, an enterprise (pages), an application (API);
- applying (10%): `POST /api/services/applications`, the enterprise for its employees (gold card, housing
  loan, settlement subsidy): the first for each pair creates an application or is refused as ineligible,
  later ones are refused as already open (4xx, the expected answer);
- card checks (20%): `POST /api/cards/verify` with a provider's token (90% valid, 5% revoked, 5% expired,
  plus forged codes).

Per level it prints requests, throughput, p50/p99 overall (merged from each kind's percentiles) and per kind,
responses by class (2xx/3xx/4xx/5xx, 503s with and without Retry-After), connection errors (connect, read,
write, timeout after --timeout s), and the peak number of PostgreSQL connections to the bench database
(pg_stat_activity polled every 0.5 s; this script holds none during the load). Targets from issue 11:
no 5xx other than 503 with Retry-After and no connection errors at 200 clients, at most 20 connections,
list pages p99 < 1 s at 50 clients. Never run by `make test`.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/rencai_bench_load"
SERVE_LOG = REPO / "var" / "bench-load-serve.log"
ACCOUNTS = ["city", "jiangshan", "longyou", "hrss", "tianpeng", "talent"]  # the demo's, signed in over HTTP
KINDS = {"lists": 0.4, "details": 0.3, "apply": 0.1, "cards": 0.2}

sys.path.insert(0, str(Path(__file__).resolve().parent))
import onestop as onestop_bench  # noqa: E402  (bench/onestop.py: free_port, recreate_database, setup_django)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--reuse", action="store_true", help="keep the database and its data")
    parser.add_argument("--talents", type=int, default=10_000, help="demo registry size")
    parser.add_argument("--cards", type=int, default=1000, help="gold cards to check at random")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per level")
    parser.add_argument("--clients", default="10,50,200", help="comma-separated client counts")
    parser.add_argument("--threads", type=int, default=0, help="`rencai serve --threads` (default: its own)")
    parser.add_argument("--timeout", type=int, default=30, help="seconds before a request counts as failed")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args()
    args.levels = [int(n) for n in args.clients.split(",") if n.strip()]
    return args


# --- data ---------------------------------------------------------------------------------------------------


def load_data(args, env: dict) -> None:
    run = [str(BIN / "rencai")]
    began = time.monotonic()
    quiet = {"env": env, "cwd": REPO, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([*run, "demo", "--talents", str(args.talents)], **quiet)
    subprocess.run([*run, "demo_services"], **quiet)
    print(f"demo data: {args.talents:,} talents and the services demo in {time.monotonic() - began:.0f} s")


@dataclass
class Fixture:
    """What the clients ask for: paths with the credentials they need, bodies for the writes."""

    tokens: dict[str, str] = field(default_factory=dict)  # username -> API token
    card_key: str = ""
    card_tokens: list[str] = field(default_factory=list)
    talents: dict[str, list[int]] = field(default_factory=dict)  # region code -> talent ids
    enterprises: list[int] = field(default_factory=list)
    employees: list[int] = field(default_factory=list)  # the demo enterprise's
    applications: list[int] = field(default_factory=list)  # the demo enterprise's


def build_fixture(args) -> Fixture:
    from rencai.accounts.models import ApiToken, User
    from rencai.onestop.models import Application
    from rencai.registry.models import Enterprise, Talent

    fixture = Fixture()
    users = {u.username: u for u in User.objects.filter(username__in=["city", "jiangshan", "tianpeng"])}
    for username, user in users.items():
        fixture.tokens[username] = ApiToken.issue(user, name="bench-load")[1]
    fixture.card_key = ApiToken.issue(User.objects.get(username="provider"), name="bench-load")[1]
    fixture.card_tokens = card_tokens(args.cards)
    for code in ("330881", "330825"):  # Jiangshan, Longyou
        fixture.talents[code] = list(
            Talent.objects.filter(region__code=code).values_list("id", flat=True)[:2000]
        )
    fixture.enterprises = list(Enterprise.objects.values_list("id", flat=True)[:500])
    enterprise = users["tianpeng"].enterprise_id
    fixture.employees = list(
        Talent.objects.filter(current_employer_id=enterprise).values_list("id", flat=True)
    )
    fixture.applications = list(
        Application.objects.filter(enterprise_id=enterprise).values_list("id", flat=True)[:200]
    )
    return fixture


def card_tokens(count: int) -> list[str]:
    """Tokens of `count` gold cards held by demo talents (5% revoked, 5% expired) plus 2% forged ones."""
    import datetime as dt

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from django.utils import timezone

    from rencai.onestop.models import GoldCard
    from rencai.onestop.tokens import CardClaims, card_token, sign_claims
    from rencai.registry.models import Talent

    have = GoldCard.objects.filter(card_number__startswith="LOAD").count()
    if have < count:
        today, now = timezone.localdate(), timezone.now()
        holders = Talent.objects.filter(gold_cards__isnull=True).select_related("region")[: count - have]
        cards = []
        for index, talent in enumerate(holders, start=have):
            revoked, expired = index % 20 == 7, index % 20 == 13
            cards.append(
                GoldCard(
                    card_number=f"LOAD{index:07d}",
                    talent=talent,
                    region=talent.region,
                    tier="C",
                    issued_on=today - dt.timedelta(days=4000 if expired else 30),
                    valid_until=today - dt.timedelta(days=1) if expired else today + dt.timedelta(days=1000),
                    status="revoked" if revoked else "active",
                    revoked_at=now if revoked else None,
                )
            )
        GoldCard.objects.bulk_create(cards, batch_size=2000)
    tokens = [card_token(card) for card in GoldCard.objects.filter(card_number__startswith="LOAD")[:count]]
    forger = Ed25519PrivateKey.generate()
    claims = [
        CardClaims(f"LOAD{i:07d}", "A", dt.date(2026, 1, 1), dt.date(2036, 1, 1)) for i in range(count // 50)
    ]
    return tokens + [sign_claims(c, forger) for c in claims]


# --- sessions -----------------------------------------------------------------------------------------------


def log_in(port: int, username: str) -> str:
    """Sign in through the login form as a browser does, with the demo authenticator's code when the
    account is privileged (second factor); returns the session cookie."""
    from rencai.registry.demo import DEMO_PASSWORD

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"http://127.0.0.1:{port}/accounts/login/"
    form = {"username": username, "password": DEMO_PASSWORD}
    landed = submit(opener, url, form)
    if "/accounts/2fa/" in urllib.parse.urlparse(landed).path:
        from rencai.accounts import two_factor

        landed = submit(opener, landed, {"code": two_factor.demo_code()})
    sessions = [cookie.value for cookie in jar if cookie.name == "sessionid"]
    if not sessions or "/accounts/" in urllib.parse.urlparse(landed).path:
        raise SystemExit(f"could not sign in as {username} (ended on {landed})")
    return sessions[0]


def submit(opener, url: str, fields: dict) -> str:
    """Fill in the form at `url` (its CSRF token included) and post it; returns the URL it ended on."""
    page = opener.open(url, timeout=30).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": csrf}).encode()
    with opener.open(url, data=data, timeout=30) as response:
        return response.geturl()


def enrol_authenticators() -> None:
    """The demo's authenticators for its privileged accounts (`rencai demo` enrols them; a database made
    before the second factor existed has none)."""
    try:
        from rencai.accounts import two_factor
    except ImportError:  # an installation without the second factor
        return
    from rencai.accounts.models import User

    two_factor.enrol_demo_authenticators(User.objects.filter(username__in=ACCOUNTS))


# --- requests -----------------------------------------------------------------------------------------------

Request = tuple[str, str, dict, str]  # method, path, headers, body


def requests_by_kind(fixture: Fixture, sessions: dict[str, str]) -> dict[str, list[Request]]:
    def page(user: str, path: str) -> Request:
        return ("GET", path, {"Cookie": f"sessionid={sessions[user]}"}, "")

    def api(user: str, method: str, path: str, body: str = "") -> Request:
        headers = {"Authorization": f"Bearer {fixture.tokens[user]}"}
        if body:
            headers["Content-Type"] = "application/json"
        return (method, path, headers, body)

    lists = [page("city", f"/registry/talents/?page={n}") for n in range(1, 21)]
    lists += [page("jiangshan", f"/registry/talents/?team={t}") for t in ("professional", "high_skill", "")]
    lists += [page("longyou", f"/registry/talents/?page={n}") for n in range(1, 6)]
    lists += [page("city", "/registry/enterprises/"), page("jiangshan", "/registry/enterprises/?page=2")]
    lists += [page("jiangshan", "/services/window/"), page("hrss", "/services/steps/")]
    lists += [page("tianpeng", "/services/mine/"), page("talent", "/services/mine/")]
    lists += [api("tianpeng", "GET", "/api/services/applications?limit=50")]
    lists += [api("city", "GET", "/api/registry/talents/?limit=50")]
    details = [page("jiangshan", f"/registry/talents/{pk}/") for pk in fixture.talents["330881"][:300]]
    details += [page("longyou", f"/registry/talents/{pk}/") for pk in fixture.talents["330825"][:300]]
    details += [page("city", f"/registry/enterprises/{pk}/") for pk in fixture.enterprises[:200]]
    details += [api("tianpeng", "GET", f"/api/services/applications/{pk}") for pk in fixture.applications]
    applying = [
        api("tianpeng", "POST", "/api/services/applications", json.dumps({"item": item, "talent_id": pk}))
        for pk in fixture.employees
        for item in ("gold_card", "housing_loan", "settlement_subsidy")
    ]
    cards = [
        (
            "POST",
            "/api/cards/verify",
            {"Authorization": f"Bearer {fixture.card_key}"},
            json.dumps({"token": t}),
        )
        for t in fixture.card_tokens
    ]
    return {"lists": lists, "details": details, "apply": applying, "cards": cards}


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def lua_request(method: str, path: str, headers: dict, body: str) -> str:
    pairs = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
    return f"{{{lua_string(method)}, {lua_string(path)}, {{{pairs}}}, {lua_string(body) if body else 'nil'}}}"


# wrk runs one Lua state per thread: the counters are per thread, gathered in done() through thread:get().
# Percentiles are printed on a 0.1% grid so that the kinds' distributions can be merged into one.
WRK_SCRIPT = """
local requests = {
%(requests)s
}
local threads = {}
local seed = %(seed)d
c2, c3, c4, c5, c503, c503ra = 0, 0, 0, 0, 0, 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(seed + os.time())
end

function request()
  local r = requests[math.random(#requests)]
  return wrk.format(r[1], r[2], r[3], r[4])
end

function response(status, headers, body)
  if status >= 500 then
    c5 = c5 + 1
    if status == 503 then
      c503 = c503 + 1
      if headers["Retry-After"] or headers["retry-after"] then c503ra = c503ra + 1 end
    end
  elseif status >= 400 then c4 = c4 + 1
  elseif status >= 300 then c3 = c3 + 1
  else c2 = c2 + 1 end
end

function done(summary, latency, requests)
  local t = {c2 = 0, c3 = 0, c4 = 0, c5 = 0, c503 = 0, c503ra = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(t) do t[name] = t[name] + thread:get(name) end
  end
  local grid = {}
  for i = 1, 1000 do grid[i] = latency:percentile(i / 10) end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"timeout": %%d, "c2": %%d, "c3": %%d, "c4": %%d, "c5": %%d, "c503": %%d, "c503ra": %%d, ' ..
    '"grid_us": [%%s]}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
    t.c2, t.c3, t.c4, t.c5, t.c503, t.c503ra, table.concat(grid, ",")))
end
"""


def write_scripts(kinds: dict[str, list[Request]], directory: Path) -> dict[str, Path]:
    scripts = {}
    for seed, (kind, requests) in enumerate(kinds.items()):
        script = directory / f"{kind}.lua"
        body = ",\n".join(lua_request(*r) for r in requests)
        script.write_text(WRK_SCRIPT % {"requests": body, "seed": 1000 * seed})
        scripts[kind] = script
    return scripts


# --- load ---------------------------------------------------------------------------------------------------


@dataclass
class KindResult:
    kind: str
    clients: int
    figures: dict

    @property
    def requests(self) -> int:
        return self.figures["requests"]

    def percentile(self, p: float) -> float:
        """Milliseconds at percentile p (0-100) from the 0.1% grid."""
        grid = self.figures["grid_us"]
        return grid[min(max(round(p * 10) - 1, 0), len(grid) - 1)] / 1000


def split_clients(total: int) -> dict[str, int]:
    counts = {kind: max(1, round(total * share)) for kind, share in KINDS.items()}
    counts["lists"] += total - sum(counts.values())  # rounding goes to the lists
    return counts


def run_level(port: int, scripts: dict[str, Path], clients: int, duration: int, timeout: int) -> list:
    processes = {}
    for kind, count in split_clients(clients).items():
        command = ["wrk", "-t1", f"-c{count}", f"-d{duration}s", f"--timeout={timeout}s"]
        command += ["-s", str(scripts[kind]), f"http://127.0.0.1:{port}"]
        processes[kind] = (count, subprocess.Popen(command, stdout=subprocess.PIPE, text=True))
    results = []
    for kind, (count, process) in processes.items():
        output, _ = process.communicate()
        line = next((x for x in output.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            raise SystemExit(f"wrk ({kind}) printed no result:\n{output}")
        results.append(KindResult(kind, count, json.loads(line[len("RESULT ") :])))
    return results


def merged_percentile(results: list[KindResult], p: float) -> float:
    """p-th percentile (ms) over all kinds: each kind's 0.1%-grid points weighted by its request count."""
    points = []
    for result in results:
        weight = result.requests / 1000
        points += [(value / 1000, weight) for value in result.figures["grid_us"]]
    points.sort()
    total = sum(weight for _, weight in points)
    running = 0.0
    for value, weight in points:
        running += weight
        if running >= total * p / 100:
            return value
    return points[-1][0] if points else 0.0


class ConnectionWatch:
    """Polls pg_stat_activity every 0.5 s from a connection to another database: the peak of `database`'s."""

    def __init__(self, url: str):
        parsed = urllib.parse.urlparse(url)
        self.database = parsed.path.lstrip("/")
        self.admin = parsed._replace(path="/postgres").geturl()
        self.peak = 0
        self.latest = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def count(self) -> int:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as connection:
            row = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.database]
            ).fetchone()
        return row[0] if row else 0

    def _poll(self) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as connection:
            while not self._stop.wait(0.5):
                row = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.database]
                ).fetchone()
                self.latest = row[0] if row else 0
                self.peak = max(self.peak, self.latest)

    def __enter__(self) -> "ConnectionWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# --- report -------------------------------------------------------------------------------------------------


def report(clients: int, duration: int, results: list[KindResult], peak: int) -> dict:
    total = sum(r.requests for r in results)
    seconds = max(r.figures["duration_us"] for r in results) / 1e6
    sums = {k: sum(r.figures[k] for r in results) for k in ("c2", "c3", "c4", "c5", "c503", "c503ra")}
    errors = {k: sum(r.figures[k] for r in results) for k in ("connect", "read", "write", "timeout")}
    connection_errors = sum(errors.values())
    failed = sums["c5"] - sums["c503ra"] + connection_errors  # 503 with Retry-After is an allowed answer
    split = ", ".join(f"{r.kind} {r.clients}" for r in results)
    print(f"\n{clients} clients ({split}), {duration} s")
    print(f"  requests     {total:,} in {seconds:.1f} s: {total / seconds:,.1f}/s")
    p50, p99 = merged_percentile(results, 50), merged_percentile(results, 99)
    print(f"  latency      all p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
    for r in results:
        rate = r.requests / seconds
        print(
            f"               {r.kind:<8} p50 {r.percentile(50):7.1f} ms   p99 {r.percentile(99):7.1f} ms"
            f"   {r.requests:>7,} ({rate:,.1f}/s)   2xx {r.figures['c2']:,} 4xx {r.figures['c4']:,}"
            f" 5xx {r.figures['c5']:,}"
        )
    print(
        f"  responses    2xx {sums['c2']:,}   3xx {sums['c3']:,}   4xx {sums['c4']:,}   5xx {sums['c5']:,}"
        f" (503 {sums['c503']:,}, of them with Retry-After {sums['c503ra']:,})"
    )
    error_text = ", ".join(f"{k} {v:,}" for k, v in errors.items())
    print(f"  conn. errors {connection_errors:,} ({error_text})")
    print(
        f"  error rate   {100 * failed / max(total + connection_errors, 1):.2f}%  (5xx other than 503 with"
        f" Retry-After, plus connection errors)   503 rate {100 * sums['c503'] / max(total, 1):.2f}%"
    )
    print(f"  PostgreSQL   peak {peak} connections to the bench database")
    lists = next(r for r in results if r.kind == "lists")
    return {"clients": clients, "failed": failed, "peak": peak, "lists_p99": lists.percentile(99)}


def verdicts(summaries: list[dict]) -> None:
    print("\nTargets (issue 11)")
    for s in summaries:
        if s["clients"] >= 200:
            verdict = "PASS" if not s["failed"] else "FAIL"
            print(f"  0 errors at {s['clients']} clients: {s['failed']} -> {verdict}")
        if s["clients"] == 50:
            verdict = "PASS" if s["lists_p99"] < 1000 else "FAIL"
            print(f"  list pages p99 < 1 s at 50 clients: {s['lists_p99']:.0f} ms -> {verdict}")
    peak = max(s["peak"] for s in summaries)
    print(f"  at most 20 database connections: peak {peak} -> {'PASS' if peak <= 20 else 'FAIL'}")


# --- main ---------------------------------------------------------------------------------------------------


def start_serve(args, env: dict, port: int) -> subprocess.Popen:
    command = [str(BIN / "rencai"), "serve", "--port", str(port)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    log = open(SERVE_LOG, "w")  # the server's stderr: refusals logged as warnings, errors
    server = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("rencai serve did not start")


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    env = {
        **os.environ,
        "DATABASE_URL": args.database,
        "DJANGO_SETTINGS_MODULE": "rencai.settings",
        "RENCAI_LOG_LEVEL": "ERROR",
    }
    if not args.reuse:
        onestop_bench.recreate_database(args.database)
    subprocess.run([str(BIN / "rencai"), "migrate", "-v0"], env=env, cwd=REPO, check=True)
    if not args.reuse:
        load_data(args, env)
    onestop_bench.setup_django(env)
    fixture = build_fixture(args)
    enrol_authenticators()
    from django.db import connections

    connections.close_all()  # during the load only `rencai serve` is connected to the bench database
    port = args.port or onestop_bench.free_port()
    server = start_serve(args, env, port)
    summaries = []
    try:
        sessions = {
            u: log_in(port, u) for u in ("city", "jiangshan", "longyou", "hrss", "tianpeng", "talent")
        }
        with tempfile.TemporaryDirectory() as directory:
            scripts = write_scripts(requests_by_kind(fixture, sessions), Path(directory))
            run_level(port, scripts, 8, 5, args.timeout)  # warm-up: workers import, connect, fill caches
            connected = ConnectionWatch(args.database).count
            print(f"rencai serve on port {port} (its log: {SERVE_LOG.relative_to(REPO)})")
            print(f"before the load: {connected()} database connections")
            for clients in args.levels:
                with ConnectionWatch(args.database) as watch:
                    results = run_level(port, scripts, clients, args.duration, args.timeout)
                summaries.append(report(clients, args.duration, results, watch.peak))
                time.sleep(3)
            time.sleep(10)
            print(f"\n10 s after the load: {connected()} database connections")
    finally:
        server.send_signal(signal.SIGTERM)  # the supervisor stops granian and the task worker
        server.wait(timeout=60)
    verdicts(summaries)


if __name__ == "__main__":
    main()
