"""Builders for evaluation tests: a published scheme, an open round, cases in a given state, an expert pool.

They write rows directly (the services under test are exercised by the tests themselves); a builder that
needs a state the services give (a drawn panel) says so and calls the service.
"""

import datetime as dt
from decimal import Decimal

from rencai.evaluation.choices import (
    CaseState,
    EvaluatorKind,
    IndicatorBasis,
    IndicatorSource,
    Purpose,
    RoundState,
    SchemeStatus,
)
from rencai.evaluation.models import Case, Expert, ExpertField, Indicator, Round, Scheme, SchemeEvaluator
from tests import factories

TODAY = dt.date(2026, 12, 7)  # a Monday


def make_scheme(
    region,
    *,
    code: str = "recognition-2026",
    purpose: str = Purpose.RECOGNITION,
    publish: bool = True,
    indicators: list[tuple[str, str, int, str]] | None = None,
    evaluators: dict[str, int] | None = None,
    **fields,
) -> Scheme:
    """A scheme with two computed and two scored indicators (40/20/20/20) and four evaluator kinds."""
    scheme = Scheme.objects.create(
        code=code,
        name=fields.pop("name", "衢州市人才认定评价方案"),
        region=region,
        purpose=purpose,
        effective_from=fields.pop("effective_from", dt.date(2026, 1, 1)),
        tier_thresholds=fields.pop("tier_thresholds", {"C": 90, "D": 75, "E": 60}),
        **fields,
    )
    rows = indicators or [
        ("patents", "知识产权应用", 40, "talent.patents_granted * 25"),
        ("transfer", "科技成果转化", 20, "talent.transfer_income_3y / 10000"),
        ("innovation", "创新贡献", 20, ""),
        ("team", "团队建设", 20, ""),
    ]
    for position, (ind_code, name, weight, rule) in enumerate(rows):
        Indicator.objects.create(
            scheme=scheme,
            code=ind_code,
            name=name,
            weight=weight,
            source=IndicatorSource.COMPUTED if rule else IndicatorSource.SCORED,
            basis=IndicatorBasis.RESULTS,
            rule=rule,
            rubric="" if rule else "按实绩贡献评分（0–100分）",
            position=position,
        )
    for kind, weight in (
        evaluators
        or {
            EvaluatorKind.GOVERNMENT: 30,
            EvaluatorKind.MARKET: 30,
            EvaluatorKind.PROFESSIONAL_BODY: 20,
            EvaluatorKind.EMPLOYER: 20,
        }
    ).items():
        SchemeEvaluator.objects.create(scheme=scheme, kind=kind, weight=weight)
    if publish:
        Scheme.objects.filter(pk=scheme.pk).update(status=SchemeStatus.PUBLISHED)
        scheme.refresh_from_db()
    return scheme


def make_round(
    scheme: Scheme, region, *, state: str = RoundState.OPEN, opens_on: dt.date = TODAY, **fields
) -> Round:
    """A round with its deadlines a week apart (the services count them in working days)."""
    week = dt.timedelta(days=7)
    return Round.objects.create(
        scheme=scheme,
        name=fields.pop("name", f"{scheme.name} {opens_on.year}年度第一批"),
        region=region,
        year=opens_on.year,
        state=state,
        opens_on=opens_on,
        applications_due=opens_on + 2 * week,
        employer_due=opens_on + 3 * week,
        first_review_due=opens_on + 4 * week,
        panel_due=opens_on + 5 * week,
        second_review_due=opens_on + 6 * week,
        **fields,
    )


def make_case(
    round_: Round, talent, *, state: str = CaseState.SUBMITTED, field: str = "electronics", **fields
) -> Case:
    return Case.objects.create(
        round=round_,
        talent=talent,
        enterprise=fields.pop("enterprise", talent.current_employer),
        region=fields.pop("region", talent.region),
        field=field,
        state=state,
        **fields,
    )


def make_experts(
    region, count: int, *, field: str = "electronics", kinds: tuple[str, ...] = tuple(EvaluatorKind), **fields
) -> list[Expert]:
    """`count` experts reviewing `field`, cycling through the evaluator kinds, each with a reviewer login."""
    experts = []
    # numbered on from the experts already there, so that a second call adds experts instead of failing
    start = Expert.objects.filter(region=region, fields__field=field).count()
    for n in range(start, start + count):
        account = factories.make_user(f"expert{region.code}{field}{n}", "reviewer")
        expert = Expert.objects.create(
            name=f"专家{n:03d}",
            region=region,
            evaluator_kind=kinds[n % len(kinds)],
            employer_name=fields.get("employer_name", f"浙江某大学{n}"),
            account=account,
        )
        ExpertField.objects.create(expert=expert, field=field)
        experts.append(expert)
    return experts


POINTS = Decimal("80")


def today_is(monkeypatch, day: dt.date) -> None:
    """Make `day` the services' today (django.utils.timezone.localdate): deadlines and notice periods are
    then counted from a known date, holidays included."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
