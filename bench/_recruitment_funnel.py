"""The recruitment funnel over 100,000 demands and 1,000,000 referrals (issue 15: < 1 s).

    BENCH_DATABASE_URL=postgres://…/rencai_bench_funnel .venv/bin/python bench/_recruitment_funnel.py

`run(database_url)` assumes a migrated database (the regions come with the migrations). It adds, once
(recognised by the enterprises' `BENCH-F` name prefix), 2,000 enterprises across the city and its six
counties, 100,000 published demands, 100,000 candidates, twelve agencies, 1,000,000 referrals (each candidate
referred to ten different enterprises, so the first-valid-referral index holds), 100,000 leads from events
and stations, 50,000 talents and their placements (40,000 by referral) and two reward instalments each. The
big tables go in by PostgreSQL COPY, the rest by bulk_create. Then it times `funnel.funnel_for` (all five
GROUP BY stages and the roll-up into the four tables), five times each, for the city officer (the whole
city, by county), a county officer and an agency user, and a narrowed query (one tier, one channel).
Returns the printed lines.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEAT = 5
PREFIX = "BENCH-F"
ENTERPRISES = 2_000
DEMANDS = 100_000
CANDIDATES = 100_000
REFERRALS_PER_CANDIDATE = 10  # 1,000,000 referrals
LEADS = 100_000
PLACEMENTS = 50_000
REFERRAL_PLACEMENTS = 40_000
TARGET = 1.0  # seconds
YEAR = 2026


def setup_django(database_url: str) -> None:
    from django.conf import settings

    if settings.configured:
        return
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _copy(model, columns: list[str], rows) -> int:
    """COPY rows into the model's table (PostgreSQL); the columns are field names."""
    from django.db import connection

    fields = [model._meta.get_field(name) for name in columns]
    table = model._meta.db_table
    names = ", ".join(field.column for field in fields)
    count = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def _reset_sequence(model) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(statement)


