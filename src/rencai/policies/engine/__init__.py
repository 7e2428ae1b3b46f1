"""The policy engine: CEL eligibility and amount rules over the talent feature frame. No Django here.

    compile_rule(source, expect="bool"|"number") -> CompiledRule      (RuleError lists RuleProblems)
    CompiledRule.to_polars() -> pl.Expr                                 (batch path)
    evaluate_rules(frame, {key: rule}) / evaluate_amounts(frame, {key: rule}) -> pl.DataFrame
    reference_evaluate(rule, row) -> bool | int | float                 (celpy: the ground truth)
    explain(rule, row, amount_rule=None) -> Explanation                 (render_zh / render_en / as_dict)
    simulate(frame, current_rule=…, draft_rule=…, …) -> SimulationResult
    allocate_within_budget(frame, eligible_mask, amounts, remaining_budget) -> (granted_ids, queued_ids)
    values_in(pl.col("region"), codes) -> pl.Expr                       (fast string membership)

The rule language and its limits are documented in `parse`; the features in `schema`.
"""

from rencai.policies.engine.compile_polars import values_in
from rencai.policies.engine.evaluate import evaluate_amounts, evaluate_rules
from rencai.policies.engine.explain import AmountExplanation, Clause, Explanation, explain
from rencai.policies.engine.problems import RuleError, RuleProblem
from rencai.policies.engine.reference import RuleRuntimeError, reference_evaluate
from rencai.policies.engine.rules import CompiledRule, compile_rule
from rencai.policies.engine.schema import (
    FEATURES,
    Feature,
    FrameError,
    check_frame,
    default_row,
    empty_frame,
    feature_row_to_cel,
    frame_from_rows,
    frame_schema,
)
from rencai.policies.engine.simulate import (
    QUEUE_ORDER,
    TIER_ORDER,
    GroupFigures,
    SimulationResult,
    allocate_within_budget,
    simulate,
)

__all__ = [
    "FEATURES",
    "QUEUE_ORDER",
    "TIER_ORDER",
    "AmountExplanation",
    "Clause",
    "CompiledRule",
    "Explanation",
    "Feature",
    "FrameError",
    "GroupFigures",
    "RuleError",
    "RuleProblem",
    "RuleRuntimeError",
    "SimulationResult",
    "allocate_within_budget",
    "check_frame",
    "compile_rule",
    "default_row",
    "empty_frame",
    "evaluate_amounts",
    "evaluate_rules",
    "explain",
    "feature_row_to_cel",
    "frame_from_rows",
    "frame_schema",
    "reference_evaluate",
    "simulate",
    "values_in",
]
