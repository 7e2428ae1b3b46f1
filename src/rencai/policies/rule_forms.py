"""The rule editor's two modes: condition rows and an amount table (表单), or the rule text (规则文本).

The rows are posted as plain fields, so the form works without JavaScript: `g0-combine` for a group,
`g0c1-field` / `g0c1-op` / `g0c1-value` (repeated) for a row, `amount-by`, `amount-v-<value>` and
`amount-other` for the amount table; a button named `builder` adds or removes rows, switches modes or
redraws the rows after a field was changed. Each row also carries the field its inputs were drawn for
(`-shown`): values typed for another field are never read as this one's. Saving from the form stores the
rule text the rows make (`rule_builder.to_rule`); the engine checks it as it checks typed text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from enum import StrEnum
from typing import Any

from django.http import QueryDict

from rencai.core.errors import Problem, problem
from rencai.core.models import Region, RegionLevel
from rencai.policies.rule_builder import (
    CATALOGUE,
    COMBINE_LABELS,
    SINGLE,
    Amount,
    Catalogue,
    Combine,
    Condition,
    Eligibility,
    Group,
    InputProblem,
    Kind,
    Op,
    Unreadable,
    encode,
    from_rule,
    make_condition,
    parse_amount,
    to_rule,
)

_ROW = re.compile(r"^g(\d+)c(\d+)-field$")
_GROUP = re.compile(r"^g(\d+)-combine$")
OTHER = "other"  # the amount table's cell for everyone else


class RuleMode(StrEnum):
    FORM = "form"
    TEXT = "text"


def rule_catalogue() -> Catalogue:
    """The form's fields, with the county names of the region registry (the city and its counties)."""
    regions = list(
        Region.objects.exclude(level=RegionLevel.PROVINCE)
        .order_by("path")
        .values_list("code", "name", "name_en")
    )
    return Catalogue(regions=regions) if regions else CATALOGUE


@dataclass
class Row:
    key: str  # "g0c1"
    field: str = ""
    op: str = ""
    values: list[str] = dc_field(default_factory=list)
    changed: bool = False  # the field was changed since the row's inputs were drawn
    error: Problem | None = None


@dataclass
class RowGroup:
    key: str  # "g0"
    combine: str = Combine.ALL
    rows: list[Row] = dc_field(default_factory=list)


@dataclass
class AmountTable:
    by: str = ""
    cells: dict[str, str] = dc_field(default_factory=dict)  # encoded value (or OTHER) -> yuan as typed
    changed: bool = False
    errors: dict[str, Problem] = dc_field(default_factory=dict)


def _index(key: str) -> int:
    return int(re.findall(r"\d+", key)[-1])


