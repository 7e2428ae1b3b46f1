"""Settling recruitment rewards (issue 15, point 6): the figures `bench/recruitment.py` prints for this part.

`run(database_url)` builds, in the database it is given (migrated first; on PostgreSQL the default bench
database is dropped and recreated so each run starts clean), 100,000 confirmed placements: 70,000 direct
arrivals at 1,000 platform enterprises (the platform-enterprise reward, capped at 1,000,000 per enterprise
and year, so most enterprises reach the cap) and 30,000 arrivals referred by 100 agencies (the agency
reward by tier and the yearly bonus for three or more). Then it times two `rewards_settle` runs: the first
creates the rewards, their instalments, cap commitments and ledger reservations (target < 10 s), the
second must create nothing (idempotent). It prints what was created and refused, and checks that
`ledger.discrepancies()` is empty and that no cap is passed.

Run alone: `.venv/bin/python bench/_recruitment_rewards.py [DATABASE_URL]` (default: PostgreSQL
`rencai_bench_rewards`, dropped and recreated).
"""

import datetime as dt
import os
import sys
import time
from decimal import Decimal
from urllib.parse import urlparse

PLACEMENTS = 100_000
PLATFORMS = 1000
AGENCIES = 100
REFERRED = 30_000
TODAY = dt.date(2026, 12, 7)
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/rencai_bench_rewards"
TIERS = ["A"] * 1 + ["B"] * 4 + ["C"] * 15 + ["D"] * 60 + ["E"] * 20  # per hundred


def _fresh_postgres_database(url: str) -> None:
    parsed = urlparse(url)
    if not parsed.scheme.startswith("postgres"):
        return
    import psycopg

    name = parsed.path.lstrip("/")
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def _setup(database_url: str) -> None:
    from django.apps import apps

    if not apps.ready:
        _fresh_postgres_database(database_url)
        os.environ["DATABASE_URL"] = database_url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
        import django

        django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _build() -> tuple:
    """The world: schemes and policies, enterprises, agencies, talents and their placements (in bulk)."""
    from django.db import transaction
    from django.utils import timezone

    from rencai.accounts.models import User
    from rencai.core.regions import ensure_quzhou_regions
    from rencai.policies.models import Policy
    from rencai.recruitment.models import Agency, Candidate, Demand, Placement, Referral, RewardScheme
    from rencai.registry.models import Enterprise, Talent

    regions = ensure_quzhou_regions()
    city, county = regions["330800"], regions["330881"]
    officer = User.objects.create(username="bench-city", role="city_org_dept", region=city, password="!")
    with transaction.atomic():
        funds = {
            code: Policy.objects.create(
                code=code, name=code, region=city, kind="reward", budget_total=Decimal("5000000000")
            )
            for code in ("bench-platform-fund", "bench-agency-fund", "bench-bonus-fund")
        }
        common = {"region": city, "effective_from": dt.date(2026, 1, 1), "months_required": 12}
        RewardScheme.objects.create(
            code="bench-platform",
            name="平台型企业引才重奖",
            purpose="platform_enterprise",
            policy=funds["bench-platform-fund"],
            amounts={"A": "600000", "B": "300000", "C": "100000", "D": "20000", "E": "5000"},
            cap_per_enterprise_year=Decimal("1000000"),
            stages=[[50, 0], [50, 12]],
            **common,
        )
        RewardScheme.objects.create(
            code="bench-agency",
            name="中介引才奖励",
            purpose="agency_placement",
            policy=funds["bench-agency-fund"],
            amounts={"A": "200000", "B": "100000", "C": "50000", "D": "20000", "E": "5000"},
            stages=[[50, 0], [50, 12]],
            **common,
        )
        RewardScheme.objects.create(
            code="bench-bonus",
            name="中介年度加奖",
            purpose="agency_bonus",
            policy=funds["bench-bonus-fund"],
            bonus_threshold=3,
            bonus_amount=Decimal("50000"),
            stages=[[100, 0]],
            **common,
        )
        code = iter(range(10**6, 10**7))

        def credit() -> str:
            return f"91330881MA{next(code):07d}X"[:18]

        platforms = Enterprise.objects.bulk_create(
            Enterprise(
                credit_code=credit(),
                name=f"平台{i}",
                region=county,
                industry="manufacturing",
                size="large",
                is_platform_enterprise=True,
            )
            for i in range(PLATFORMS)
        )
        hirers = Enterprise.objects.bulk_create(
            Enterprise(
                credit_code=credit(),
                name=f"用人单位{i}",
                region=county,
                industry="manufacturing",
                size="medium",
            )
            for i in range(AGENCIES)
        )
        agencies = Agency.objects.bulk_create(
            Agency(
                name=f"猎头{i}",
                credit_code=credit(),
                region=city,
                contract_starts=dt.date(2026, 1, 1),
                contract_ends=dt.date(2026, 12, 31),
            )
            for i in range(AGENCIES)
        )
        demands = Demand.objects.bulk_create(
            Demand(
                enterprise=e,
                region=county,
                title="工程师",
                team="professional",
                field="electronics",
                headcount=500,
                salary_min=100000,
                salary_max=200000,
                state="published",
                expires_on=dt.date(2027, 6, 30),
            )
            for e in hirers
        )
        talents = Talent.objects.bulk_create(
            (
                Talent(
                    name=f"人才{i}",
                    id_number_ciphertext="x",
                    id_number_index=f"bench-rw-{i}",
                    id_number_masked="3308**********0000",
                    birth_date=dt.date(1985, 1, 1),
                    gender="male",
                    region=county,
                    team="professional",
                    tier=TIERS[i % 100],
                    arrival_date=dt.date(2026, 1, 1),
                    current_employer=platforms[i % PLATFORMS]
                    if i < PLACEMENTS - REFERRED
                    else hirers[i % AGENCIES],
                )
                for i in range(PLACEMENTS)
            ),
            batch_size=5000,
        )
        referred = talents[PLACEMENTS - REFERRED :]
        candidates = Candidate.objects.bulk_create(
            (
                Candidate(
                    name=t.name,
                    id_number_ciphertext="x",
                    id_number_index=t.id_number_index,
                    id_number_masked="3308**********0000",
                    region=county,
                )
                for t in referred
            ),
            batch_size=5000,
        )
        now = timezone.now()
        referrals = Referral.objects.bulk_create(
            (
                Referral(
                    agency=agencies[i % AGENCIES],
                    demand=demands[i % AGENCIES],
                    enterprise=hirers[i % AGENCIES],
                    region_id=demands[i % AGENCIES].region_id,
                    candidate=c,
                    person_index=c.id_number_index,
                    consent_at=now,
                    consent_statement="同意",
                    state="placed",
                )
                for i, c in enumerate(candidates)
            ),
            batch_size=5000,
        )
        by_talent = {t.pk: r for t, r in zip(referred, referrals, strict=True)}
        Placement.objects.bulk_create(
            (
                Placement(
                    talent=t,
                    enterprise_id=t.current_employer_id,
                    region=county,
                    channel="referral" if t.pk in by_talent else "direct",
                    referral=by_talent.get(t.pk),
                    arrived_on=dt.date(2026, 1 + i % 11, 1 + i % 28),
                    confirmed_on=TODAY,
                    state="confirmed",
                    tier=t.tier,
                )
                for i, t in enumerate(talents)
            ),
            batch_size=5000,
        )
    return officer, funds


