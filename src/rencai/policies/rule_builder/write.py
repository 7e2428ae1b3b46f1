"""The form written as rule text (what the engine checks and stores), and read out in words."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from rencai.policies.rule_builder.fields import (
    CATALOGUE,
    Amount,
    Catalogue,
    Combine,
    Condition,
    Eligibility,
    Group,
    InputProblem,
    Kind,
    Op,
)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return f'date("{value.isoformat()}")'
    return json.dumps(value, ensure_ascii=False)


def _list(values: Sequence[Any]) -> str:
    return "[" + ", ".join(_literal(v) for v in values) + "]"


def _condition_text(condition: Condition, catalogue: Catalogue) -> tuple[str, bool]:
    """The condition's rule text, and whether it joins two tests (then it is bracketed among others)."""
    field = catalogue.fields[condition.field]
    ref, op, values = f"talent.{field.name}", condition.op, condition.values
    if field.kind == Kind.FLAG:
        return (ref if op == Op.YES else f"!{ref}"), False
    if op == Op.BETWEEN:
        return f"{ref} >= {_literal(values[0])} && {ref} <= {_literal(values[1])}", True
    if op in (Op.AT_LEAST, Op.AT_MOST):
        symbol = ">=" if op == Op.AT_LEAST else "<="
        if field.kind != Kind.ORDERED:
            return f"{ref} {symbol} {_literal(values[0])}", False
        if field.rank_feature:
            return f"talent.{field.rank_feature} {symbol} {field.ranks[values[0]]}", False
        at = field.ranked.index(values[0])
        levels = field.ranked[: at + 1] if op == Op.AT_LEAST else field.ranked[at:]
        return f"{ref} in {_list(levels)}", False
    if op == Op.EQUALS:
        return f"{ref} == {_literal(values[0])}", False
    if op in (Op.ONE_OF, Op.NOT_ONE_OF):
        if len(values) == 1:
            return f"{ref} {'==' if op == Op.ONE_OF else '!='} {_literal(values[0])}", False
        text = f"{ref} in {_list(values)}"
        return (text if op == Op.ONE_OF else f"!({text})"), False
    tests = " || ".join(f"{_literal(v)} in {ref}" for v in values)
    if op == Op.INCLUDES_NONE:
        return f"!({tests})", False
    return tests, len(values) > 1


_JOIN = {Combine.ALL: " && ", Combine.ANY: " || "}


def _group_text(group: Group, catalogue: Catalogue, alone: bool) -> str:
    texts = [_condition_text(c, catalogue) for c in group.conditions]
    if alone and len(texts) == 1:
        return texts[0][0]
    return _JOIN[group.combine].join(f"({text})" if compound else text for text, compound in texts)


def _eligibility_rule(form: Eligibility, catalogue: Catalogue) -> str:
    groups = [g for g in form.groups if g.conditions]
    if not groups:
        raise InputProblem("请至少添加一个条件", "Add at least one condition")
    if len(groups) == 1:
        return _group_text(groups[0], catalogue, alone=True)
    parts = [_group_text(g, catalogue, alone=False) for g in groups]
    return _JOIN[form.combine].join(
        f"({text})" if len(g.conditions) > 1 else text for g, text in zip(groups, parts, strict=True)
    )


def _amount_rule(form: Amount, catalogue: Catalogue) -> str:
    if not form.by or not form.rows:
        if form.otherwise is None:
            raise InputProblem("请填写金额", "Give the amount")
        return str(form.otherwise)
    field = catalogue.fields[form.by]
    if field.kind == Kind.FLAG:
        amounts = dict(form.rows)
        if set(amounts) != {True, False}:
            raise InputProblem("请填写“是”和“否”两种情况的金额", "Give the amount for both yes and no")
        return f"talent.{field.name} ? {amounts[True]} : {amounts[False]}"
    if form.otherwise is None:
        raise InputProblem("请填写其他人才的金额", "Give the amount for everyone else")
    text = str(form.otherwise)
    for value, amount in reversed(form.rows):
        test = f"talent.{field.name} == {_literal(value)}"
        text = f"{test} ? {amount} : ({text})" if "?" in text else f"{test} ? {amount} : {text}"
    return text


def to_rule(form: Eligibility | Amount, catalogue: Catalogue = CATALOGUE) -> str:
    """The rule text of a form (InputProblem when the form is incomplete)."""
    if isinstance(form, Amount):
        return _amount_rule(form, catalogue)
    return _eligibility_rule(form, catalogue)


# -- the form in words -------------------------------------------------------------------------

_AND = {"zh": " 且 ", "en": " and "}
_OR = {"zh": " 或 ", "en": " or "}


def describe_condition(condition: Condition, catalogue: Catalogue, lang: str) -> str:
    field = catalogue.fields[condition.field]
    op = field.operators[condition.op][0 if lang == "zh" else 1]
    labels = [field.value_label(v, lang) for v in condition.values]
    if condition.op == Op.BETWEEN:
        values = f"{labels[0]} 至 {labels[1]}" if lang == "zh" else f"{labels[0]} and {labels[1]}"
    else:
        values = ("、" if lang == "zh" else ", ").join(labels)
    return f"{field.label(lang)} {op} {values}".rstrip()


def describe_eligibility(form: Eligibility, catalogue: Catalogue, lang: str) -> str:
    """学历 不低于 硕士 且 年龄 不超过 35 且 所在县（市、区） 属于 江山市; groups bracketed."""
    groups = [g for g in form.groups if g.conditions]
    texts = [
        (_AND if g.combine == Combine.ALL else _OR)[lang].join(
            describe_condition(c, catalogue, lang) for c in g.conditions
        )
        for g in groups
    ]
    if len(texts) == 1:
        return texts[0]
    brackets = "（{}）" if lang == "zh" else "({})"
    joined = [brackets.format(t) if len(g.conditions) > 1 else t for g, t in zip(groups, texts, strict=True)]
    return (_AND if form.combine == Combine.ALL else _OR)[lang].join(joined)


def amount_lines(form: Amount, catalogue: Catalogue, lang: str) -> list[tuple[str, int]]:
    """(label, yuan) per line of the table; one line with an empty label for a single sum."""
    if not form.by or not form.rows:
        return [("", form.otherwise or 0)]
    field = catalogue.fields[form.by]
    lines = [
        (
            f"{field.label(lang)}：{field.value_label(v, lang)}"
            if lang == "zh"
            else f"{field.label(lang)}: {field.value_label(v, lang)}",
            n,
        )
        for v, n in form.rows
    ]
    if form.otherwise is not None:
        lines.append(("其他" if lang == "zh" else "everyone else", form.otherwise))
    return lines
