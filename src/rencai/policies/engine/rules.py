"""Compiled rules: a rule text parsed and checked once, with its polars and per-row forms cached."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import polars as pl

from rencai.policies.engine.compile_polars import to_polars
from rencai.policies.engine.interpret import Evaluator, compile_node
from rencai.policies.engine.nodes import Node, feature_names
from rencai.policies.engine.parse import parse_rule
from rencai.policies.engine.problems import RuleError
from rencai.policies.engine.typecheck import check_rule

EXPECTATIONS = ("bool", "number")


@dataclass(frozen=True, eq=False)
class CompiledRule:
    """A valid rule. `expect` is "bool" (eligibility) or "number" (amount); `result_type` its CEL type."""

    source: str
    expect: str
    root: Node = field(repr=False)
    result_type: str
    features: frozenset[str]

    @cached_property
    def _polars(self) -> pl.Expr:
        return to_polars(self.root, expect=self.expect)

    def to_polars(self) -> pl.Expr:
        """Boolean expression for eligibility rules, Float64 for amount rules, over a feature frame."""
        return self._polars

    @cached_property
    def _evaluator(self) -> Evaluator:
        return compile_node(self.root)

    def evaluate_row(self, row: Mapping[str, Any]) -> Any:
        """The rule for one feature row in plain Python (bool, or int/float for amounts)."""
        return self._evaluator(row, {})

    @cached_property
    def explainer(self):  # -> explain.RulePlan (imported lazily: explain imports this module)
        from rencai.policies.engine.explain import plan_rule

        return plan_rule(self)


def compile_rule(source: str, *, expect: str = "bool", cache: bool = True) -> CompiledRule:
    """Parse and check a rule; RuleError lists every problem. Compiled rules are cached by text, except
    with `cache=False`: a rule being typed is checked once and forgotten, so a stream of large throwaway
    rules cannot grow the cache (it holds the rules policies actually use)."""
    if expect not in EXPECTATIONS:
        raise ValueError(f"expect must be one of {EXPECTATIONS}, not {expect!r}")
    return _compile(source, expect) if cache else _compile.__wrapped__(source, expect)


@lru_cache(maxsize=1024)
def _compile(source: str, expect: str) -> CompiledRule:
    root = parse_rule(source)
    problems = check_rule(root, expect)
    if problems:
        raise RuleError(problems)
    return CompiledRule(
        source=source, expect=expect, root=root, result_type=root.type or "", features=feature_names(root)
    )