class RuleBuilderForm:
    """Condition rows and the amount table, as posted or as read from rule text; `build()` makes the rules."""

    def __init__(
        self, catalogue: Catalogue, combine: str, groups: list[RowGroup], amount: AmountTable
    ) -> None:
        self.catalogue, self.combine, self.groups, self.amount = catalogue, combine, groups, amount
        self.problems: list[tuple[str, str, Problem]] = []  # (where zh, where en, problem)
        self.eligibility_rule = self.amount_rule = ""
        self.show_errors = False

    # -- making one ------------------------------------------------------------------------------

    @classmethod
    def blank(cls, catalogue: Catalogue) -> RuleBuilderForm:
        return cls(catalogue, Combine.ANY, [RowGroup("g0", rows=[Row("g0c0")])], AmountTable())

    @classmethod
    def from_forms(cls, eligibility: Eligibility, amount: Amount, catalogue: Catalogue) -> RuleBuilderForm:
        groups = [
            RowGroup(
                f"g{i}",
                group.combine,
                [
                    Row(f"g{i}c{j}", c.field, c.op, [encode(v) for v in c.values])
                    for j, c in enumerate(group.conditions)
                ],
            )
            for i, group in enumerate(eligibility.groups)
        ]
        cells = {encode(value): str(yuan) for value, yuan in amount.rows}
        if amount.otherwise is not None:
            cells[OTHER] = str(amount.otherwise)
        return cls(
            catalogue, eligibility.combine, groups, AmountTable(amount.by if amount.rows else "", cells)
        )

    @classmethod
    def from_data(cls, data: QueryDict, catalogue: Catalogue) -> RuleBuilderForm:
        groups: dict[str, RowGroup] = {}
        for name in data:
            if match := _GROUP.match(name):
                key = f"g{match[1]}"
                groups[key] = RowGroup(key, _choice(data.get(name), Combine, Combine.ALL))
        for name in data:
            if (match := _ROW.match(name)) and f"g{match[1]}" in groups:
                groups[f"g{match[1]}"].rows.append(cls._row(data, f"g{match[1]}c{match[2]}", catalogue))
        for group in groups.values():
            group.rows.sort(key=lambda row: _index(row.key))
        ordered = sorted(groups.values(), key=lambda group: _index(group.key))
        combine = _choice(data.get("combine"), Combine, Combine.ANY)
        return cls(catalogue, combine, ordered, cls._amount(data, catalogue))

    @staticmethod
    def _row(data: QueryDict, key: str, catalogue: Catalogue) -> Row:
        name = data.get(f"{key}-field", "")
        spec = catalogue.fields.get(name)
        row = Row(key, name if spec else "", data.get(f"{key}-op", ""), data.getlist(f"{key}-value"))
        if spec is not None and name != data.get(f"{key}-shown", name):
            # chosen without the page redrawing the row: the values were made for the other field
            row.changed, row.values = True, []
            if row.op not in spec.operators:
                row.op = next(iter(spec.operators))
        return row

    @staticmethod
    def _amount(data: QueryDict, catalogue: Catalogue) -> AmountTable:
        by = data.get("amount-by", "")
        by = by if by in {f.name for f in catalogue.amount_fields()} else ""
        if by != data.get("amount-by-shown", by):
            return AmountTable(by, {OTHER: data.get("amount-other", "")}, changed=True)
        cells = {
            name[len("amount-v-") :]: data.get(name, "") for name in data if name.startswith("amount-v-")
        }
        cells[OTHER] = data.get("amount-other", "")
        return AmountTable(by, cells)

    # -- adding and removing rows ----------------------------------------------------------------

    def apply(self, action: str) -> None:
        """`add:g0` a row, `add-group`, `remove:g0c1` a row, `remove:g1` a group; anything else: nothing."""
        verb, _, key = action.partition(":")
        if verb == "add" and (group := self._group(key)) is not None:
            number = max((_index(row.key) for row in group.rows), default=-1) + 1
            group.rows.append(Row(f"{group.key}c{number}"))
        elif verb == "add-group":
            number = max((_index(group.key) for group in self.groups), default=-1) + 1
            self.groups.append(RowGroup(f"g{number}", rows=[Row(f"g{number}c0")]))
        elif verb == "remove":
            for group in self.groups:
                group.rows = [row for row in group.rows if row.key != key]
            self.groups = [group for group in self.groups if group.key != key and group.rows]
            if not self.groups:
                self.groups = [RowGroup("g0", rows=[Row("g0c0")])]

    def _group(self, key: str) -> RowGroup | None:
        return next((group for group in self.groups if group.key == key), None)

    # -- building the rules ----------------------------------------------------------------------

    def build(self) -> bool:
        """Make both rules from the rows; False (with every problem at its row) when they are not ready.
        Rows without a field are left out; what the valid rows make is kept for the preview."""
        self.problems = []
        groups = []
        for number, group in enumerate(self.groups, start=1):
            conditions = [
                c
                for row_number, row in enumerate(group.rows, 1)
                if (c := self._condition(row, number, row_number))
            ]
            groups.append(Group(Combine(group.combine), tuple(conditions)))
        try:
            self.eligibility_rule = to_rule(Eligibility(Combine(self.combine), tuple(groups)), self.catalogue)
        except InputProblem as missing:
            self.eligibility_rule = ""
            self._problem("", "", problem("conditions", missing.zh, missing.en))
        self.amount_rule = self._amount_rule()
        return not self.problems

    def _condition(self, row: Row, group_number: int, row_number: int) -> Condition | None:
        row.error = None
        if not row.field:
            return None
        where = (f"条件组{group_number}第{row_number}行", f"group {group_number}, row {row_number}")
        if row.changed:
            row.error = problem(
                row.key,
                "已更换条件项，请选择比较方式和值",
                "The field was changed: choose how to compare and the values",
            )
        else:
            try:
                return make_condition(row.field, row.op, row.values, self.catalogue)
            except InputProblem as wrong:
                row.error = problem(row.key, wrong.zh, wrong.en)
        self._problem(*where, row.error)
        return None

    def _amount_rule(self) -> str:
        table = self.amount
        table.errors = {}
        where = ("金额", "amount")
        if table.changed:
            table.errors[OTHER] = problem(
                "amount", "已更换金额依据，请填写新的金额表", "The amount table changed: fill it in"
            )
            self._problem(*where, table.errors[OTHER])
            return ""
        spec = self.catalogue.fields.get(table.by)
        rows: list[tuple[Any, int]] = []
        for choice in spec.choices if spec else ():
            raw = table.cells.get(encode(choice.value), "")
            if raw.strip():
                yuan = self._yuan(
                    encode(choice.value), raw, (f"金额（{choice.label_zh}）", f"amount ({choice.label_en})")
                )
                if yuan is not None:
                    rows.append((choice.value, yuan))
        otherwise = None
        if spec is None or spec.kind != Kind.FLAG:
            otherwise = self._yuan(OTHER, table.cells.get(OTHER, ""), where, required=True)
        try:
            return (
                to_rule(Amount(table.by, tuple(rows), otherwise), self.catalogue) if not table.errors else ""
            )
        except InputProblem as missing:
            self._problem(*where, problem("amount", missing.zh, missing.en))
            return ""

    def _yuan(self, cell: str, raw: str, where: tuple[str, str], required: bool = False) -> int | None:
        if raw.strip():
            try:
                return parse_amount(raw)
            except InputProblem as wrong:
                found = problem("amount", wrong.zh, wrong.en)
        elif not required:
            return None
        elif self.amount.by:
            found = problem(
                "amount", "请填写其他符合条件人才的金额", "Give the amount for everyone else who qualifies"
            )
        else:
            found = problem("amount", "请填写金额", "Give the amount")
        self.amount.errors[cell] = found
        self._problem(*where, found)
        return None

    def _problem(self, where_zh: str, where_en: str, found: Problem) -> None:
        self.problems.append((where_zh, where_en, found))

    # -- what the template shows -----------------------------------------------------------------

    def display(self, lang: str) -> dict[str, Any]:
        pick = 0 if lang == "zh" else 1
        fields = [(spec.name, spec.label(lang)) for spec in self.catalogue.fields.values()]
        return {
            "combine": self.combine,
            "combine_options": [(c.value, COMBINE_LABELS[c][pick]) for c in Combine],
            "groups": [
                {
                    "key": group.key,
                    "number": number,
                    "combine": group.combine,
                    "rows": [self._row_display(row, fields, lang) for row in group.rows],
                }
                for number, group in enumerate(self.groups, start=1)
            ],
            "amount": self._amount_display(lang),
            "problems": [
                _located(where_zh if lang == "zh" else where_en, found, lang)
                for where_zh, where_en, found in self.problems
            ],
            "show_errors": self.show_errors,
        }

    def _row_display(self, row: Row, fields: list[tuple[str, str]], lang: str) -> dict[str, Any]:
        spec = self.catalogue.fields.get(row.field)
        shown: dict[str, Any] = {
            "key": row.key,
            "field": row.field,
            "op": row.op,
            "fields": fields,
            "widget": "",
        }
        shown["error"] = _message(row.error, lang) if row.error and self.show_errors else ""
        if spec is None:
            return shown
        op = row.op if row.op in spec.operators else next(iter(spec.operators))
        shown.update(
            op=op, ops=[(o.value, labels[0 if lang == "zh" else 1]) for o, labels in spec.operators.items()]
        )
        shown["widget"] = _widget(spec.kind, Op(op))
        choices = spec.choices
        if spec.kind == Kind.ORDERED and op in (Op.AT_LEAST, Op.AT_MOST):
            choices = tuple(c for c in choices if c.value in spec.ranked)
        shown["choices"] = [(encode(c.value), c.label(lang), encode(c.value) in row.values) for c in choices]
        shown["values"] = row.values + [""] * (2 - len(row.values))
        shown["range"] = spec.value_range or ("", "")
        return shown

    def _amount_display(self, lang: str) -> dict[str, Any]:
        table = self.amount
        spec = self.catalogue.fields.get(table.by)
        pick = 0 if lang == "zh" else 1
        by_label = ("按{}", "by {}")[pick]

        def error(cell: str) -> str:
            return _message(table.errors[cell], lang) if cell in table.errors and self.show_errors else ""

        return {
            "by": table.by,
            "by_options": [("", ("固定金额", "one amount")[pick])]
            + [(f.name, by_label.format(f.label(lang))) for f in self.catalogue.amount_fields()],
            "by_label": spec.label(lang) if spec else "",
            "cells": [
                (encode(c.value), c.label(lang), table.cells.get(encode(c.value), ""), error(encode(c.value)))
                for c in (spec.choices if spec else ())
            ],
            "other": table.cells.get(OTHER, ""),
            "other_error": error(OTHER),
            "flag": spec is not None and spec.kind == Kind.FLAG,
        }