def _time_phases() -> dict[str, float]:
    """Wrap the settlement's steps to report where its time goes (the bench's own instrumentation)."""
    from rencai.recruitment.services import rewards

    spent: dict[str, float] = {}
    for name in (
        "placements_confirm",
        "placements_review",
        "_settle_leavers",
        "_candidates",
        "_plan",
        "_grant",
        "_pay_due",
    ):
        original = getattr(rewards, name)

        def timed(*args, _original=original, _name=name, **kwargs):
            began = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_name] = spent.get(_name, 0.0) + time.perf_counter() - began

        setattr(rewards, name, timed)
    return spent


def run(database_url: str) -> list[str]:
    _setup(database_url)
    from django.db import connection
    from django.db.models import Count, F

    from rencai.policies import ledger
    from rencai.recruitment.models import Reward, RewardCap, RewardInstalment
    from rencai.recruitment.services.rewards import rewards_settle

    began = time.perf_counter()
    officer, _funds = _build()
    if connection.vendor == "postgresql":  # a bulk-loaded database is analyzed, as `rencai demo` does
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    phases = _time_phases()
    lines = [
        f"recruitment rewards on {connection.vendor}: built {PLACEMENTS:,} placements "
        f"({PLATFORMS:,} platform enterprises, {AGENCIES} agencies) in {time.perf_counter() - began:.1f} s"
    ]
    for label in ("first settle", "second settle"):
        began = time.perf_counter()
        report = rewards_settle(actor=officer, today=TODAY)
        took = time.perf_counter() - began
        lines.append(
            f"  {label:<14} {took:6.2f} s   created {report.created:,} rewards ({report.amount:,} yuan), "
            f"{report.instalments_paid:,} instalments paid; cap reached {report.cap_reached:,}, "
            f"capped partially {report.capped_partially:,}, budget exhausted {report.budget_exhausted:,}, "
            f"already paid {report.already_paid:,}   target < 10 s{'' if took < 10 else '  MISSED'}"
        )
        lines.append(
            "    phases: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in phases.items())
        )
        phases.clear()
    by_purpose = dict(Reward.objects.values("purpose").annotate(n=Count("pk")).values_list("purpose", "n"))
    passed = RewardCap.objects.filter(committed__gt=F("cap")).count()
    twice = Reward.objects.values("placement", "purpose").annotate(n=Count("pk")).filter(n__gt=1).count()
    lines.append(
        f"  rewards by purpose {by_purpose}; instalments {RewardInstalment.objects.count():,}; "
        f"caps passed {passed}; paid twice {twice}; ledger discrepancies {len(ledger.discrepancies())}"
    )
    return lines


if __name__ == "__main__":
    for line in run(
        sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    ):
        print(line)
