"""Issue 11's faults, repeated against `rencai serve` on PostgreSQL: is anything paid twice, any budget
overspent, any 500 answered, and how long until the service is back?

    .venv/bin/python bench/faults.py                    # all; PostgreSQL rencai_bench_faults, recreated
    .venv/bin/python bench/faults.py --only 1,2,3       # chosen scenarios
    .venv/bin/python bench/faults.py --reuse --only 4,6 # the same database again, no demo reload

The database is loaded as `make demo` does (`rencai migrate`, `demo --talents N`, `demo_policies`,
`match`, `demo_services`, `offers`; 2,000 talents by default), then `rencai serve` is started on a free
port with its defaults (granian, 2 workers, the task worker beside it). Scenarios:

 1. 20 identical `POST /api/services/applications` at once for an education voucher by one talent, without
    an Idempotency-Key, then 20 with one key (a fresh talent each time: the demo's are matched already).
 2. The same with the voucher's materials in the body.
 3. An employer's HR user applies directly for `platform_reward` for every talent the matching queued for
    lack of that policy's budget; whatever is submitted is then accepted at the window and approved by
    the departments through the API. Committed money is compared with the budget.
 4. kill -9 of one granian worker while 8 clients load the server (API lists, a talent's page, card
    checks).
 5. kill -9 of the task worker (`rencai db_worker`): time until a new one runs and runs a task.
 6. `pg_terminate_backend` of every connection to the serve's database under the same load.
 7. Two `rencai match` at once (an evaluation date a year ahead, so that there is work), then two
    `rencai offers` at once: exit codes, messages, decisions and applications written once.

Counting: a request "fails" on a connection error or a 5xx answer; recovery is the time from the fault
to the end of the last failed request (0 when none failed). Money is read from the budget ledger
(`policies_budgetaccount`: year 0 is the total budget) when it exists, else summed from entitlements
(offered, granted, flagged) and approved or completed applications. Targets: no duplicate payment, no
overspent budget, no 500, recovery under 5 s; a missed target prints FAIL. Never run by `make test`.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlparse

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.onestop import children_of, free_port, id_number, recreate_database  # noqa: E402

BIN = Path(sys.executable).parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/rencai_bench_faults"
RECOVERY_TARGET = 5.0  # seconds
SCENARIOS = {
    1: "duplicate applications",
    2: "duplicates with materials",
    3: "applications over budget",
    4: "kill -9 web worker",
    5: "kill -9 task worker",
    6: "database drops connections",
    7: "concurrent match / offers",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--reuse", action="store_true", help="keep the database and its data")
    parser.add_argument("--only", default="", help="scenarios to run, e.g. 1,2,5 (default: all)")
    parser.add_argument("--talents", type=int, default=2000, help="size of the demo registry")
    parser.add_argument("--burst", type=int, default=20, help="identical requests at once (1, 2)")
    parser.add_argument("--clients", type=int, default=8, help="load clients during faults (4, 6)")
    parser.add_argument("--seconds", type=float, default=12.0, help="load duration around a fault (4, 6)")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args()
    args.only = sorted({int(n) for n in args.only.split(",") if n.strip()} or SCENARIOS)
    unknown = [n for n in args.only if n not in SCENARIOS]
    if unknown:
        parser.error(f"no scenario {unknown}; choose from {sorted(SCENARIOS)}")
    return args


# --- results ------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Answers to HTTP requests: status codes, connection errors, and when each failure ended."""

    statuses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # connection errors (no answer)
    failed_until: list[float] = field(default_factory=list)  # monotonic end of each failed request
    failures: Counter = field(default_factory=Counter)  # (path, status or error) of each failure
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int | None, ended: float, error: str = "", path: str = "") -> None:
        with self.lock:
            if status is None:
                self.errors.append(error)
                self.failed_until.append(ended)
                self.failures[(path, error)] += 1
            else:
                self.statuses.append(status)
                if status >= 500:
                    self.failed_until.append(ended)
                    self.failures[(path, str(status))] += 1

    def failure_text(self) -> str:
        return ", ".join(f"{path} {what} ×{n}" for (path, what), n in sorted(self.failures.items())) or "none"

    @property
    def requests(self) -> int:
        return len(self.statuses) + len(self.errors)

    def count(self, low: int, high: int) -> int:
        return sum(low <= s < high for s in self.statuses)

    @property
    def five_hundreds(self) -> int:
        """5xx answers other than a 503 (a 503 with Retry-After is the allowed answer under overload)."""
        return sum(s >= 500 and s != 503 for s in self.statuses)

    def recovery(self, fault_at: float) -> float:
        after = [t for t in self.failed_until if t >= fault_at]
        return max(after) - fault_at if after else 0.0


