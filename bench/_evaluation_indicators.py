"""Computed indicators of a 2,000-candidate round on a large registry (issue 14: < 1 s on 1,000,000 talents).

    BENCH_DATABASE_URL=postgres://…/rencai_bench .venv/bin/python bench/_evaluation_indicators.py

`run(database_url)` assumes a registry built by `rencai migrate && rencai demo --talents N`. It adds (once,
recognisable by their codes) a published scheme `bench-indicators` with three computed indicators (patents,
transfer income, standards and awards) and one scored, achievements for 2,000 random talents, a round and
their 2,000 cases; then times, five times each (median and max): the feature frame of those talents alone,
`indicators.compute_for_cases` (frame, engine, one bulk update) and `indicators.compute_round` (the whole
service: right, row locks, audit). Returns the printed lines (bench/evaluation.py gathers them).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = 2000
REPEAT = 5
SCHEME = "bench-indicators"
ROUND = "评价基准批次（2,000人）"
REFERENCE = "BENCH-IND-"
DAY = dt.date(2026, 12, 7)


def setup_django(database_url: str) -> None:
    from django.conf import settings

    if settings.configured:
        return
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _officer():
    from rencai.accounts.models import User
    from rencai.core.models import Region

    city = Region.objects.get(code="330800")
    officer = User.objects.filter(role="city_org_dept", region=city, is_active=True).order_by("pk").first()
    if officer is None:
        officer = User.objects.create(username="bench-city", role="city_org_dept", region=city)
    return officer, city


def _scheme(officer, city):
    from rencai.evaluation.choices import IndicatorSource, Purpose
    from rencai.evaluation.models import Scheme
    from rencai.evaluation.services import schemes

    existing = Scheme.objects.filter(code=SCHEME, version=1).first()
    if existing is not None:
        return existing
    computed = IndicatorSource.COMPUTED
    return schemes.scheme_draft_save(
        actor=officer,
        data=schemes.SchemeInput(
            code=SCHEME,
            name="基准：以实绩评价",
            region=city,
            purpose=Purpose.RECOGNITION,
            effective_from=dt.date(2026, 1, 1),
        ),
        indicators=[
            schemes.IndicatorInput("patents", "知识产权", computed, 30, rule="talent.patents_granted * 25"),
            schemes.IndicatorInput(
                "transfer", "成果转化", computed, 30, rule="double(talent.transfer_income_3y) / 10000.0"
            ),
            schemes.IndicatorInput(
                "platform",
                "标准与奖项",
                computed,
                20,
                rule="talent.standards * 30 + (talent.awards > 0 ? 40 : 0)",
            ),
            schemes.IndicatorInput("team", "团队建设", IndicatorSource.SCORED, 20, rubric="按实绩评分"),
        ],
        weights={"government": 30, "market": 30, "professional_body": 20, "employer": 20},
        publish=True,
    )


def _candidates(rng: random.Random) -> list[tuple[int, int, int | None]]:
    """(talent id, region id, employer id) of CASES random active talents."""
    from django.db.models import Max

    from rencai.registry.models import Talent

    top = Talent.objects.aggregate(top=Max("pk"))["top"] or 0
    chosen: dict[int, tuple[int, int, int | None]] = {}
    while len(chosen) < CASES:
        ids = rng.sample(range(1, top + 1), min(top, CASES * 2))
        for row in Talent.objects.filter(pk__in=ids, status="active").values_list(
            "pk", "region_id", "current_employer_id"
        ):
            chosen.setdefault(row[0], row)
            if len(chosen) == CASES:
                break
    return list(chosen.values())


def _achievements(rng: random.Random, candidates) -> int:
    """0–4 achievements per candidate (patents, transfers with income, standards, awards), once."""
    from rencai.registry.models import Achievement, AchievementHolder

    if Achievement.objects.filter(reference__startswith=REFERENCE).exists():
        return 0
    kinds = ["patent_granted", "patent_granted", "tech_transfer", "standard", "award"]
    rows, holders = [], []
    for talent_id, region_id, employer_id in candidates:
        for _ in range(rng.randint(0, 4)):
            kind = rng.choice(kinds)
            amount = Decimal(rng.randint(10_000, 900_000)) if kind == "tech_transfer" else None
            rows.append(
                Achievement(
                    kind=kind,
                    title="基准成果",
                    reference=f"{REFERENCE}{len(rows)}",
                    achieved_on=DAY - dt.timedelta(days=rng.randint(30, 1500)),
                    amount=amount,
                    region_id=region_id,
                    enterprise_id=employer_id,
                )
            )
            holders.append(talent_id)
    Achievement.objects.bulk_create(rows, batch_size=2000)
    AchievementHolder.objects.bulk_create(
        (AchievementHolder(achievement=a, talent_id=t, rank=1) for a, t in zip(rows, holders, strict=True)),
        batch_size=2000,
    )
    return len(rows)


def _round(scheme, city, candidates):
    from rencai.evaluation.choices import CaseState, RoundState
    from rencai.evaluation.models import Case, Round

    round_ = Round.objects.filter(name=ROUND, scheme=scheme).first()
    if round_ is None:
        week = dt.timedelta(days=7)
        round_ = Round.objects.create(
            scheme=scheme,
            name=ROUND,
            region=city,
            year=DAY.year,
            state=RoundState.REVIEWING,
            opens_on=DAY - 4 * week,
            applications_due=DAY - 2 * week,
            employer_due=DAY - week,
            first_review_due=DAY,
            panel_due=DAY + week,
            second_review_due=DAY + 2 * week,
        )
        Case.objects.bulk_create(
            (
                Case(
                    round=round_,
                    talent_id=talent_id,
                    region_id=region_id,
                    enterprise_id=employer_id,
                    field="electronics",
                    state=CaseState.FIRST_PASSED,
                )
                for talent_id, region_id, employer_id in candidates
            ),
            batch_size=2000,
        )
    return round_


def _timed(function, repeat: int = REPEAT) -> tuple[float, float]:
    """(median, max) milliseconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def run(database_url: str) -> list[str]:
    setup_django(database_url)
    from django.db import connection

    from rencai.evaluation import indicators
    from rencai.evaluation.models import Case
    from rencai.policies.features import build_feature_frame
    from rencai.registry.models import Talent

    rng = random.Random(14)
    officer, city = _officer()
    scheme = _scheme(officer, city)
    existing = Case.objects.filter(round__scheme=scheme, round__name=ROUND)
    if existing.count() == CASES:
        candidates = list(existing.values_list("talent_id", "region_id", "enterprise_id"))
    else:
        candidates = _candidates(rng)
    added = _achievements(rng, candidates)
    round_ = _round(scheme, city, candidates)
    cases = list(Case.objects.filter(round=round_).select_related("round"))
    talent_ids = sorted(case.talent_id for case in cases)
    day = indicators.evaluation_day(round_)

    frame_ms = _timed(lambda: build_feature_frame(day, talent_ids=talent_ids, active_only=False))
    cases_ms = _timed(lambda: indicators.compute_for_cases(cases, on=day))
    round_ms = _timed(lambda: indicators.compute_round(actor=officer, round=round_))
    computed = indicators.compute_for_cases(cases, on=day)
    best = max(computed, key=lambda pk: sum(computed[pk].values()))
    lines = [
        f"computed indicators ({connection.vendor}, {Talent.objects.count():,} talents, "
        f"{len(cases):,} cases, {added:,} achievements added now; median / max of {REPEAT} runs)",
        f"  feature frame of the cases' talents   {frame_ms[0]:7.1f} / {frame_ms[1]:7.1f} ms",
        f"  compute_for_cases (frame+rules+write) {cases_ms[0]:7.1f} / {cases_ms[1]:7.1f} ms",
        f"  compute_round (the service)           {round_ms[0]:7.1f} / {round_ms[1]:7.1f} ms (target < 1 s)",
        f"  the highest case, {best}: " + ", ".join(f"{k} {v}" for k, v in computed[best].items()),
    ]
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set BENCH_DATABASE_URL to a database built by `rencai demo --talents N`")
    run(url)
