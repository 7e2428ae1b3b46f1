"""Expert pool and panels (issue 14, point 4): the figures `bench/evaluation.py` prints for this part.

`run(database_url)` builds what it measures in the database it is given (migrated first, left in place for
a second run, which reuses it): a pool of 5,000 experts in one field (with employments, platforms and
declared relations, so that conflicts are really computed), cases at first review, and one expert sitting
on 300 panels. It measures, in process:

- the conflict check of one case against the 5,000 experts (`conflicts_for_case`), target < 50 ms;
- drawing a panel (`panel_draw`: the pool, its conflicts, the shuffle, seats, audit, notifications, the
  state move), target < 100 ms;
- the expert's case list (我的评审任务, `/evaluation/reviews/`) through django.test.Client (routing,
  middleware, session, second factor, view, template), p95 target < 100 ms.

Run alone: `.venv/bin/python bench/_evaluation_panels.py [DATABASE_URL]` (default: PostgreSQL
`rencai_bench_evaluation`, created if missing).
"""

import datetime as dt
import os
import statistics
import sys
import time
from urllib.parse import urlparse

EXPERTS = 5000
DRAWS = 30
ASSIGNED_CASES = 300
LIST_REQUESTS = 100
FIELD = "electronics"
TAG = "BENCHPANEL"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/rencai_bench_evaluation"


def _percentiles(samples_ms: list[float]) -> str:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    worst = max(samples_ms)
    return f"p50 {cuts[49]:7.1f} ms   p95 {cuts[94]:7.1f} ms   max {worst:7.1f} ms   (n={len(samples_ms)})"


def _timed(call) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def _ensure_postgres_database(url: str) -> None:
    parsed = urlparse(url)
    if not parsed.scheme.startswith("postgres"):
        return
    import psycopg

    name = parsed.path.lstrip("/")
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def _setup(database_url: str) -> None:
    """Django on `database_url`, migrated (a caller that set Django up already keeps its own setup)."""
    from django.apps import apps

    if not apps.ready:
        _ensure_postgres_database(database_url)
        os.environ["DATABASE_URL"] = database_url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
        import django

        django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- the data -----------------------------------------------------------------------------------------------


def _world():
    """The city, a published scheme, a round, an officer, an enterprise, a platform (made once)."""
    from django.contrib.auth.hashers import make_password

    from rencai.accounts.models import User
    from rencai.core.regions import ensure_quzhou_regions
    from rencai.evaluation.choices import IndicatorSource, Purpose, SchemeStatus
    from rencai.evaluation.models import Indicator, Round, Scheme, SchemeEvaluator
    from rencai.registry.models import Enterprise, TalentPlatform

    regions = ensure_quzhou_regions()
    city = regions["330800"]
    officer, _ = User.objects.get_or_create(
        username="bench-panel-city",
        defaults={"role": "city_org_dept", "region": city, "password": make_password(None)},
    )
    scheme = Scheme.objects.filter(code="bench-panels").first()
    if scheme is None:
        scheme = Scheme.objects.create(
            code="bench-panels",
            name="基准测试评价方案",
            region=city,
            purpose=Purpose.RECOGNITION,
            effective_from=dt.date(2026, 1, 1),
        )
        for n, (code, weight, rule) in enumerate(
            [("patents", 40, "talent.patents_granted * 25"), ("innovation", 30, ""), ("team", 30, "")]
        ):
            Indicator.objects.create(
                scheme=scheme,
                code=code,
                name=code,
                weight=weight,
                position=n,
                source=IndicatorSource.COMPUTED if rule else IndicatorSource.SCORED,
                rule=rule,
                rubric="" if rule else "0–100",
            )
        for kind, weight in (("government", 40), ("market", 30), ("professional_body", 30)):
            SchemeEvaluator.objects.create(scheme=scheme, kind=kind, weight=weight)
        Scheme.objects.filter(pk=scheme.pk).update(status=SchemeStatus.PUBLISHED)
    today = dt.date.today()
    round_, _ = Round.objects.get_or_create(
        scheme=scheme,
        name="基准测试批次",
        defaults={
            "region": city,
            "year": today.year,
            "state": "reviewing",
            "opens_on": today - dt.timedelta(days=60),
            "applications_due": today - dt.timedelta(days=40),
            "employer_due": today - dt.timedelta(days=30),
            "first_review_due": today - dt.timedelta(days=20),
            "panel_due": today + dt.timedelta(days=30),
            "second_review_due": today + dt.timedelta(days=60),
        },
    )
    enterprise, _ = Enterprise.objects.get_or_create(
        credit_code="91330800MA28F0000M",
        defaults={"name": "基准测试企业", "region": city, "industry": FIELD, "size": "medium"},
    )
    platform, _ = TalentPlatform.objects.get_or_create(
        name="基准测试院士工作站",
        defaults={
            "kind": "academician_station",
            "region": city,
            "location": "本地",
            "host_enterprise": enterprise,
            "established_on": dt.date(2016, 1, 1),
        },
    )
    return city, officer, round_, enterprise, platform


