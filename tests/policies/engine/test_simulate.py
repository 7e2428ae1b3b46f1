"""Simulation compares a draft with the rule in force, costs both, and fits the draft to a budget."""

import datetime as dt
import json
from collections import Counter
from decimal import Decimal

import polars as pl
import pytest

from rencai.policies.engine import (
    TIER_ORDER,
    allocate_within_budget,
    compile_rule,
    default_row,
    frame_from_rows,
    simulate,
)
from tests.policies.engine.populations import sample_frame

CURRENT = compile_rule('talent.degree == "doctor" && talent.age <= 45')
DRAFT = compile_rule('talent.degree == "doctor" && talent.age <= 50 && talent.employment_type == "full_time"')
CURRENT_AMOUNT = compile_rule("150000", expect="number")
DRAFT_AMOUNT = compile_rule("talent.has_overseas_degree ? 250000 : 200000", expect="number")


def queue_key(row):
    return (TIER_ORDER.index(row["tier"]), row["arrival_date"], row["talent_id"])


def test_counts_and_added_and_removed_ids_follow_both_rules():
    frame, rows = sample_frame(400)
    result = simulate(frame, current_rule=CURRENT, draft_rule=DRAFT)
    now = {r["talent_id"] for r in rows if r["degree"] == "doctor" and r["age"] <= 45}
    draft = {
        r["talent_id"]
        for r in rows
        if r["degree"] == "doctor" and r["age"] <= 50 and r["employment_type"] == "full_time"
    }
    assert (result.current_count, result.draft_count) == (len(now), len(draft))
    assert result.added_ids == sorted(draft - now) and result.added_ids
    assert result.removed_ids == sorted(now - draft) and result.removed_ids


def test_costs_are_decimal_yuan_summed_over_qualifying_talents():
    frame, rows = sample_frame(400)
    result = simulate(frame, current_rule=CURRENT, draft_rule=DRAFT, current_amount=CURRENT_AMOUNT,
                      draft_amount=DRAFT_AMOUNT)  # fmt: skip
    draft_rows = [
        r for r in rows if r["degree"] == "doctor" and r["age"] <= 50 and r["employment_type"] == "full_time"
    ]
    expected = sum(250000 if r["has_overseas_degree"] else 200000 for r in draft_rows)
    assert result.draft_cost == Decimal(expected).quantize(Decimal("0.01"))
    assert result.current_cost == Decimal(150000 * result.current_count).quantize(Decimal("0.01"))
    assert isinstance(result.draft_cost, Decimal)


def test_figures_by_region_and_by_tier_add_up_and_match_the_rows():
    frame, rows = sample_frame(400)
    result = simulate(frame, current_rule=CURRENT, draft_rule=DRAFT, current_amount=CURRENT_AMOUNT,
                      draft_amount=DRAFT_AMOUNT)  # fmt: skip
    draft_by_region = Counter(
        r["region"]
        for r in rows
        if r["degree"] == "doctor" and r["age"] <= 50 and r["employment_type"] == "full_time"
    )
    assert {g.key: g.draft_count for g in result.by_region if g.draft_count} == dict(draft_by_region)
    assert sum(g.draft_cost for g in result.by_tier) == result.draft_cost
    assert sum(g.added for g in result.by_tier) == len(result.added_ids)
    assert sum(g.removed for g in result.by_region) == len(result.removed_ids)
    tiers = [g.key for g in result.by_tier]
    assert tiers == [t for t in TIER_ORDER if t in tiers]  # A … E, then no tier


def test_budget_that_covers_the_draft_holds_and_queues_nobody():
    frame, _ = sample_frame(200)
    result = simulate(frame, current_rule=None, draft_rule=DRAFT, draft_amount=DRAFT_AMOUNT,
                      budget_total=Decimal("1e9"))  # fmt: skip
    assert result.budget_holds and result.queued_count == 0 and result.granted_count == result.draft_count


