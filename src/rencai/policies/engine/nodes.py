"""The rule syntax tree: the engine's own small node classes, built from celpy's lark tree by `parse`.

The type checker fills `type` (and `range` for numbers) in place; every later stage (polars compiler,
row interpreter, explanation) reads only these nodes, never lark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rencai.policies.engine.schema import BOOL, DOUBLE, INT, STRING, TIMESTAMP

ERROR = "error"  # the type of a node that already produced a problem (stops cascades)
EMPTY_LIST = "list<?>"  # the type of the empty list literal
SCALAR_TYPES = (INT, DOUBLE, BOOL, STRING, TIMESTAMP)
NUMERIC_TYPES = (INT, DOUBLE)


def list_of(element_type: str) -> str:
    return f"list<{element_type}>"


def element_of(list_type: str) -> str | None:
    """The element type of a list type; None for non-lists and the empty list."""
    if list_type.startswith("list<") and list_type != EMPTY_LIST:
        return list_type[5:-1]
    return None


def is_list(type_name: str | None) -> bool:
    return bool(type_name) and type_name.startswith("list<")  # type: ignore[union-attr]


@dataclass(eq=False)
class Node:
    line: int
    column: int
    type: str | None = field(default=None, init=False)
    # (low, high) bounds of a numeric node, set by the type checker
    range: tuple[Any, Any] | None = field(default=None, init=False)

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(eq=False)
class Literal(Node):
    value: Any = None
    kind: str = INT  # int, double, string, bool


@dataclass(eq=False)
class ListLiteral(Node):
    items: list[Node] = field(default_factory=list)

    def children(self) -> tuple[Node, ...]:
        return tuple(self.items)


@dataclass(eq=False)
class FeatureRef(Node):
    """`talent.<name>`."""

    name: str = ""


@dataclass(eq=False)
class Name(Node):
    """A bare identifier: the variable of an exists/all macro (anything else is an error)."""

    name: str = ""


@dataclass(eq=False)
class Unary(Node):
    op: str = "!"  # "!" or "-"
    operand: Node | None = None

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)  # type: ignore[return-value]


@dataclass(eq=False)
class Binary(Node):
    """&& || == != < <= > >= in + - * / %."""

    op: str = "&&"
    left: Node | None = None
    right: Node | None = None
    # position of the operator itself, for error messages
    op_line: int = 0
    op_column: int = 0

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)  # type: ignore[return-value]


@dataclass(eq=False)
class Invalid(Node):
    """A construct the parser already reported as a problem."""


@dataclass(eq=False)
class Conditional(Node):
    """`test ? then : otherwise`."""

    test: Node | None = None
    then: Node | None = None
    otherwise: Node | None = None

    def children(self) -> tuple[Node, ...]:
        return (self.test, self.then, self.otherwise)  # type: ignore[return-value]


@dataclass(eq=False)
class Call(Node):
    """A function `name(args)` or, with a target, a method `target.name(args)`."""

    name: str = ""
    args: list[Node] = field(default_factory=list)
    target: Node | None = None

    def children(self) -> tuple[Node, ...]:
        return ((self.target,) if self.target is not None else ()) + tuple(self.args)


@dataclass(eq=False)
class Comprehension(Node):
    """`target.exists(var, body)` or `target.all(var, body)`."""

    name: str = "exists"
    target: Node | None = None
    var: str = ""
    body: Node | None = None

    def children(self) -> tuple[Node, ...]:
        return (self.target, self.body)  # type: ignore[return-value]


def walk(node: Node):
    """Every node of a tree, parents first."""
    yield node
    for child in node.children():
        yield from walk(child)


def feature_names(node: Node) -> frozenset[str]:
    return frozenset(n.name for n in walk(node) if isinstance(n, FeatureRef))


def is_constant(node: Node) -> bool:
    """True when the node's value depends on no talent feature and no macro variable."""
    return not any(isinstance(n, FeatureRef | Name) for n in walk(node))