@dataclass
class Row:
    number: int
    tally: Tally | None = None
    rows: str = "—"
    money: str = "—"
    recovery: str = "—"
    checks: list[tuple[str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def check(self, label: str, ok: bool) -> None:
        self.checks.append((label, ok))

    @property
    def verdict(self) -> str:
        if not self.checks:
            return "—"
        return "PASS" if all(ok for _label, ok in self.checks) else "FAIL"


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'#':>2}  {'scenario':<27} {'req':>5} {'2xx':>4} {'4xx':>4} {'5xx':>4} {'503':>4} {'conn':>4}  "
        f"{'rows created':<22} {'committed / budget':<34} {'recovery':>9}  verdict"
    )
    print("\n" + header)
    print("-" * len(header))
    for row in rows:
        t = row.tally
        counts = (
            f"{t.requests:>5} {t.count(200, 300):>4} {t.count(400, 500):>4} {t.count(500, 600):>4} "
            f"{t.count(503, 504):>4} {len(t.errors):>4}"
            if t
            else f"{'—':>5} {'—':>4} {'—':>4} {'—':>4} {'—':>4} {'—':>4}"
        )
        print(
            f"{row.number:>2}  {SCENARIOS[row.number]:<27} {counts}  {row.rows:<22} {row.money:<34} "
            f"{row.recovery:>9}  {row.verdict}"
        )
    print("\nChecks (targets: no duplicate payment, no overspent budget, no 500, recovery < 5 s):")
    for row in rows:
        for label, ok in row.checks:
            print(f"  {row.number}. {'PASS' if ok else 'FAIL'}  {label}")
        for note in row.notes:
            print(f"  {row.number}.       {note}")


# --- HTTP ---------------------------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection with a bearer token or a session cookie; reconnects after an error."""

    def __init__(self, port: int, token: str = "", timeout: float = 15.0):
        self.port, self.token, self.timeout = port, token, timeout
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body=None, headers: dict | None = None) -> tuple[int, bytes]:
        """(status, body); raises OSError or http.client.HTTPException when no answer came."""
        sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if isinstance(body, dict | list):
            body = json.dumps(body)
            sent["Content-Type"] = "application/json"
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.connection.request(method, path, body=body, headers=sent)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, data

    def timed(
        self, tally: Tally, method: str, path: str, body=None, headers: dict | None = None
    ) -> int | None:
        where = f"{method} {path.split('?')[0]}"
        try:
            status, _data = self.request(method, path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            tally.add(None, time.monotonic(), type(error).__name__, where)
            return None
        tally.add(status, time.monotonic(), path=where)
        return status

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def log_in(self, username: str, password: str) -> None:
        """A browser's login: the form's CSRF token, then the session cookie."""
        import re

        _status, page = self.request("GET", "/accounts/login/")
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": csrf})
        status, _ = self.request(
            "POST", "/accounts/login/", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"could not log in as {username} (HTTP {status})")


def burst(port: int, token: str, count: int, path: str, body: dict, headers: dict | None = None) -> Tally:
    """`count` identical requests released together, each on its own connection."""
    tally = Tally()
    barrier = threading.Barrier(count)

    def one() -> None:
        client = Client(port, token)
        client.request("GET", "/api/services/items")  # connect and authenticate before the start line
        barrier.wait()
        client.timed(tally, "POST", path, body, headers)
        client.close()

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


# --- setting up ---------------------------------------------------------------------------------------------


def rencai(*arguments: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "rencai"), *arguments], env=env, cwd=REPO, capture_output=True, text=True, check=check
    )