def _build() -> float:
    """The rows (once); returns the seconds it took (0 when they were there already)."""
    from django.db import transaction
    from django.utils import timezone

    from rencai.core.models import Region
    from rencai.policies.models import Policy
    from rencai.recruitment.choices import (
        Channel,
        DemandState,
        InstalmentState,
        LeadOutcome,
        PlacementState,
        ReferralState,
        RewardPurpose,
    )
    from rencai.recruitment.models import (
        Agency,
        Candidate,
        Demand,
        Event,
        Lead,
        Placement,
        Referral,
        Reward,
        RewardInstalment,
        RewardScheme,
        Station,
    )
    from rencai.registry.choices import Industry, Tier
    from rencai.registry.models import Enterprise, Talent

    if Enterprise.objects.filter(name__startswith=PREFIX).exists():
        return 0.0
    started = time.perf_counter()
    rng = random.Random(15)
    regions = list(Region.objects.filter(code__startswith="3308").order_by("code"))
    city = next(region for region in regions if region.code == "330800")
    industries, tiers = Industry.values, Tier.values
    now = timezone.now()
    with transaction.atomic():
        enterprises = Enterprise.objects.bulk_create(
            Enterprise(
                credit_code=f"BF{i:016d}",
                name=f"{PREFIX}企业{i}",
                region=regions[i % len(regions)],
                industry=industries[i % len(industries)],
                size="medium",
            )
            for i in range(ENTERPRISES)
        )
        # demands laid out enterprise by enterprise: demand e * 50 + j belongs to enterprise e
        per_enterprise = DEMANDS // ENTERPRISES
        demand_states = [DemandState.PUBLISHED] * 6 + [
            DemandState.FILLED,
            DemandState.EXPIRED,
            DemandState.DRAFT,
        ]
        first_demand = (Demand.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

        def demand_rows():
            for index in range(DEMANDS):
                enterprise = enterprises[index // per_enterprise]
                state = demand_states[index % len(demand_states)]
                published = (
                    None if state == DemandState.DRAFT else now - dt.timedelta(days=rng.randrange(700))
                )
                yield (
                    first_demand + index,
                    enterprise.pk,
                    enterprise.region_id,
                    f"基准岗位{index}",
                    "professional",
                    tiers[index % len(tiers)],
                    "master",
                    industries[(index // 7) % len(industries)],
                    3,
                    0,
                    200_000,
                    300_000,
                    "local",
                    "full_time",
                    "",
                    state,
                    dt.date(YEAR + 1, 6, 30),
                    "",
                    published,
                    now,
                    now,
                )

        _copy(
            Demand,
            [
                "id",
                "enterprise",
                "region",
                "title",
                "team",
                "tier_sought",
                "degree",
                "field",
                "headcount",
                "filled",
                "salary_min",
                "salary_max",
                "place",
                "work_mode",
                "description",
                "state",
                "expires_on",
                "review_comment",
                "published_at",
                "created_at",
                "updated_at",
            ],
            demand_rows(),
        )
        _reset_sequence(Demand)
        first_candidate = (Candidate.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        _copy(
            Candidate,
            [
                "id",
                "name",
                "id_number_ciphertext",
                "id_number_index",
                "id_number_masked",
                "phone_ciphertext",
                "phone_masked",
                "degree",
                "field",
                "region",
                "created_at",
            ],
            (
                (
                    first_candidate + i,
                    f"候选人{i}",
                    "bench",
                    f"{PREFIX}-{i}",
                    "3308**********0000",
                    "",
                    "",
                    "master",
                    industries[i % len(industries)],
                    regions[i % len(regions)].pk,
                    now,
                )
                for i in range(CANDIDATES)
            ),
        )
        _reset_sequence(Candidate)
        agencies = Agency.objects.bulk_create(
            Agency(
                name=f"{PREFIX}中介{i}",
                credit_code=f"BFA{i:015d}",
                region=city,
                contract_starts=dt.date(YEAR, 1, 1),
                contract_ends=dt.date(YEAR, 12, 31),
            )
            for i in range(12)
        )
        referral_states = (
            [ReferralState.REFERRED] * 5 + [ReferralState.INTERVIEWED] * 3 + [ReferralState.FAILED]
        )
        first_referral = (Referral.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

        def referral_of(k: int) -> tuple[int, int, int]:
            """(candidate index, enterprise index, demand index) of referral k: ten enterprises per person."""
            candidate, j = divmod(k, REFERRALS_PER_CANDIDATE)
            enterprise = (candidate + j * 200) % ENTERPRISES
            return candidate, enterprise, enterprise * per_enterprise + candidate % per_enterprise

        def referral_rows():
            for k in range(CANDIDATES * REFERRALS_PER_CANDIDATE):
                candidate, enterprise, demand = referral_of(k)
                state = ReferralState.PLACED if k < REFERRAL_PLACEMENTS * 25 and k % 25 == 0 else None
                yield (
                    first_referral + k,
                    agencies[k % len(agencies)].pk,
                    first_demand + demand,
                    enterprises[enterprise].pk,
                    enterprises[enterprise].region_id,  # the demand's region: its enterprise's
                    first_candidate + candidate,
                    f"{PREFIX}-{candidate}",
                    now,
                    "本人同意",
                    state or referral_states[k % len(referral_states)],
                    "",
                    now - dt.timedelta(days=rng.randrange(700)),
                    now,
                )

        _copy(
            Referral,
            [
                "id",
                "agency",
                "demand",
                "enterprise",
                "region",
                "candidate",
                "person_index",
                "consent_at",
                "consent_statement",
                "state",
                "note",
                "created_at",
                "updated_at",
            ],
            referral_rows(),
        )
        _reset_sequence(Referral)
        stations = Station.objects.bulk_create(
            Station(name=f"{PREFIX}工作站{c}", city=c, region=city, opened_on=dt.date(2020, 1, 1))
            for c in ("北京", "上海", "杭州")
        )
        events = Event.objects.bulk_create(
            Event(
                name=f"{PREFIX}推介会{i}",
                region=regions[i % len(regions)],
                held_on=dt.date(YEAR, 1 + i % 12, 10),
                place="杭州",
            )
            for i in range(24)
        )
        outcomes = LeadOutcome.values
        Lead.objects.bulk_create(
            (
                Lead(
                    candidate_id=first_candidate + i % CANDIDATES,
                    enterprise=enterprises[i % ENTERPRISES],
                    demand_id=first_demand + (i % ENTERPRISES) * per_enterprise if i % 2 else None,
                    event=events[i % len(events)] if i % 3 else None,
                    station=None if i % 3 else stations[i % len(stations)],
                    region=enterprises[i % ENTERPRISES].region,
                    outcome=outcomes[i % len(outcomes)],
                )
                for i in range(LEADS)
            ),
            batch_size=5_000,
        )
        talents = Talent.objects.bulk_create(
            (
                Talent(
                    name=f"基准人才{i}",
                    id_number_ciphertext="bench",
                    id_number_index=f"{PREFIX}-T{i}",
                    id_number_masked="3308**********0000",
                    birth_date=dt.date(1985, 1, 1),
                    gender="male",
                    region=enterprises[i % ENTERPRISES].region,
                    team="professional",
                    tier=tiers[i % len(tiers)],
                    highest_degree="master",
                    arrival_date=dt.date(YEAR, 1, 1),
                )
                for i in range(PLACEMENTS)
            ),
            batch_size=5_000,
        )
        placement_states = [PlacementState.CONFIRMED] * 3 + [
            PlacementState.RETAINED,
            PlacementState.LEFT_EARLY,
        ]
        placements = []
        for i, talent in enumerate(talents):
            by_referral = i < REFERRAL_PLACEMENTS
            k = i * 25
            _candidate, enterprise, demand = referral_of(k) if by_referral else (0, i % ENTERPRISES, 0)
            placements.append(
                Placement(
                    talent=talent,
                    enterprise=enterprises[enterprise],
                    region=enterprises[enterprise].region,
                    demand_id=first_demand + demand if by_referral else None,
                    channel=Channel.REFERRAL
                    if by_referral
                    else [Channel.EVENT, Channel.STATION, Channel.DIRECT][i % 3],
                    referral_id=first_referral + k if by_referral else None,
                    arrived_on=dt.date(YEAR - 1 + i % 2, 1 + i % 12, 1 + i % 28),
                    confirmed_on=dt.date(YEAR, 1, 1),
                    state=placement_states[i % len(placement_states)],
                    tier=talent.tier,
                )
            )
        placements = Placement.objects.bulk_create(placements, batch_size=5_000)
        policy, _created = Policy.objects.get_or_create(
            code="bench-funnel", defaults={"name": "基准引才奖励", "region": city, "kind": "subsidy"}
        )
        scheme, _created = RewardScheme.objects.get_or_create(
            code="bench-funnel",
            defaults={
                "name": "基准中介引才奖励",
                "purpose": RewardPurpose.AGENCY_PLACEMENT,
                "region": city,
                "policy": policy,
                "effective_from": dt.date(YEAR - 1, 1, 1),
                "amounts": {"": 20000},
            },
        )
        rewards = Reward.objects.bulk_create(
            (
                Reward(
                    scheme=scheme,
                    placement=placement,
                    purpose=scheme.purpose,
                    enterprise=placement.enterprise,
                    year=placement.arrived_on.year,
                    amount=20000,
                    reservation_reference=f"{PREFIX}-{placement.pk}",
                )
                for placement in placements
            ),
            batch_size=5_000,
        )
        RewardInstalment.objects.bulk_create(
            (
                RewardInstalment(
                    reward=reward,
                    number=number,
                    due_on=dt.date(YEAR, 6, 1),
                    amount=10000,
                    state=InstalmentState.PAID if number == 1 else InstalmentState.SCHEDULED,
                )
                for reward in rewards
                for number in (1, 2)
            ),
            batch_size=10_000,
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # the visibility map, for index-only scans
    return time.perf_counter() - started


def _users():
    from rencai.accounts.models import User
    from rencai.core.models import Region
    from rencai.recruitment.models import Agency, AgencyMember

    city, county = Region.objects.get(code="330800"), Region.objects.get(code="330881")
    officer, _ = User.objects.get_or_create(
        username="bench-funnel-city", defaults={"role": "city_org_dept", "region": city}
    )
    county_officer, _ = User.objects.get_or_create(
        username="bench-funnel-county", defaults={"role": "county_org_dept", "region": county}
    )
    agent, created = User.objects.get_or_create(
        username="bench-funnel-agent", defaults={"role": "intermediary"}
    )
    if created:
        AgencyMember.objects.create(agency=Agency.objects.filter(name__startswith=PREFIX).first(), user=agent)
    return {"city (all counties)": officer, "county (Jiangshan)": county_officer, "agency (one of 12)": agent}


def _time(job) -> tuple[float, float]:
    seconds = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        job()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), max(seconds)


def run(database_url: str) -> list[str]:
    setup_django(database_url)
    from rencai.recruitment import funnel
    from rencai.recruitment.models import Demand, Referral

    lines = []
    built = _build()
    if built:
        lines.append(f"built the recruitment rows in {built:.1f} s")
    lines.append(f"{Demand.objects.count():,} demands, {Referral.objects.count():,} referrals")
    year = funnel.FunnelFilters.for_year(YEAR)
    two_years = funnel.FunnelFilters(dt.date(YEAR - 1, 1, 1), dt.date(YEAR, 12, 31))
    narrowed = funnel.FunnelFilters(
        dt.date(YEAR - 1, 1, 1), dt.date(YEAR, 12, 31), tier="B", channel="referral"
    )
    for label, user in _users().items():
        for name, filters in (("year", year), ("two years", two_years), ("tier B, referrals", narrowed)):
            result = funnel.funnel_for(user, filters)
            median, worst = _time(lambda user=user, filters=filters: funnel.funnel_for(user, filters))
            verdict = "ok" if worst < TARGET else "SLOW"
            lines.append(
                f"funnel {label:<20} {name:<18} median {median * 1000:7.1f} ms  max {worst * 1000:7.1f} ms  "
                f"[{verdict}]  referrals {result.total.referrals:,}  arrivals {result.total.arrivals:,}"
            )
    for line in lines:
        print(line, flush=True)
    return lines


if __name__ == "__main__":
    run(os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rencai_bench_funnel"))
