"""Rule text read into the form, or the reason the form cannot show it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rencai.policies.engine import RuleError, compile_rule
from rencai.policies.engine.explain import expression_text
from rencai.policies.engine.nodes import (
    Binary,
    Call,
    Conditional,
    FeatureRef,
    ListLiteral,
    Literal,
    Node,
    Unary,
)
from rencai.policies.engine.schema import BOOL, INT, STRING
from rencai.policies.rule_builder.fields import (
    CATALOGUE,
    MAX_AMOUNT,
    Amount,
    Catalogue,
    Combine,
    Condition,
    Eligibility,
    Field,
    Group,
    InputProblem,
    Kind,
    Op,
    Unreadable,
    checked_condition,
)
from rencai.policies.rule_builder.write import to_rule


class _CannotShow(Exception):
    def __init__(self, node: Node, zh: str = "", en: str = "") -> None:
        super().__init__(zh)
        self.node, self.zh, self.en = node, zh, en


_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
_MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NONE = object()
_OPPOSITE = {"&&": "||", "||": "&&"}
_COMBINE = {"&&": Combine.ALL, "||": Combine.ANY}


def _constant(node: Node | None) -> Any:
    """The value of a literal, a negative number, a date("…") or a list of them; _NONE otherwise."""
    if isinstance(node, Literal) and node.kind in (INT, STRING, BOOL):
        return node.value
    if isinstance(node, Unary) and node.op == "-" and isinstance(node.operand, Literal):
        return -node.operand.value if node.operand.kind == INT else _NONE
    if isinstance(node, Call) and node.name == "date" and node.target is None and len(node.args) == 1:
        text = _constant(node.args[0])
        return dt.date.fromisoformat(text) if isinstance(text, str) else _NONE
    if isinstance(node, ListLiteral):
        items = [_constant(item) for item in node.items]
        return _NONE if any(item is _NONE for item in items) else items
    return _NONE


def _chain(node: Node, op: str) -> list[Node]:
    """The operands of a left-nested chain `a op b op c` (brackets on the right stay operands)."""
    operands: list[Node] = []
    while isinstance(node, Binary) and node.op == op:
        operands.append(node.right)  # type: ignore[arg-type]
        node = node.left  # type: ignore[assignment]
    operands.append(node)
    return operands[::-1]


class _Reader:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    # conditions

    def condition(self, node: Node) -> Condition | None:
        """The node as one condition row, None when it is not one the form can show."""
        try:
            return self._condition(node)
        except InputProblem:
            return None

    def _condition(self, node: Node) -> Condition | None:
        if isinstance(node, FeatureRef):
            return self._flag(node, True)
        if isinstance(node, Unary) and node.op == "!":
            return self._negated(node.operand)  # type: ignore[arg-type]
        if not isinstance(node, Binary):
            return None
        if node.op == "&&":
            return self._between(node)
        if node.op == "||":
            return self._includes(node, Op.INCLUDES_ANY)
        if node.op == "in" and isinstance(node.right, FeatureRef):
            return self._includes(node, Op.INCLUDES_ANY)
        if node.op == "in" and isinstance(node.left, FeatureRef):
            values = _constant(node.right)
            return None if values is _NONE else self._compare(node.left.name, "in", values)
        if node.op not in _COMPARISONS:
            return None
        left, right, op = node.left, node.right, node.op
        if isinstance(right, FeatureRef) and not isinstance(left, FeatureRef):
            left, right, op = right, left, _MIRRORED[op]
        value = _constant(right)
        if not isinstance(left, FeatureRef) or value is _NONE or isinstance(value, list):
            return None
        return self._compare(left.name, op, value)

    def _flag(self, node: FeatureRef, holds: bool) -> Condition | None:
        field = self.catalogue.fields.get(node.name)
        if field is None or field.kind != Kind.FLAG:
            return None
        return Condition(field.name, Op.YES if holds else Op.NO)

    def _negated(self, node: Node) -> Condition | None:
        if isinstance(node, FeatureRef):
            return self._flag(node, False)
        inner = self._condition(node)
        if inner is None:
            return None
        flipped = {
            Op.EQUALS: Op.NOT_ONE_OF,
            Op.ONE_OF: Op.NOT_ONE_OF,
            Op.NOT_ONE_OF: Op.ONE_OF,
            Op.INCLUDES_ANY: Op.INCLUDES_NONE,
            Op.INCLUDES_NONE: Op.INCLUDES_ANY,
            Op.YES: Op.NO,
            Op.NO: Op.YES,
        }
        field = self.catalogue.fields[inner.field]
        if inner.op in (Op.AT_LEAST, Op.AT_MOST) and field.kind == Kind.ORDERED and not field.rank_feature:
            # !(talent.tier in ["C", "D", "E"]) read "不高于 C类" inside: it is the set of levels it names
            at = field.ranked.index(inner.values[0])
            levels = field.ranked[: at + 1] if inner.op == Op.AT_LEAST else field.ranked[at:]
            return checked_condition(field, Op.NOT_ONE_OF, levels)
        if inner.op not in flipped:
            return None
        return checked_condition(field, flipped[inner.op], inner.values)

    def _between(self, node: Binary) -> Condition | None:
        low, high = self._condition(node.left), self._condition(node.right)  # type: ignore[arg-type]
        if (
            low is None
            or high is None
            or low.field != high.field
            or (low.op, high.op) != (Op.AT_LEAST, Op.AT_MOST)
        ):
            return None
        field = self.catalogue.fields[low.field]
        if field.kind != Kind.NUMBER:
            return None
        return checked_condition(field, Op.BETWEEN, [low.values[0], high.values[0]])

    def _includes(self, node: Binary, op: Op) -> Condition | None:
        """`"a" in talent.programmes`, or such tests of one list joined by ||."""
        values, name = [], None
        for test in _chain(node, "||"):
            if not (isinstance(test, Binary) and test.op == "in" and isinstance(test.right, FeatureRef)):
                return None
            value = _constant(test.left)
            if not isinstance(value, str) or name not in (None, test.right.name):
                return None
            values.append(value)
            name = test.right.name
        field = self.catalogue.fields.get(name or "")
        if field is None or field.kind != Kind.LIST:
            return None
        return checked_condition(field, op, values)

    def _compare(self, feature: str, op: str, value: Any) -> Condition | None:
        field = self.catalogue.field_of_feature(feature)
        if field is None:
            return None
        if feature == field.rank_feature:
            return self._ranked(field, op, value)
        if field.kind in (Kind.NUMBER, Kind.DATE):
            return self._bound(field, op, value)
        if field.kind == Kind.FLAG and op in ("==", "!=") and isinstance(value, bool):
            return Condition(field.name, Op.YES if (op == "==") == value else Op.NO)
        if field.kind not in (Kind.ORDERED, Kind.CHOICE):
            return None
        if op == "==":
            return checked_condition(field, Op.EQUALS if field.kind == Kind.ORDERED else Op.ONE_OF, [value])
        if op == "!=":
            return checked_condition(field, Op.NOT_ONE_OF, [value])
        if op == "in":
            return self._set(field, value)
        if field.kind == Kind.ORDERED and isinstance(value, int) and not isinstance(value, bool):
            # skill levels compared as numbers: the set of levels the comparison keeps
            keep = {"<": value.__gt__, "<=": value.__ge__, ">": value.__lt__, ">=": value.__le__}[op]
            return self._set(field, [c.value for c in field.choices if keep(c.value)])
        return None

    def _bound(self, field: Field, op: str, value: Any) -> Condition | None:
        step: Any = 1 if field.kind == Kind.NUMBER else dt.timedelta(days=1)
        expected = int if field.kind == Kind.NUMBER else dt.date
        if not isinstance(value, expected) or isinstance(value, bool):
            return None
        bounds = {
            "<=": (Op.AT_MOST, value),
            "<": (Op.AT_MOST, value - step),
            ">=": (Op.AT_LEAST, value),
            ">": (Op.AT_LEAST, value + step),
        }
        if field.kind == Kind.NUMBER:
            bounds["=="] = (Op.EQUALS, value)
        if op not in bounds:
            return None
        form_op, bound = bounds[op]
        return checked_condition(field, form_op, [bound])

    def _ranked(self, field: Field, op: str, value: Any) -> Condition | None:
        """Degree and title compared through their number features (talent.degree_level >= 3)."""
        by_rank = {rank: v for v, rank in field.ranks.items()}
        if op == "in":
            return checked_condition(field, Op.ONE_OF, [by_rank.get(rank, _NONE) for rank in value])
        if not isinstance(value, int):
            return None
        rank = {"<": value - 1, ">": value + 1}.get(op, value)
        form_op = {"<": Op.AT_MOST, "<=": Op.AT_MOST, ">": Op.AT_LEAST, ">=": Op.AT_LEAST, "==": Op.EQUALS}
        if op not in form_op or rank not in by_rank:
            return None
        return checked_condition(field, form_op[op], [by_rank[rank]])

    def _set(self, field: Field, values: list[Any]) -> Condition | None:
        """Membership; on tier and skill a top or bottom run of levels reads as 不低于 / 不高于."""
        if not values:
            return None
        chosen, ranked = set(values), list(field.ranked)
        if field.kind == Kind.ORDERED and not field.rank_feature and chosen <= set(ranked):
            for at in range(len(ranked)):
                if chosen == set(ranked[: at + 1]):
                    return checked_condition(field, Op.AT_LEAST, [ranked[at]])
                if chosen == set(ranked[at:]):
                    return checked_condition(field, Op.AT_MOST, [ranked[at]])
        return checked_condition(field, Op.ONE_OF, values)

    # eligibility

    def eligibility(self, root: Node) -> Eligibility:
        if not (isinstance(root, Binary) and root.op in _OPPOSITE):
            return Eligibility(Combine.ANY, (Group(Combine.ALL, (self.need(root),)),))
        top, inner = _COMBINE[root.op], _OPPOSITE[root.op]
        items = self._operands(root, root.op)
        if all(isinstance(item, Condition) for item in items):
            return Eligibility(Combine.ANY, (Group(top, tuple(items)),))  # type: ignore[arg-type]
        # single conditions of the chain gather in a group of the chain's own kind; a bracketed chain of
        # the other kind is a group of its own
        groups: list[tuple[Combine, list[Condition]]] = []
        gathering = False
        for item in items:
            if isinstance(item, Condition):
                if not gathering:
                    groups.append((top, []))
                groups[-1][1].append(item)
                gathering = True
            else:
                groups.append((_COMBINE[inner], [self.need(node) for node in self._flat(item, inner)]))
                gathering = False
        return Eligibility(top, tuple(Group(combine, tuple(conditions)) for combine, conditions in groups))

    def _operands(self, node: Node, op: str) -> list[Condition | Node]:
        """A chain's operands as conditions where they are one; bracketed chains of `op` are opened."""
        items: list[Condition | Node] = []
        for operand in _chain(node, op):
            condition = self.condition(operand)
            if condition is not None:
                items.append(condition)
            elif isinstance(operand, Binary) and operand.op == op:
                items.extend(self._operands(operand, op))
            elif isinstance(operand, Binary) and operand.op == _OPPOSITE[op]:
                items.append(operand)
            else:
                items.append(self.need(operand))  # raises: says why the form cannot show it
        return items

    def _flat(self, node: Node, op: str) -> list[Node]:
        nodes: list[Node] = []
        for operand in _chain(node, op):
            if self.condition(operand) is None and isinstance(operand, Binary) and operand.op == op:
                nodes.extend(self._flat(operand, op))
            else:
                nodes.append(operand)
        return nodes

    def need(self, node: Node) -> Condition:
        try:
            condition = self._condition(node)
        except InputProblem as problem:  # a condition the form has, with a value it does not offer
            raise _CannotShow(
                node,
                f"{problem.zh}（{expression_text(node, 'zh')}）",
                f"{problem.en} ({expression_text(node, 'en')})",
            ) from None
        if condition is None:
            if isinstance(node, Binary) and node.op in _OPPOSITE:
                raise _CannotShow(
                    node,
                    "条件的“且”“或”嵌套超过两层，表单只能表示一层条件组",
                    "the conditions nest 'and' and 'or' more than two levels deep; "
                    "the form has one level of groups",
                )
            if isinstance(node, Literal):
                raise _CannotShow(
                    node,
                    "规则不含任何条件，表单至少需要一个条件",
                    "the rule has no condition; the form needs one",
                )
            raise _CannotShow(node)
        return condition

    # amounts

    def amount(self, root: Node) -> Amount:
        fixed = self._yuan(root, required=False)
        if fixed is not None:
            return Amount(otherwise=fixed)
        rows: list[tuple[Any, int]] = []
        by, node = "", root
        while isinstance(node, Conditional):
            test = self.need(node.test)  # type: ignore[arg-type]
            field = self.catalogue.fields[test.field]
            if field.kind == Kind.FLAG and node is root:
                then, otherwise = self._yuan(node.then), self._yuan(node.otherwise)
                yes, no = (then, otherwise) if test.op == Op.YES else (otherwise, then)
                return Amount(by=field.name, rows=((True, yes), (False, no)), otherwise=None)  # type: ignore[arg-type]
            if test.op not in (Op.EQUALS, Op.ONE_OF) or len(test.values) != 1 or by not in ("", field.name):
                raise _CannotShow(
                    node.test,  # type: ignore[arg-type]
                    "金额表只能按一个条件项逐项列出",
                    "an amount table lists the values of one field",
                )
            if any(test.values[0] == value for value, _ in rows):
                raise _CannotShow(node.test)  # type: ignore[arg-type]
            by = field.name
            rows.append((test.values[0], self._yuan(node.then)))  # type: ignore[arg-type]
            node = node.otherwise  # type: ignore[assignment]
        return Amount(by=by, rows=tuple(rows), otherwise=self._yuan(node))

    def _yuan(self, node: Node | None, required: bool = True) -> int | None:
        value = _constant(node)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_AMOUNT:
            return value
        if required:
            text_zh, text_en = expression_text(node, "zh"), expression_text(node, "en")  # type: ignore[arg-type]
            raise _CannotShow(
                node,  # type: ignore[arg-type]
                f"金额表中的金额只能是不小于0的整数（元），此处是：{text_zh}",
                f"amounts in an amount table are whole yuan, 0 or more; here it is: {text_en}",
            )
        return None


def from_rule(
    text: str, *, expect: str = "bool", catalogue: Catalogue = CATALOGUE
) -> Eligibility | Amount | Unreadable:
    """The form of a rule, or Unreadable saying why the form cannot show it."""
    try:
        compiled = compile_rule(text, expect=expect, cache=False)
    except RuleError:
        return Unreadable(
            "规则有错误，请在规则文本中改正后再用表单编辑",
            "the rule has errors: correct them in the rule text before using the form",
        )
    reader = _Reader(catalogue)
    try:
        form: Eligibility | Amount = (
            reader.eligibility(compiled.root) if expect == "bool" else reader.amount(compiled.root)
        )
        compile_rule(to_rule(form, catalogue), expect=expect, cache=False)
    except _CannotShow as cannot:
        return Unreadable(
            cannot.zh or f"表单无法表示这部分规则：{expression_text(cannot.node, 'zh')}",
            cannot.en or f"the form cannot show this part of the rule: {expression_text(cannot.node, 'en')}",
        )
    except (InputProblem, RuleError):  # the form's own rule must check; never show a form that does not
        return Unreadable("表单无法准确表示此规则", "the form cannot show this rule exactly")
    return form