def load_demo(args, env: dict) -> None:
    """As `make demo` does; a failing step is reported and the next ones still run."""
    steps = [
        ("migrate", "--verbosity", "0"),
        ("demo", "--talents", str(args.talents)),
        ("demo_policies",),
        ("match",),
        ("demo_services",),
        ("offers",),
    ]
    for step in steps:
        began = time.monotonic()
        done = rencai(*step, env=env, check=False)
        took = time.monotonic() - began
        outcome = "ok" if done.returncode == 0 else f"FAILED (exit {done.returncode})"
        print(f"  rencai {' '.join(step):<32} {took:6.1f} s  {outcome}")
        if done.returncode:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:]
            print(f"      {last[0] if last else ''}")
            if step[0] == "migrate":
                raise SystemExit("migrations failed")
        if step[0] == "demo_services":
            ensure_catalogue()  # `offers` needs the service items


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
    import django

    django.setup()


def ensure_catalogue() -> None:
    """The service items and department accounts `demo_services` makes, in case it failed above."""
    from rencai.onestop.demo import create_department_accounts, load_catalogue
    from rencai.onestop.models import ServiceItem
    from rencai.registry.demo import DEMO_PASSWORD

    if not ServiceItem.objects.filter(code="education_voucher").exists():
        load_catalogue()
        create_department_accounts(DEMO_PASSWORD)
        print("  (catalogue and department accounts loaded by the bench: `rencai demo_services` failed)")


def token_for(username: str, **defaults) -> str:
    """An API token of the user `username` (created with `defaults` if missing)."""
    from rencai.accounts.models import ApiToken, User

    user, _ = User.objects.get_or_create(username=username, defaults=defaults)
    return ApiToken.issue(user, name="bench-faults")[1]


def fresh_talent(label: str, tier: str = "B") -> tuple[object, str]:
    """A new Jiangshan talent with an account, unknown to the matching run (so nothing was offered yet)."""
    from rencai.accounts.models import ApiToken, User
    from rencai.core.pii import seal_id_number, seal_phone
    from rencai.core.regions import ensure_quzhou_regions
    from rencai.registry.models import Talent

    county = ensure_quzhou_regions()["330881"]
    serial = 900_000 + Talent.objects.count()
    sealed, phone = seal_id_number(id_number(serial)), seal_phone("13800001234")
    user = User.objects.create(username=f"bench_{label}_{serial}", role="talent", region=county)
    talent = Talent.objects.create(
        name=f"故障{label}",
        id_number_ciphertext=sealed.ciphertext,
        id_number_index=sealed.index,
        id_number_masked=sealed.masked,
        phone_ciphertext=phone.ciphertext,
        phone_masked=phone.masked,
        birth_date=dt.date(1985, 5, 1),
        gender="female",
        region=county,
        team="professional",
        tier=tier,
        highest_degree="doctor",
        arrival_date=dt.date(2020, 1, 1),
        account=user,
    )
    return talent, ApiToken.issue(user, name="bench-faults")[1]


