"""The reference evaluator: celpy itself, one talent at a time. It is the ground truth.

The batch path (polars) and the explanation path (Python closures) must agree with it on every talent;
the tests check that. It runs the original rule text with celpy's interpreter, with the one custom
function of the rule language, `date("YYYY-MM-DD")`, registered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import celpy
from celpy import celtypes
from celpy.evaluation import CELFunction

from rencai.policies.engine.rules import CompiledRule
from rencai.policies.engine.schema import feature_row_to_cel

_ENVIRONMENT = celpy.Environment()


class RuleRuntimeError(RuntimeError):
    """celpy could not evaluate a rule for a talent (a well-typed rule never gets here)."""

    code = "rule_runtime_error"

    def __init__(self, source: str, detail: str) -> None:
        self.message_zh = f"规则运行出错：{detail}"
        self.message_en = f"the rule failed at run time: {detail}"
        super().__init__(f"{self.message_en} ({source})")


def cel_date(text: celtypes.StringType) -> celtypes.TimestampType:
    """`date("YYYY-MM-DD")`: midnight UTC of that day, the same instant the feature rows use."""
    day = dt.date.fromisoformat(str(text))
    return celtypes.TimestampType(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))


FUNCTIONS: dict[str, CELFunction] = {"date": cel_date}


@lru_cache(maxsize=4096)
def reference_program(source: str) -> celpy.Runner:
    """celpy's runnable program for a rule text (cached)."""
    return _ENVIRONMENT.program(_ENVIRONMENT.compile(source), functions=FUNCTIONS)


def to_python(value: Any) -> bool | int | float:
    """celpy's result as a plain Python value (celpy sometimes returns plain floats for doubles)."""
    if isinstance(value, celtypes.BoolType | bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    raise TypeError(f"unexpected CEL result {value!r}")


def reference_evaluate(
    rule: CompiledRule | str, row: Mapping[str, Any] | None = None, *, activation: dict | None = None
) -> bool | int | float:
    """Evaluate one rule for one talent with celpy. Pass `activation` (from `feature_row_to_cel`) to
    reuse one conversion of a row across many rules."""
    source = rule.source if isinstance(rule, CompiledRule) else rule
    if activation is None:
        if row is None:
            raise ValueError("give a feature row or an activation")
        activation = feature_row_to_cel(row)
    try:
        result = reference_program(source).evaluate(activation)
    except celpy.CELEvalError as error:
        raise RuleRuntimeError(source, str(error.args[0] if error.args else error)) from error
    if isinstance(result, celpy.CELEvalError):
        raise RuleRuntimeError(source, str(result.args[0] if result.args else result))
    return to_python(result)