def _talents(city, enterprise, count: int, start: int) -> list:
    from rencai.core.pii import seal_id_number
    from rencai.core.validators import id_check_char
    from rencai.registry.models import Talent

    talents = []
    for n in range(start, start + count):
        first17 = f"330800{dt.date(1970, 1, 1) + dt.timedelta(days=n % 9000):%Y%m%d}{n % 1000:03d}"
        sealed = seal_id_number(first17 + id_check_char(first17))
        talents.append(
            Talent(
                name=f"{TAG}{n}",
                id_number_ciphertext=sealed.ciphertext,
                id_number_index=f"{TAG}-{n}",  # unique and never looked up: the bench's own rows
                id_number_tail_index=sealed.tail_index,
                id_number_masked=sealed.masked,
                birth_date=dt.date(1980, 1, 1),
                gender="male",
                region=city,
                team="professional",
                tier="D",
                current_employer=enterprise if n % 2 else None,
                arrival_date=dt.date(2018, 1, 1),
            )
        )
    return Talent.objects.bulk_create(talents, batch_size=1000)


def _pool(city, enterprise, platform, talents) -> None:
    """5,000 experts with logins; one in 50 worked at the enterprise, one in 50 works with its station,
    one in 100 declared a relation with a candidate."""
    from rencai.accounts.models import User
    from rencai.evaluation.models import (
        DeclaredRelation,
        Expert,
        ExpertEmployment,
        ExpertField,
        ExpertPlatform,
    )

    have = Expert.objects.filter(name__startswith=TAG).count()
    if have >= EXPERTS:
        return
    users = User.objects.bulk_create(
        [
            User(username=f"{TAG.lower()}-expert-{n}", role="reviewer", password="!")
            for n in range(have, EXPERTS)
        ],
        batch_size=1000,
    )
    kinds = ["government", "market", "professional_body"]
    experts = Expert.objects.bulk_create(
        [
            Expert(
                name=f"{TAG}专家{n}",
                region=city,
                evaluator_kind=kinds[n % 3],
                employer_name=f"某大学{n % 40}",
                account=user,
            )
            for n, user in zip(range(have, EXPERTS), users, strict=True)
        ],
        batch_size=1000,
    )
    ExpertField.objects.bulk_create([ExpertField(expert=e, field=FIELD) for e in experts], batch_size=1000)
    ExpertEmployment.objects.bulk_create(
        [
            ExpertEmployment(
                expert=e, enterprise=enterprise, employer_name=enterprise.name, ended_on=dt.date(2024, 6, 30)
            )
            for e in experts[::50]
        ]
    )
    ExpertPlatform.objects.bulk_create([ExpertPlatform(expert=e, platform=platform) for e in experts[25::50]])
    DeclaredRelation.objects.bulk_create(
        [
            DeclaredRelation(expert=e, talent=talents[n % len(talents)], relation="同学")
            for n, e in enumerate(experts[10::100])
        ]
    )


def _cases(round_, talents, state: str) -> list:
    from rencai.evaluation.models import Case

    return Case.objects.bulk_create(
        [
            Case(
                round=round_,
                talent=t,
                enterprise=t.current_employer,
                region=t.region,
                field=FIELD,
                state=state,
                summary="研制新一代特种纸生产线，实现成果转化三项。" * 3,
                computed={"patents": 75},
            )
            for t in talents
        ],
        batch_size=1000,
    )