def test_budget_shortfall_queues_talents_in_tier_then_arrival_order():
    rows = [
        default_row(1, tier="", arrival_date=dt.date(2010, 1, 1)),
        default_row(2, tier="C", arrival_date=dt.date(2019, 1, 1)),
        default_row(3, tier="A", arrival_date=dt.date(2020, 1, 1)),
        default_row(4, tier="C", arrival_date=dt.date(2015, 1, 1)),
        default_row(5, tier="E", arrival_date=dt.date(2011, 1, 1)),
        default_row(6, tier="B", arrival_date=dt.date(2018, 1, 1)),
        default_row(7, tier="C", arrival_date=dt.date(2015, 1, 1)),
    ]
    frame = frame_from_rows(rows)
    result = simulate(frame, current_rule=None, draft_rule=compile_rule("true"),
                      draft_amount=compile_rule("10000", expect="number"), budget_total=Decimal("50000"),
                      already_committed=Decimal("20000"))  # fmt: skip
    assert result.remaining_budget == Decimal("30000")
    assert not result.budget_holds
    assert result.granted_count == 3 and result.queued_count == 4
    expected_order = [r["talent_id"] for r in sorted(rows, key=queue_key)]
    assert expected_order == [3, 6, 4, 7, 2, 5, 1]
    assert result.queued_ids == expected_order[3:]


def test_allocation_is_a_strict_queue_where_a_cheaper_later_talent_does_not_jump_ahead():
    rows = [default_row(1, tier="A"), default_row(2, tier="B"), default_row(3, tier="C")]
    frame = frame_from_rows(rows)
    amounts = pl.Series([60000.0, 50000.0, 10000.0])
    granted, queued = allocate_within_budget(frame, pl.Series([True, True, True]), amounts, Decimal("100000"))
    assert (granted, queued) == ([1], [2, 3])


def test_allocation_skips_ineligible_talents_and_accepts_expressions():
    frame, rows = sample_frame(60)
    granted, queued = allocate_within_budget(frame, pl.col("age") > 40, pl.col("age") * 100.0, None)
    expected = [r["talent_id"] for r in sorted((r for r in rows if r["age"] > 40), key=queue_key)]
    assert granted == expected and queued == []


def test_allocation_counts_money_in_fen_and_exact_fits_are_granted():
    frame = frame_from_rows([default_row(1), default_row(2)])
    granted, queued = allocate_within_budget(frame, pl.lit(True), pl.Series([0.1, 0.2]), Decimal("0.30"))
    assert (granted, queued) == ([1, 2], [])


def test_negative_amounts_cost_nothing():
    frame = frame_from_rows([default_row(1, age=30)])
    result = simulate(frame, current_rule=None, draft_rule=compile_rule("true"),
                      draft_amount=compile_rule("talent.age - 100", expect="number"))  # fmt: skip
    assert result.draft_cost == Decimal("0.00")


def test_a_new_policy_has_nobody_qualifying_now():
    frame, _ = sample_frame(50)
    result = simulate(frame, current_rule=None, draft_rule=compile_rule("talent.age > 30"))
    assert result.current_count == 0 and result.added_ids == sorted(
        frame.filter(pl.col("age") > 30)["talent_id"]
    )


def test_simulation_writes_nothing_to_the_frame():
    frame, _ = sample_frame(50)
    before = frame.clone()
    simulate(
        frame, current_rule=CURRENT, draft_rule=DRAFT, draft_amount=DRAFT_AMOUNT, budget_total=Decimal(1)
    )
    assert frame.equals(before)


def test_result_serializes_to_json():
    frame, _ = sample_frame(50)
    result = simulate(frame, current_rule=CURRENT, draft_rule=DRAFT, draft_amount=DRAFT_AMOUNT,
                      budget_total=Decimal("100000"))  # fmt: skip
    data = json.loads(json.dumps(result.as_dict()))
    assert data["budget_total"] == "100000" and isinstance(data["by_region"], list)


def test_simulate_rejects_an_amount_rule_as_the_draft_rule():
    frame, _ = sample_frame(5)
    with pytest.raises(ValueError):
        simulate(frame, current_rule=None, draft_rule=compile_rule("1", expect="number"))
