"""Computed indicators: each case's computed indicators run by the policy engine over the feature frame.

A computed indicator is a CEL number rule over `talent.*` (e.g. `talent.patents_granted * 25`). The rules of
every scheme involved are compiled once (the engine caches them by text) and evaluated as polars
expressions over the feature frame of just the cases' talents (`build_feature_frame(talent_ids=…)`), one
`select` per scheme; the points are clamped to 0–100 with two decimals and written to `Case.computed` as
decimal strings ({indicator code: "80.00"}), in one UPDATE.
"""

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable
from decimal import ROUND_HALF_UP, Decimal

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.evaluation.choices import CaseState, IndicatorSource
from rencai.evaluation.models import Case, Indicator, Round
from rencai.policies.engine import CompiledRule, compile_rule, evaluate_amounts
from rencai.policies.features import build_feature_frame

POINTS_MIN, POINTS_MAX = Decimal(0), Decimal(100)
CENT = Decimal("0.01")
# Cases whose computed indicators may still change: once scored, the total rests on them
COMPUTABLE_STATES = (
    CaseState.DRAFT,
    CaseState.SUBMITTED,
    CaseState.RETURNED,
    CaseState.CONFIRMED,
    CaseState.FIRST_PASSED,
    CaseState.PANEL,
)
BULK_BATCH = 1000


def points(value: float) -> Decimal:
    """A rule's value as points: clamped to 0–100, two decimals (half up); not a number counts 0."""
    if value is None or not math.isfinite(value):
        return POINTS_MIN
    clamped = min(max(Decimal(repr(float(value))), POINTS_MIN), POINTS_MAX)
    return clamped.quantize(CENT, rounding=ROUND_HALF_UP)


def _rules_by_scheme(scheme_ids: Iterable[int]) -> dict[int, dict[Hashable, CompiledRule]]:
    rules: dict[int, dict[Hashable, CompiledRule]] = defaultdict(dict)
    computed = Indicator.objects.filter(scheme_id__in=list(scheme_ids), source=IndicatorSource.COMPUTED)
    for scheme_id, code, rule in computed.order_by("scheme_id", "position").values_list(
        "scheme_id", "code", "rule"
    ):
        rules[scheme_id][code] = compile_rule(rule, expect="number")
    return rules


def _points_of(frame: pl.DataFrame, rules: dict[Hashable, CompiledRule]) -> dict[int, dict[str, str]]:
    """talent id -> {indicator code: points as text} for the talents of `frame`."""
    if not rules:
        return {talent_id: {} for talent_id in frame["talent_id"]}
    values = evaluate_amounts(frame, rules)
    codes = [str(code) for code in rules]
    result = {}
    for row in values.iter_rows():
        result[row[0]] = {code: str(points(value)) for code, value in zip(codes, row[1:], strict=True)}
    return result


def compute_for_cases(cases: Iterable[Case], *, on: dt.date | None = None) -> dict[int, dict[str, Decimal]]:
    """Run the computed indicators of each case's scheme as of `on` (today by default), write
    `Case.computed` (one UPDATE) and return {case id: {indicator code: points}}. Cases need
    `talent_id` and `round.scheme_id` (select_related("round") spares a query per case)."""
    cases = list(cases)
    if not cases:
        return {}
    day = on or timezone.localdate()
    by_scheme: dict[int, list[Case]] = defaultdict(list)
    for case in cases:
        by_scheme[case.round.scheme_id].append(case)
    rules = _rules_by_scheme(by_scheme)
    frame = build_feature_frame(day, talent_ids=sorted({case.talent_id for case in cases}), active_only=False)
    result: dict[int, dict[str, Decimal]] = {}
    for scheme_id, scheme_cases in by_scheme.items():
        talents = pl.DataFrame(
            {"talent_id": [case.talent_id for case in scheme_cases]}, schema={"talent_id": pl.Int64}
        )
        computed = _points_of(
            frame.join(talents.unique(), on="talent_id", how="semi"), rules.get(scheme_id, {})
        )
        for case in scheme_cases:
            case.computed = computed.get(case.talent_id, {})
            result[case.pk] = {code: Decimal(value) for code, value in case.computed.items()}
    _write_computed(cases)
    return result


def _write_computed(cases: list[Case]) -> None:
    """Write each case's `computed` in one statement: Django's bulk_update builds a CASE over every id, which
    took PostgreSQL over a second for 2,000 cases (bench). PostgreSQL takes one JSON document {case id:
    points} (one parameter: the driver splices and escapes no thousands of values); SQLite an UPDATE …
    FROM (VALUES …) per thousand cases."""
    table = connection.ops.quote_name(Case._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET computed = v.value FROM jsonb_each(%s::jsonb) AS v "
                f"WHERE {table}.id = v.key::bigint",
                [json.dumps({case.pk: case.computed for case in cases})],
            )
            return
        for start in range(0, len(cases), BULK_BATCH):
            batch = cases[start : start + BULK_BATCH]
            values = ", ".join(["(%s, %s)"] * len(batch))
            cursor.execute(
                f"UPDATE {table} SET computed = v.column2 FROM (VALUES {values}) AS v "
                f"WHERE {table}.id = v.column1",
                [value for case in batch for value in (case.pk, json.dumps(case.computed))],
            )


def evaluation_day(round: Round, today: dt.date | None = None) -> dt.date:
    """The day a round's indicators are computed as of: today while applications are open, then the
    application deadline, so that computing again later gives the same points."""
    today = today or timezone.localdate()
    return min(today, round.applications_due)


@transaction.atomic
def compute_round(*, actor: User, round: Round) -> int:
    """Compute the indicators of every case of the round that is not yet scored; returns how many."""
    require(actor, Action.MANAGE_EVALUATION, round)
    day = evaluation_day(round)
    cases = list(
        Case.objects.select_for_update()
        .filter(round=round, state__in=COMPUTABLE_STATES)
        .only("pk", "talent_id", "round_id", "computed")
        .order_by("pk")
    )
    for case in cases:
        case.round = round  # one round, one scheme: no query per case
    compute_for_cases(cases, on=day)
    audit.record(
        actor=actor,
        action="evaluation.round.compute",
        obj=round,
        detail={"cases": len(cases), "on": day.isoformat(), "scheme": round.scheme_id},
    )
    return len(cases)
