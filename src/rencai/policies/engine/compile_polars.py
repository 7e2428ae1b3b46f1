"""Compile a checked rule to one vectorized polars expression (no Python callbacks).

What a person would write by hand is what comes out: `&`/`|`, comparisons, `list.contains` for list
features, constant subtrees folded, and nested `?:` flattened into one `when/then` chain.

Measured on polars 2.1 (1M rows): `is_in` on a string column costs 8–15 ms whatever the list, while
each `==` costs about 0.7 ms, so a string list literal of up to `STRING_IS_IN_THRESHOLD` values becomes
an OR of equalities; integer lists always use `is_in` (under 1 ms). `replace_strict` lookups were
slower than a `when/then` chain (16 ms against 2.4 ms for three tiers), so amounts keep the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import polars as pl

from rencai.policies.engine.interpret import evaluate_constant
from rencai.policies.engine.nodes import (
    Binary,
    Call,
    Comprehension,
    Conditional,
    FeatureRef,
    ListLiteral,
    Literal,
    Name,
    Node,
    Unary,
    is_constant,
    is_list,
)
from rencai.policies.engine.schema import INT, STRING, polars_type

if TYPE_CHECKING:
    from polars.expr.whenthen import ChainedThen, Then

STRING_IS_IN_THRESHOLD = 10


def to_polars(root: Node, *, expect: str) -> pl.Expr:
    """The rule as a polars expression: Boolean for expect="bool", Float64 for expect="number"."""
    expression = _expr(root)
    if expect == "number":
        expression = expression.cast(pl.Float64)
    if not expression.meta.root_names():
        # a rule that reads no column (e.g. "150000") still yields one value per talent
        expression = pl.repeat(expression, pl.len())
    return expression


def _expr(node: Node) -> pl.Expr:
    if (
        not isinstance(node, Literal | ListLiteral)
        and node.type
        and not is_list(node.type)
        and is_constant(node)
    ):
        return _lit(evaluate_constant(node), node.type)
    return _COMPILERS[type(node)](node)


def _lit(value: Any, type_: str) -> pl.Expr:
    return pl.lit(value, dtype=polars_type(type_))


def _literal(node: Literal) -> pl.Expr:
    return _lit(node.value, node.kind)


def _list_literal(node: ListLiteral) -> pl.Expr:
    raise NotImplementedError("list literals compile only inside 'in' and exists/all")


def _feature(node: FeatureRef) -> pl.Expr:
    return pl.col(node.name)


def _name(node: Name) -> pl.Expr:
    return pl.element()


def _unary(node: Unary) -> pl.Expr:
    operand = _expr(node.operand)  # type: ignore[arg-type]
    return ~operand if node.op == "!" else -operand


_COMPARE: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "&&": lambda a, b: a & b,
    "||": lambda a, b: a | b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
}


def _binary(node: Binary) -> pl.Expr:
    if node.op == "in":
        return _membership(node)
    left, right = _expr(node.left), _expr(node.right)  # type: ignore[arg-type]
    if node.op == "/":
        if node.type == INT:
            return _int_division(left, evaluate_constant(node.right))  # type: ignore[arg-type]
        return _double_division(left, right)
    if node.op == "%":
        divisor = abs(evaluate_constant(node.right))  # type: ignore[arg-type]
        # CEL: the remainder takes the sign of the dividend
        return (left.abs() % divisor) * left.sign()
    return _COMPARE[node.op](left, right)


def _double_division(left: pl.Expr, divisor: pl.Expr) -> pl.Expr:
    """IEEE division, as CEL does it. polars divides by a scalar as a multiplication by its reciprocal,
    which can differ in the last bit, so the divisor is made a column: `left * 0.0 + c` is exactly `c`
    (the type checker keeps `left` finite)."""
    return left / (left * 0.0 + divisor)


def _int_division(left: pl.Expr, divisor: int) -> pl.Expr:
    """CEL integer division truncates toward zero; polars' // floors, so divide magnitudes."""
    quotient = left.abs() // abs(divisor)
    return quotient * left.sign() * (1 if divisor > 0 else -1)


def _any(expressions: list[pl.Expr]) -> pl.Expr:
    result = expressions[0]
    for expression in expressions[1:]:
        result = result | expression
    return result


def values_in(subject: pl.Expr, values: Iterable, cel_type: str = STRING) -> pl.Expr:
    """`subject in values` in the fastest form polars 2.1 offers (see the module docstring); also for
    callers outside the engine, e.g. restricting a policy to its region codes."""
    distinct = sorted(set(values), key=repr)
    if not distinct:
        return pl.repeat(False, pl.len())
    if len(distinct) == 1 or (cel_type == STRING and len(distinct) <= STRING_IS_IN_THRESHOLD):
        return _any([subject == _lit(value, cel_type) for value in distinct])
    return subject.is_in(pl.Series(distinct, dtype=polars_type(cel_type)).implode())


def _membership(node: Binary) -> pl.Expr:
    left, right = node.left, node.right
    if isinstance(right, ListLiteral):
        if not right.items:
            return pl.lit(False)
        if is_constant(right):
            return values_in(_expr(left), evaluate_constant(right), left.type)  # type: ignore[arg-type, union-attr]
        subject = _expr(left)  # type: ignore[arg-type]
        return _any([subject == _expr(item) for item in right.items])
    return _expr(right).list.contains(_expr(left))  # type: ignore[arg-type]


def _conditional(node: Conditional) -> pl.Expr:
    branches: list[tuple[Node, Node]] = []
    current: Node = node
    while isinstance(current, Conditional):
        branches.append((current.test, current.then))  # type: ignore[arg-type]
        current = current.otherwise  # type: ignore[assignment]
    (test, then), *rest = branches
    chain: Then | ChainedThen = pl.when(_expr(test)).then(_expr(then))
    for test, then in rest:
        chain = chain.when(_expr(test)).then(_expr(then))
    return chain.otherwise(_expr(current))


def _call(node: Call) -> pl.Expr:
    name = node.name
    subject_node = node.target if node.target is not None else node.args[0]
    if name == "size":
        if isinstance(subject_node, ListLiteral):
            return pl.lit(len(subject_node.items), dtype=pl.Int64)
        subject = _expr(subject_node)
        length = subject.list.len() if is_list(subject_node.type) else subject.str.len_chars()
        return length.cast(pl.Int64)
    subject = _expr(subject_node)
    if name == "int":
        return subject.cast(pl.Int64)
    if name == "double":
        return subject.cast(pl.Float64)
    argument = _expr(node.args[0])
    if name == "contains":
        return subject.str.contains(argument, literal=True)
    if name == "startsWith":
        return subject.str.starts_with(argument)
    return subject.str.ends_with(argument)


def _comprehension(node: Comprehension) -> pl.Expr:
    target = node.target
    if isinstance(target, ListLiteral):
        # the body uses only the variable and constants, so over a literal list the whole thing is constant
        return pl.lit(evaluate_constant(node), dtype=pl.Boolean)
    body = _expr(node.body)  # type: ignore[arg-type]
    evaluated = _expr(target).list.eval(body)  # type: ignore[arg-type]
    return evaluated.list.any() if node.name == "exists" else evaluated.list.all()


_COMPILERS: dict[type, Callable[[Any], pl.Expr]] = {
    Literal: _literal,
    ListLiteral: _list_literal,
    FeatureRef: _feature,
    Name: _name,
    Unary: _unary,
    Binary: _binary,
    Conditional: _conditional,
    Call: _call,
    Comprehension: _comprehension,
}