def start_serve(port: int, env: dict, log: Path) -> subprocess.Popen:
    handle = log.open("w")
    serve = subprocess.Popen(
        [str(BIN / "rencai"), "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _ = Client(port).request("GET", "/accounts/login/")
            if status == 200:
                return serve
        except (OSError, http.client.HTTPException):
            pass
        if serve.poll() is not None:
            break
        time.sleep(0.3)
    os.killpg(serve.pid, signal.SIGKILL)
    raise SystemExit(f"rencai serve did not start; see {log}")


def stop_serve(serve: subprocess.Popen) -> None:
    try:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(serve.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def descendants(pid: int) -> list[int]:
    found = []
    for child in children_of(pid):
        found += [child, *descendants(child)]
    return found


def web_workers(serve_pid: int) -> list[int]:
    """granian's worker processes: the children of the granian process under `rencai serve`."""
    granian = [p for p in children_of(serve_pid) if "granian" in command_line(p)]
    return [
        worker
        for parent in granian
        for worker in children_of(parent)
        if "resource_tracker" not in command_line(worker)
    ]


def task_workers(serve_pid: int) -> list[int]:
    return [p for p in descendants(serve_pid) if "db_worker" in command_line(p)]


# --- money --------------------------------------------------------------------------------------------------


def has_ledger() -> bool:
    from django.db import connection

    return "policies_budgetaccount" in connection.introspection.table_names()


@dataclass
class Money:
    committed: Decimal  # this year's account (or the whole policy's when it has no yearly budget)
    limit: Decimal | None
    committed_total: Decimal
    limit_total: Decimal | None
    source: str

    @property
    def overspent(self) -> bool:
        return any(
            limit is not None and committed > limit
            for committed, limit in ((self.committed, self.limit), (self.committed_total, self.limit_total))
        )

    def text(self, before: "Money | None" = None) -> str:
        delta = f" (+{yuan(self.committed - before.committed)})" if before is not None else ""
        return f"{yuan(self.committed)} / {yuan(self.limit)}{delta}"


def yuan(amount: Decimal | None) -> str:
    return "∞" if amount is None else f"{amount:,.0f}"


def money_of(policy_code: str) -> Money:
    from django.db.models import Sum
    from django.utils import timezone

    from rencai.policies.models import Policy

    policy = Policy.objects.get(code=policy_code)
    year = timezone.localdate().year
    if has_ledger():
        from rencai.policies.models import BudgetAccount

        accounts = {a.year: a for a in BudgetAccount.objects.filter(policy=policy, year__in=[0, year])}
        total = accounts.get(0)
        yearly = accounts.get(year)
        zero = Decimal(0)
        return Money(
            committed=yearly.committed if yearly else zero,
            limit=yearly.limit if yearly and yearly.limit is not None else policy.budget_per_year,
            committed_total=total.committed if total else zero,
            limit_total=total.limit if total else policy.budget_total,
            source="ledger",
        )
    from rencai.onestop.models import Application
    from rencai.policies.models import Entitlement

    entitled = Entitlement.objects.filter(policy=policy, status__in=["offered", "granted", "flagged"])
    approved = Application.objects.filter(item__policy=policy, state__in=["approved", "completed"])
    committed = (entitled.aggregate(s=Sum("amount"))["s"] or Decimal(0)) + (
        approved.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    )
    return Money(
        committed=committed,
        limit=policy.budget_per_year or policy.budget_total,
        committed_total=committed,
        limit_total=policy.budget_total,
        source="entitlements + approved applications (no ledger tables)",
    )


def overspent_accounts() -> int | None:
    """Ledger accounts whose committed amount exceeds their limit (None without a ledger)."""
    if not has_ledger():
        return None
    from django.db.models import F

    from rencai.policies.models import BudgetAccount

    return BudgetAccount.objects.filter(limit__isnull=False, committed__gt=F("limit")).count()


def held_reservations(talent_ids: list[int], policy_code: str) -> int | None:
    if not has_ledger():
        return None
    from rencai.policies.models import Reservation

    return Reservation.objects.filter(
        talent_id__in=talent_ids, policy__code=policy_code, status="held"
    ).count()


# --- scenarios 1 and 2: the same application twenty times at once ------------------------------------------

VOUCHER_MATERIALS = [
    {"type": "id_copy", "reference": "电子证照 身份证"},
    {"type": "talent_certificate", "reference": "衢人才认〔2020〕B-0001"},
    {"type": "child_household", "reference": "户口簿 江山市"},
]


def duplicates(args, port: int, number: int, with_materials: bool) -> Row:
    from rencai.onestop.models import Application, Material

    row = Row(number)
    before = money_of("education-voucher")
    tally, created, talents = Tally(), [], []
    for keyed in (False, True):
        talent, token = fresh_talent(f"s{number}{'k' if keyed else 'n'}")
        talents.append(talent.pk)
        body = {"item": "education_voucher", "form_data": {"child_name": "王小明"}}
        if with_materials:
            body["materials"] = VOUCHER_MATERIALS
        headers = {"Idempotency-Key": f"bench-faults-{number}-{talent.pk}"} if keyed else None
        one = burst(port, token, args.burst, "/api/services/applications", body, headers)
        merge(tally, one)
        made = Application.objects.filter(talent=talent, item__code="education_voucher").count()
        created.append(made)
        label = "with an Idempotency-Key" if keyed else "without a key"
        row.check(f"{args.burst} at once {label}: {made} application(s) created (target 1)", made == 1)
        if with_materials:
            current = Material.objects.filter(talent=talent, is_current=True).count()
            row.check(
                f"{label}: {current} current materials for {len(VOUCHER_MATERIALS)} types (one per type)",
                current == len(VOUCHER_MATERIALS),
            )
        codes = sorted(set(one.statuses))
        row.notes.append(f"{label}: answers {codes}, connection errors {len(one.errors)}")
    after = money_of("education-voucher")
    held = held_reservations(talents, "education-voucher")
    row.tally = tally
    row.rows = f"{created[0]} (no key), {created[1]} (key)"
    row.money = after.text(before)
    row.check(f"no 500 ({tally.five_hundreds} answered)", tally.five_hundreds == 0)
    if held is not None:
        row.check(f"{held} reservation(s) held for the 2 talents (target 2: one each)", held == 2)
    row.check("budget not overspent", not after.overspent)
    row.notes.append(f"money from: {after.source}")
    return row


def merge(into: Tally, other: Tally) -> None:
    into.statuses += other.statuses
    into.errors += other.errors
    into.failed_until += other.failed_until
    into.failures.update(other.failures)


# --- scenario 3: direct applications against an exhausted budget --------------------------------------------


def over_budget(port: int) -> Row:
    from rencai.onestop.models import Application, StepTask
    from rencai.policies.models import Entitlement
    from rencai.registry.models import Employment

    row = Row(3)
    policy = "platform-enterprise-reward"
    before = money_of(policy)
    remaining = None if before.limit is None else before.limit - before.committed
    row.notes.append(
        f"{policy} before: committed {yuan(before.committed)} of this year's {yuan(before.limit)} "
        f"(total {yuan(before.committed_total)} of {yuan(before.limit_total)}); left {yuan(remaining)}"
    )
    queued = list(
        Entitlement.objects.filter(policy__code=policy, status="queued").values_list("talent_id", flat=True)
    )
    employers = dict(
        Employment.objects.filter(talent_id__in=queued, ended_on__isnull=True, enterprise__isnull=False)
        .order_by("started_on")
        .values_list("talent_id", "enterprise_id")
    )
    tally, tokens = Tally(), {}
    last_id = Application.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for talent_id, enterprise_id in employers.items():
        if enterprise_id not in tokens:
            tokens[enterprise_id] = hr_token(enterprise_id)
        client = Client(port, tokens[enterprise_id])
        body = {
            "item": "platform_reward",
            "talent_id": talent_id,
            "materials": [
                {"type": "recruitment_evidence", "reference": "引才成效证明"},
                {"type": "employment_contract", "reference": "劳动合同"},
            ],
        }
        client.timed(tally, "POST", "/api/services/applications", body)
        client.close()
    submitted = list(Application.objects.filter(pk__gt=last_id, item__code="platform_reward").order_by("id"))
    approve_through_the_api(port, submitted, tally)
    approved = Application.objects.filter(
        pk__in=[a.pk for a in submitted], state__in=["approved", "completed"]
    )
    paid = sum((a.amount or Decimal(0) for a in approved), Decimal(0))
    after = money_of(policy)
    row.tally = tally
    row.rows = f"{len(submitted)} submitted, {approved.count()} approved"
    row.money = after.text(before)
    pending = StepTask.objects.filter(application__in=submitted, state="pending").count()
    row.notes.append(
        f"{len(employers)} queued talents applied for by {len(tokens)} employers' HR users; "
        f"{paid:,.0f} yuan approved; steps still pending {pending}; answers {sorted(set(tally.statuses))}"
    )
    row.check(
        f"this year: committed {yuan(after.committed)} ≤ budget {yuan(after.limit)}; "
        f"total {yuan(after.committed_total)} ≤ {yuan(after.limit_total)}",
        not after.overspent,
    )
    if remaining is not None:
        left = max(remaining, Decimal(0))
        row.check(f"approved {paid:,.0f} ≤ what was left {left:,.0f}", paid <= left)
    over = overspent_accounts()
    if over is not None:
        row.check(f"ledger accounts over their limit: {over}", over == 0)
    row.check(f"no 500 ({tally.five_hundreds} answered)", tally.five_hundreds == 0)
    row.notes.append(f"money from: {after.source}")
    return row


def hr_token(enterprise_id: int) -> str:
    """The demo HR account of the enterprise (`tianpeng`), or a bench one for the others."""
    from rencai.accounts.models import User
    from rencai.registry.models import Enterprise

    existing = User.objects.filter(role="enterprise", enterprise_id=enterprise_id).order_by("id").first()
    if existing is not None:
        return token_for(existing.username)
    enterprise = Enterprise.objects.get(pk=enterprise_id)
    return token_for(
        f"bench_hr_{enterprise_id}", role="enterprise", enterprise=enterprise, region=enterprise.region
    )


def approve_through_the_api(port: int, applications: list, tally: Tally) -> None:
    """The window (the city's one-stop officer) accepts, each step's department approves, group by group."""
    from rencai.onestop.models import StepTask

    window = Client(port, token_for("city"))
    for application in applications:
        window.timed(tally, "POST", f"/api/services/applications/{application.pk}/accept", {"comment": ""})
    ids = [a.pk for a in applications]
    for _round in range(6):  # groups open one after another
        pending = list(
            StepTask.objects.filter(application_id__in=ids, state="pending").select_related("department")
        )
        if not pending:
            return
        for task in pending:
            client = Client(port, department_token(task.department))
            client.timed(tally, "POST", f"/api/services/steps/{task.pk}/decide", {"approve": True})
            client.close()


_department_tokens: dict[int, str] = {}


def department_token(department) -> str:
    if department.pk not in _department_tokens:
        from rencai.accounts.models import User

        user = User.objects.filter(role="department", department=department, is_active=True).first()
        username = user.username if user else f"bench_dept_{department.pk}"
        _department_tokens[department.pk] = token_for(
            username, role="department", department=department, region=department.region
        )
    return _department_tokens[department.pk]


# --- scenarios 4 and 6: a fault under load ------------------------------------------------------------------


@dataclass
class Load:
    """What the load clients send: API lists, the talent's own page (session), card checks."""

    port: int
    talent_token: str
    department_token: str
    provider_token: str
    card_tokens: list[str]

    def run(self, clients: int, seconds: float, fault, fault_after: float) -> tuple[Tally, float, object]:
        """Load for `seconds`; `fault()` is called after `fault_after` s. Returns the tally, the monotonic
        time of the fault and what `fault` returned."""
        from rencai.registry.demo import DEMO_PASSWORD

        tally = Tally()
        stop = threading.Event()
        sessions = []
        for _ in range(clients):
            page = Client(self.port)
            page.log_in("talent", DEMO_PASSWORD)
            sessions.append(page)

        def client(index: int) -> None:
            api_talent = Client(self.port, self.talent_token)
            api_department = Client(self.port, self.department_token)
            provider = Client(self.port, self.provider_token)
            page = sessions[index]
            turn = index
            while not stop.is_set():
                turn += 1
                kind = turn % 4
                if kind == 0:
                    api_talent.timed(tally, "GET", "/api/services/applications?limit=20")
                elif kind == 1:
                    api_department.timed(tally, "GET", "/api/services/steps?limit=20")
                elif kind == 2:
                    card = self.card_tokens[turn % len(self.card_tokens)]
                    provider.timed(tally, "POST", "/api/cards/verify", {"token": card})
                else:
                    page.timed(tally, "GET", "/services/mine/")

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(fault_after)
        fault_at = time.monotonic()
        outcome = fault()
        time.sleep(max(seconds - (time.monotonic() - began), 0))
        stop.set()
        for thread in threads:
            thread.join()
        return tally, fault_at, outcome


def load_fixture(port: int) -> Load:
    from rencai.onestop.models import GoldCard
    from rencai.onestop.tokens import card_token

    cards = [card_token(c) for c in GoldCard.objects.filter(status="active").order_by("id")[:200]]
    if not cards:  # the demo issues cards through `offers`; should that have failed, bench/onestop's
        from bench.onestop import card_fixture

        print("  (no gold cards from the demo: 200 made as bench/onestop.py does)")
        cards = card_fixture(200)[1]
    return Load(port, token_for("talent"), token_for("hrss"), token_for("provider"), cards)


def kill_web_worker(args, serve: subprocess.Popen, load: Load) -> Row:
    row = Row(4)
    workers_before = web_workers(serve.pid)
    if not workers_before:
        row.notes.append(f"no granian workers found under rencai serve (pid {serve.pid})")
        row.check("a web worker to kill", False)
        return row
    victim = workers_before[0]

    def fault() -> int:
        os.kill(victim, signal.SIGKILL)
        return victim

    tally, fault_at, _ = load.run(args.clients, args.seconds, fault, fault_after=args.seconds / 4)
    recovery = tally.recovery(fault_at)
    workers_after = web_workers(serve.pid)
    row.tally = tally
    row.recovery = f"{recovery:.2f} s"
    failed = len(tally.errors) + tally.count(500, 600)
    row.notes.append(
        f"killed worker {victim} of {workers_before}; workers now {workers_after}; "
        f"{failed} of {tally.requests} requests failed"
    )
    row.notes.append(f"failures: {tally.failure_text()}")
    row.check(f"recovery {recovery:.2f} s < {RECOVERY_TARGET:.0f} s", recovery < RECOVERY_TARGET)
    row.check(f"no 500 ({tally.five_hundreds} answered)", tally.five_hundreds == 0)
    row.check(f"server still answers ({len(workers_after)} workers)", serves(load.port))
    return row


def serves(port: int) -> bool:
    try:
        return Client(port).request("GET", "/accounts/login/")[0] == 200
    except (OSError, http.client.HTTPException):
        return False


def drop_connections(args, load: Load) -> Row:
    import psycopg
    from django.db import connections

    row = Row(6)
    database = urlparse(args.database)
    admin = database._replace(path="/postgres").geturl()
    name = database.path.lstrip("/")
    connections.close_all()  # the bench's own connection would be dropped too

    def fault() -> int:
        with psycopg.connect(admin, autocommit=True) as connection:
            return connection.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            ).fetchone()[0]

    tally, fault_at, terminated = load.run(args.clients, args.seconds, fault, fault_after=args.seconds / 4)
    recovery = tally.recovery(fault_at)
    row.tally = tally
    row.recovery = f"{recovery:.2f} s"
    row.notes.append(f"{terminated} backends terminated; answers {sorted(set(tally.statuses))}")
    row.notes.append(f"failures: {tally.failure_text()}")
    row.check(f"no 500 ({tally.five_hundreds} answered; 503 allowed)", tally.five_hundreds == 0)
    row.check(f"recovery {recovery:.2f} s < {RECOVERY_TARGET:.0f} s", recovery < RECOVERY_TARGET)
    return row


# --- scenario 5: the task worker ----------------------------------------------------------------------------


def kill_task_worker(serve: subprocess.Popen) -> Row:
    from django_tasks_db.models import DBTaskResult

    from rencai.core.notifications import deliver_notification

    row = Row(5)
    before = task_workers(serve.pid)
    if not before:
        row.notes.append("no db_worker process under rencai serve")
        row.check("a task worker to kill", False)
        return row
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    probe = deliver_notification.enqueue(0, [])  # does nothing (no such notification), but must be run
    respawned = ran = None
    while time.monotonic() - killed_at < 60 and (respawned is None or ran is None):
        if respawned is None and [p for p in task_workers(serve.pid) if p != victim]:
            respawned = time.monotonic() - killed_at
        if ran is None and DBTaskResult.objects.filter(pk=probe.id, status="SUCCESSFUL").exists():
            ran = time.monotonic() - killed_at
        time.sleep(0.05)
    row.recovery = f"{respawned:.2f} s" if respawned is not None else "never"
    row.notes.append(
        f"killed db_worker {victim}; new worker after {row.recovery}; "
        f"a task enqueued at the kill ran after {f'{ran:.2f} s' if ran is not None else 'never (60 s)'}"
    )
    row.check(
        f"new task worker within {RECOVERY_TARGET:.0f} s ({row.recovery})",
        respawned is not None and respawned < RECOVERY_TARGET,
    )
    row.check("a task enqueued after the kill is run", ran is not None)
    return row


# --- scenario 7: two runs at once ---------------------------------------------------------------------------


def concurrent_runs(env: dict) -> Row:
    from django.db.models import Count
    from django.utils import timezone

    from rencai.onestop.models import Application
    from rencai.policies.models import Decision, MatchRun

    row = Row(7)
    ahead = (timezone.localdate() + dt.timedelta(days=365)).isoformat()  # a later date: decisions to make
    last_run = MatchRun.objects.order_by("-id").values_list("id", flat=True).first() or 0
    last_application = Application.objects.order_by("-id").values_list("id", flat=True).first() or 0
    matches = twice(["match", "--date", ahead], env)
    runs = list(MatchRun.objects.filter(pk__gt=last_run).values_list("id", flat=True))
    decisions = Decision.objects.filter(run_id__in=runs)
    twins = (
        decisions.values("talent_id", "policy_version_id", "outcome")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    offers = twice(["offers"], env)
    made = Application.objects.filter(pk__gt=last_application)
    open_twins = (
        Application.objects.exclude(state__in=["rejected", "withdrawn", "completed", "approved"])
        .values("talent_id", "item_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    row.rows = f"{decisions.count()} decisions, {made.count()} applications"
    for label, results in (("match", matches), ("offers", offers)):
        codes = [r.returncode for r in results]
        row.notes.append(f"two `rencai {label}` at once: exit codes {codes}")
        for result in results:
            said = (result.stderr.strip() or result.stdout.strip()).splitlines()
            row.notes.append(f"    exit {result.returncode}: {' / '.join(said[-2:])[:160]}")
        raw = [r for r in results if any(word in r.stderr for word in RAW_ERRORS)]
        row.check(f"`rencai {label}` twice: no traceback, no raw database error", not raw)
        row.check(f"`rencai {label}` twice: at least one run succeeded", 0 in codes)
    row.check(f"decisions logged once ({twins} talent/version/outcome logged twice)", twins == 0)
    row.check(f"no talent with two open applications for one item ({open_twins})", open_twins == 0)
    over = overspent_accounts()
    if over is not None:
        row.check(f"ledger accounts over their limit: {over}", over == 0)
    row.money = "—" if over is None else f"{over} accounts over limit"
    return row


RAW_ERRORS = ("Traceback", "IntegrityError", "UniqueViolation", "OperationalError", "ProgrammingError")


def twice(arguments: list[str], env: dict) -> list[subprocess.CompletedProcess]:
    """The same `rencai` command twice, started together."""
    processes = [
        subprocess.Popen(
            [str(BIN / "rencai"), *arguments],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


# --- main ---------------------------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    env = {**os.environ, "DATABASE_URL": args.database, "DJANGO_SETTINGS_MODULE": "rencai.settings"}
    print(f"bench/faults.py: scenarios {args.only} on {args.database}")
    if not args.reuse:
        recreate_database(args.database)
    setup_django(env)
    if args.reuse:
        rencai("migrate", "--verbosity", "0", env=env)  # the code may have moved on since the data was made
    else:
        load_demo(args, env)
    ensure_catalogue()
    rows: list[Row] = []
    needs_server = [n for n in args.only if n <= 6]
    serve = None
    log = Path(tempfile.gettempdir()) / f"rencai-faults-serve-{os.getpid()}.log"
    try:
        if needs_server:
            port = args.port or free_port()
            serve = start_serve(port, env, log)
            print(f"  rencai serve on port {port} (pid {serve.pid}; log {log})")
            load = load_fixture(port)
        for number in args.only:
            print(f"  scenario {number}: {SCENARIOS[number]} …", flush=True)
            if number in (1, 2):
                rows.append(duplicates(args, port, number, with_materials=number == 2))
            elif number == 3:
                rows.append(over_budget(port))
            elif number == 4:
                rows.append(kill_web_worker(args, serve, load))
            elif number == 5:
                rows.append(kill_task_worker(serve))
            elif number == 6:
                rows.append(drop_connections(args, load))
            elif number == 7:
                if serve is not None:  # the runs must not compete with the server for the two cores
                    stop_serve(serve)
                    serve = None
                rows.append(concurrent_runs(env))
            if serve is not None and not serves(port):
                print("  the server stopped answering; starting it again for the next scenario")
                stop_serve(serve)
                serve = start_serve(port, env, log)
    finally:
        if serve is not None:
            stop_serve(serve)
    print_table(rows)


if __name__ == "__main__":
    main()
