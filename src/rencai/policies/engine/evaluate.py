"""Evaluate many compiled rules over a whole feature frame at once.

All rules go into one `select`, so polars evaluates them in parallel over the columns they share;
common sub-expressions (the same `talent.tier in [...]` in several policies) are computed once.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import polars as pl

from rencai.policies.engine.rules import CompiledRule
from rencai.policies.engine.schema import TALENT_ID, check_frame


def _columns(rules: Mapping[Hashable, CompiledRule], expect: str) -> list[pl.Expr]:
    names = [str(key) for key in rules]
    if len(set(names)) != len(names) or TALENT_ID in names:
        raise ValueError("rule keys must be distinct as strings and not 'talent_id'")
    columns = []
    for name, rule in zip(names, rules.values(), strict=True):
        if rule.expect != expect:
            raise ValueError(f"rule {name!r} is a {rule.expect} rule, expected {expect}")
        columns.append(rule.to_polars().alias(name))
    return columns


def _select(frame: pl.DataFrame, rules: Mapping[Hashable, CompiledRule], expect: str) -> pl.DataFrame:
    check_frame(frame, set().union(*(rule.features for rule in rules.values())))
    columns = _columns(rules, expect)
    # lazy + collect lets polars eliminate sub-expressions shared between rules
    return frame.lazy().select(pl.col(TALENT_ID), *columns).collect()


def evaluate_rules(frame: pl.DataFrame, rules: Mapping[Hashable, CompiledRule]) -> pl.DataFrame:
    """talent_id plus one Boolean column per eligibility rule, named `str(key)`, in frame order."""
    return _select(frame, rules, "bool")


def evaluate_amounts(frame: pl.DataFrame, rules: Mapping[Hashable, CompiledRule]) -> pl.DataFrame:
    """talent_id plus one Float64 column per amount rule, named `str(key)`, in frame order."""
    return _select(frame, rules, "number")
