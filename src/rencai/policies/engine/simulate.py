"""What-if: compare a draft rule with the rule in force over the whole registry, and fit a budget.

Pure: reads a feature frame, writes nothing. Money is counted in integer fen (cents) and reported as
`Decimal` yuan; an amount is clipped at zero and rounded to the fen, as the matching run does.

Queue order (used here and by the matching run): tier A first, then B … E, then no tier; within a tier
the earliest arrival date first; then the lowest talent_id. Allocation is a strict queue: the longest
prefix of the queue whose total fits the remaining budget is granted and everyone after it waits, even
a later talent whose smaller amount would still fit, so nobody jumps ahead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_FLOOR, Decimal

import polars as pl

from rencai.policies.engine.rules import CompiledRule
from rencai.policies.engine.schema import TALENT_ID, check_frame

TIER_ORDER = ("A", "B", "C", "D", "E", "")
TIER_RANK = {tier: rank for rank, tier in enumerate(TIER_ORDER)}
QUEUE_ORDER = ("tier_rank", "arrival_date", TALENT_ID)
FEN = Decimal("0.01")


def tier_rank() -> pl.Expr:
    """0 for tier A … 4 for E, 5 for no (or an unknown) tier."""
    return pl.col("tier").replace_strict(TIER_RANK, default=len(TIER_ORDER) - 1, return_dtype=pl.Int64)


def amount_in_fen(amount: pl.Expr) -> pl.Expr:
    """An amount in yuan as whole fen: clipped at zero, rounded to the fen."""
    return (amount.cast(pl.Float64).clip(lower_bound=0).round(2) * 100).round(0).cast(pl.Int64)


def yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(FEN)


def _fen(amount: Decimal) -> int:
    return int((Decimal(amount) * 100).to_integral_value(rounding=ROUND_FLOOR))


def _as_expr(value: pl.Series | pl.Expr | float | int | bool) -> pl.Expr:
    return value if isinstance(value, pl.Expr) else pl.lit(value)


def allocate_within_budget(
    frame: pl.DataFrame,
    eligible_mask: pl.Series | pl.Expr,
    amounts: pl.Series | pl.Expr | float | int,
    remaining_budget: Decimal | None,
) -> tuple[list[int], list[int]]:
    """(granted talent_ids, queued talent_ids), both in queue order, for the eligible rows of `frame`.

    `eligible_mask` and `amounts` (yuan) are aligned with `frame` (a Series of its length, or an
    expression over it); `remaining_budget` None means unlimited.
    """
    return _allocate_fen(frame, _as_expr(eligible_mask), amount_in_fen(_as_expr(amounts)), remaining_budget)


def _allocate_fen(
    frame: pl.DataFrame, eligible: pl.Expr, fen: pl.Expr, remaining_budget: Decimal | None
) -> tuple[list[int], list[int]]:
    check_frame(frame, {"tier", "arrival_date"})
    queue = (
        frame.select(
            pl.col(TALENT_ID),
            tier_rank().alias("tier_rank"),
            pl.col("arrival_date"),
            eligible.alias("_eligible"),
            fen.alias("_fen"),
        )
        .filter(pl.col("_eligible"))
        .sort(list(QUEUE_ORDER))
    )
    if remaining_budget is None:
        return queue[TALENT_ID].to_list(), []
    # amounts are never negative, so the running total only grows: "fits" is a prefix of the queue
    fits = queue.select(
        pl.col(TALENT_ID), (pl.col("_fen").cum_sum() <= _fen(remaining_budget)).alias("_fits")
    )
    granted = fits.filter(pl.col("_fits"))[TALENT_ID].to_list()
    queued = fits.filter(~pl.col("_fits"))[TALENT_ID].to_list()
    return granted, queued


@dataclass(frozen=True)
class GroupFigures:
    """Counts and costs of one region or tier."""

    key: str
    current_count: int
    draft_count: int
    added: int
    removed: int
    current_cost: Decimal
    draft_cost: Decimal


@dataclass(frozen=True)
class SimulationResult:
    current_count: int
    draft_count: int
    added_ids: list[int]
    removed_ids: list[int]
    current_cost: Decimal
    draft_cost: Decimal
    by_region: list[GroupFigures]
    by_tier: list[GroupFigures]
    budget_total: Decimal | None
    already_committed: Decimal
    remaining_budget: Decimal | None
    budget_holds: bool
    granted_count: int
    queued_count: int
    queued_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-friendly (Decimals as strings)."""
        data = asdict(self)

        def plain(value):
            if isinstance(value, Decimal):
                return str(value)
            if isinstance(value, list):
                return [plain(item) for item in value]
            if isinstance(value, dict):
                return {key: plain(item) for key, item in value.items()}
            return value

        return plain(data)