def _assigned_expert(round_, city, enterprise):
    """One expert sitting (active) on `ASSIGNED_CASES` panels, with their login through the second factor."""
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from rencai.accounts.models import User
    from rencai.evaluation.models import Case, Expert, ExpertField, Panel, Seat

    user, created = User.objects.get_or_create(
        username=f"{TAG.lower()}-busy", defaults={"role": "reviewer", "password": make_password(None)}
    )
    if created:
        expert = Expert.objects.create(
            name=f"{TAG}忙碌专家",
            region=city,
            evaluator_kind="market",
            employer_name="某研究院",
            account=user,
        )
        ExpertField.objects.create(expert=expert, field=FIELD)
        talents = _talents(city, enterprise, ASSIGNED_CASES, start=100_000)
        cases = _cases(round_, talents, "panel")
        panels = Panel.objects.bulk_create(
            [Panel(case=c, field=FIELD, seed="bench", size=5, draw={}) for c in cases]
        )
        others = list(
            Expert.objects.filter(name__startswith=TAG).exclude(pk=expert.pk).values_list("pk", flat=True)[:4]
        )
        Seat.objects.bulk_create(
            [
                Seat(panel=p, expert_id=pk, position=n, role="member", status="active")
                for p in panels
                for n, pk in enumerate([expert.pk, *others], start=1)
            ],
            batch_size=2000,
        )
        assert Case.objects.filter(panel__seats__expert=expert).count() == ASSIGNED_CASES
    TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    return user


def _client_for(user):
    import django_otp
    from django.http import HttpRequest
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    django_otp.login(request, TOTPDevice.objects.filter(user=user).first())
    request.session.save()
    return client


# --- the measurements ---------------------------------------------------------------------------------------


def run(database_url: str) -> list[str]:
    _setup(database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rencai.evaluation.conflicts import conflicts_for_case
    from rencai.evaluation.models import Case
    from rencai.evaluation.services.panels import panel_draw

    city, officer, round_, enterprise, platform = _world()
    candidates = list(
        Case.objects.filter(round=round_, talent__name__startswith=TAG, state="first_passed").select_related(
            "talent", "round"
        )
    )
    if len(candidates) < DRAWS + 1:
        start = 200_000 + Case.objects.filter(round=round_).count()
        talents = _talents(city, enterprise, DRAWS + 1, start=start)
        _pool(city, enterprise, platform, talents)
        candidates = _cases(round_, talents, "first_passed")
    _pool(city, enterprise, platform, [c.talent for c in candidates])
    busy = _assigned_expert(round_, city, enterprise)

    lines = []
    case = Case.objects.select_related("talent", "round").get(pk=candidates[0].pk)
    conflicts_for_case(case)  # warm the connection and the plans
    samples = [_timed(lambda: conflicts_for_case(case)) for _ in range(50)]
    with CaptureQueriesContext(connection) as captured:
        found = conflicts_for_case(case)
    lines.append(
        f"conflict check, 1 case vs {EXPERTS:,} experts   {_percentiles(samples)}   "
        f"{len(captured.captured_queries)} queries, {len(found)} in conflict   (target < 50 ms)"
    )

    samples = []
    for candidate in candidates[1 : DRAWS + 1]:
        fresh = Case.objects.select_related("talent", "round").get(pk=candidate.pk)
        samples.append(_timed(lambda fresh=fresh: panel_draw(actor=officer, case=fresh)))
    lines.append(
        f"panel draw ({EXPERTS:,} experts in the field)   {_percentiles(samples)}   (target < 100 ms)"
    )

    client = _client_for(busy)
    statuses = set()
    samples = []
    for n in range(LIST_REQUESTS + 5):
        began = time.perf_counter()
        response = client.get("/evaluation/reviews/")
        if n >= 5:  # the first requests warm the templates
            samples.append((time.perf_counter() - began) * 1000)
        statuses.add(response.status_code)
    lines.append(
        f"expert's case list ({ASSIGNED_CASES} cases, first page)   {_percentiles(samples)}   "
        f"HTTP {sorted(statuses)}   (target p95 < 100 ms)"
    )
    return lines


if __name__ == "__main__":
    for line in run(
        sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    ):
        print(line)