def _message(found: Problem, lang: str) -> str:
    return found["message_zh"] if lang == "zh" else found["message_en"]


def _located(where: str, found: Problem, lang: str) -> str:
    message = _message(found, lang)
    if not where:
        return message
    return f"{where}：{message}" if lang == "zh" else f"{where}: {message}"


def _choice(value: str | None, enum: type[StrEnum], default: StrEnum) -> str:
    return value if value in {member.value for member in enum} else default.value


def _widget(kind: Kind, op: Op) -> str:
    if kind == Kind.FLAG:
        return ""
    if kind == Kind.NUMBER:
        return "range" if op == Op.BETWEEN else "number"
    if kind == Kind.DATE:
        return "date"
    return "select" if kind == Kind.ORDERED and op in SINGLE else "checkboxes"


@dataclass
class RuleEditor:
    """Which mode the editor shows, its rows, why the form cannot show the rules, and what was asked."""

    mode: RuleMode
    builder: RuleBuilderForm | None = None
    notes: list[tuple[str, Unreadable]] = dc_field(default_factory=list)  # (which rule, why)
    action: str = ""  # a builder button (nothing is saved), or "" to save
    ready: bool = True  # the rules are made and may be saved

    @classmethod
    def for_rules(cls, eligibility: str, amount: str, catalogue: Catalogue, mode: str = "") -> RuleEditor:
        """The form when it can show both rules (unless the text was asked for), else the text with notes."""
        if mode == RuleMode.TEXT:
            return cls(RuleMode.TEXT)
        if not eligibility.strip():
            return cls(RuleMode.FORM, RuleBuilderForm.blank(catalogue))
        read = from_rule(eligibility, expect="bool", catalogue=catalogue)
        sum_read = from_rule(amount or "0", expect="number", catalogue=catalogue)
        if isinstance(read, Eligibility) and isinstance(sum_read, Amount):
            return cls(RuleMode.FORM, RuleBuilderForm.from_forms(read, sum_read, catalogue))
        notes = [
            (which, why)
            for which, why in (("eligibility", read), ("amount", sum_read))
            if isinstance(why, Unreadable)
        ]
        return cls(RuleMode.TEXT, notes=notes)

    @classmethod
    def from_post(cls, data: QueryDict, catalogue: Catalogue) -> tuple[RuleEditor, QueryDict]:
        """The editor as posted, and the posted data with the rule texts the rows made."""
        data = data.copy()
        action = data.get("builder", "")
        if data.get("mode") != RuleMode.FORM:  # the text (also what clients that know no modes post)
            if action == "mode:form":
                editor = cls.for_rules(
                    data.get("eligibility_rule", ""), data.get("amount_rule", ""), catalogue
                )
                editor.action = action
                return editor, data
            return cls(RuleMode.TEXT, action=action), data
        builder = RuleBuilderForm.from_data(data, catalogue)
        builder.apply(action)
        ready = builder.build()
        if action in ("", "mode:text"):
            builder.show_errors = True
        if ready and action in ("", "mode:text"):
            data["eligibility_rule"], data["amount_rule"] = builder.eligibility_rule, builder.amount_rule
        if ready and action == "mode:text":
            return cls(RuleMode.TEXT, action=action), data
        return cls(RuleMode.FORM, builder, action=action, ready=ready), data

    def note_lines(self, lang: str) -> list[str]:
        names: Mapping[str, tuple[str, str]] = {
            "eligibility": ("资格规则", "eligibility rule"),
            "amount": ("金额规则", "amount rule"),
        }
        pick = 0 if lang == "zh" else 1
        return [f"{names[which][pick]}{('：', ': ')[pick]}{why.reason(lang)}" for which, why in self.notes]