def _group(table: pl.DataFrame, key: str, order: list[str] | None = None) -> list[GroupFigures]:
    grouped = table.group_by(key).agg(
        pl.col("_current").sum().alias("current_count"),
        pl.col("_draft").sum().alias("draft_count"),
        (pl.col("_draft") & ~pl.col("_current")).sum().alias("added"),
        (pl.col("_current") & ~pl.col("_draft")).sum().alias("removed"),
        pl.col("_current_fen").sum().alias("current_fen"),
        pl.col("_draft_fen").sum().alias("draft_fen"),
    )
    rows = {row[key]: row for row in grouped.iter_rows(named=True)}
    keys = [k for k in order if k in rows] + sorted(set(rows) - set(order)) if order else sorted(rows)
    return [
        GroupFigures(
            key=k,
            current_count=rows[k]["current_count"],
            draft_count=rows[k]["draft_count"],
            added=rows[k]["added"],
            removed=rows[k]["removed"],
            current_cost=yuan(rows[k]["current_fen"]),
            draft_cost=yuan(rows[k]["draft_fen"]),
        )
        for k in keys
    ]


def _rule_expr(rule: CompiledRule | None, expect: str) -> pl.Expr:
    if rule is None:
        return pl.lit(0.0, dtype=pl.Float64) if expect == "number" else pl.lit(False)
    if rule.expect != expect:
        raise ValueError(f"expected a {expect} rule, got a {rule.expect} rule: {rule.source}")
    return rule.to_polars()


def simulate(
    frame: pl.DataFrame,
    *,
    current_rule: CompiledRule | None,
    draft_rule: CompiledRule,
    current_amount: CompiledRule | None = None,
    draft_amount: CompiledRule | None = None,
    budget_total: Decimal | None = None,
    already_committed: Decimal = Decimal(0),
) -> SimulationResult:
    """Who qualifies now and under the draft, what each costs, and whether the draft fits the budget.

    `current_rule` None means the policy is new (nobody qualifies now); an amount rule None means 0.
    The budget check asks whether every draft-qualifying talent can be paid from
    `budget_total - already_committed` (money committed outside this simulation, e.g. earlier years);
    if not, `allocate_within_budget` says who would be granted and how many would queue.
    """
    features = set(draft_rule.features) | {"region", "tier", "arrival_date"}
    for rule in (current_rule, current_amount, draft_amount):
        features |= rule.features if rule is not None else set()
    check_frame(frame, features)
    current, draft = _rule_expr(current_rule, "bool"), _rule_expr(draft_rule, "bool")
    table = (
        frame.lazy()
        .select(
            pl.col(TALENT_ID),
            pl.col("region"),
            pl.col("tier"),
            current.alias("_current"),
            draft.alias("_draft"),
            amount_in_fen(_rule_expr(current_amount, "number")).alias("_current_amount"),
            amount_in_fen(_rule_expr(draft_amount, "number")).alias("_draft_amount"),
        )
        .with_columns(
            pl.when(pl.col("_current")).then(pl.col("_current_amount")).otherwise(0).alias("_current_fen"),
            pl.when(pl.col("_draft")).then(pl.col("_draft_amount")).otherwise(0).alias("_draft_fen"),
        )
        .collect()
    )
    totals = table.select(
        pl.col("_current").sum(),
        pl.col("_draft").sum(),
        pl.col("_current_fen").sum(),
        pl.col("_draft_fen").sum(),
    ).row(0)
    added = table.filter(pl.col("_draft") & ~pl.col("_current"))[TALENT_ID].sort().to_list()
    removed = table.filter(pl.col("_current") & ~pl.col("_draft"))[TALENT_ID].sort().to_list()
    draft_cost = yuan(totals[3])
    remaining = (
        None if budget_total is None else max(Decimal(budget_total) - Decimal(already_committed), Decimal(0))
    )
    holds = remaining is None or draft_cost <= remaining
    queued: list[int] = []
    granted_count = int(totals[1])
    if not holds:
        granted, queued = _allocate_fen(
            frame, pl.lit(table["_draft"]), pl.lit(table["_draft_amount"]), remaining
        )
        granted_count = len(granted)
    return SimulationResult(
        current_count=int(totals[0]),
        draft_count=int(totals[1]),
        added_ids=added,
        removed_ids=removed,
        current_cost=yuan(totals[2]),
        draft_cost=draft_cost,
        by_region=_group(table, "region"),
        by_tier=_group(table, "tier", list(TIER_ORDER)),
        budget_total=None if budget_total is None else Decimal(budget_total),
        already_committed=Decimal(already_committed),
        remaining_budget=remaining,
        budget_holds=holds,
        granted_count=granted_count,
        queued_count=len(queued),
        queued_ids=queued,
    )
