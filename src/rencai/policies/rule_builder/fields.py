"""The form's vocabulary: fields, operators, the structured form, and checking what officers type."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from rencai.policies.engine import FEATURES
from rencai.policies.engine.schema import BOOL, INT, LIST_STRING, TIMESTAMP, Feature

MAX_AMOUNT = 10**12 - 1  # the largest whole-yuan amount a budget column can hold


class Kind(StrEnum):
    NUMBER = "number"
    ORDERED = "ordered"
    CHOICE = "choice"
    LIST = "list"
    FLAG = "flag"
    DATE = "date"


class Op(StrEnum):
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    EQUALS = "equals"
    BETWEEN = "between"
    ONE_OF = "one_of"
    NOT_ONE_OF = "not_one_of"
    INCLUDES_ANY = "includes_any"
    INCLUDES_NONE = "includes_none"
    YES = "yes"
    NO = "no"


class Combine(StrEnum):
    ALL = "all"
    ANY = "any"


OPERATORS: Mapping[Kind, Mapping[Op, tuple[str, str]]] = {
    Kind.NUMBER: {
        Op.AT_MOST: ("不超过", "at most"),
        Op.AT_LEAST: ("不少于", "at least"),
        Op.EQUALS: ("等于", "equal to"),
        Op.BETWEEN: ("介于", "between"),
    },
    Kind.ORDERED: {
        Op.AT_LEAST: ("不低于", "at least"),
        Op.AT_MOST: ("不高于", "at most"),
        Op.EQUALS: ("等于", "equal to"),
        Op.ONE_OF: ("属于", "one of"),
        Op.NOT_ONE_OF: ("不属于", "none of"),
    },
    Kind.CHOICE: {Op.ONE_OF: ("属于", "one of"), Op.NOT_ONE_OF: ("不属于", "none of")},
    Kind.LIST: {
        Op.INCLUDES_ANY: ("包含任一", "includes any of"),
        Op.INCLUDES_NONE: ("不包含", "includes none of"),
    },
    Kind.FLAG: {Op.YES: ("是", "yes"), Op.NO: ("否", "no")},
    Kind.DATE: {Op.AT_LEAST: ("不早于", "on or after"), Op.AT_MOST: ("不晚于", "on or before")},
}
COMBINE_LABELS = {Combine.ALL: ("全部满足", "all of"), Combine.ANY: ("满足任一", "any of")}
SINGLE = (Op.AT_LEAST, Op.AT_MOST, Op.EQUALS)  # operators of one value (BETWEEN takes two, FLAG none)
SETS = (Op.ONE_OF, Op.NOT_ONE_OF, Op.INCLUDES_ANY, Op.INCLUDES_NONE)

# Ordered fields, values from highest to lowest. Degree and title compare through their number features
# (学历 不低于 硕士 is `talent.degree_level >= 3`); tier and skill level through the set of levels.
_ORDERED: Mapping[str, tuple[tuple[Any, ...], str, Mapping[Any, int]]] = {
    "degree": (
        ("doctor", "master", "bachelor", "associate", "none"),
        "degree_level",
        {"doctor": 4, "master": 3, "bachelor": 2, "associate": 1, "none": 0},
    ),
    "title_level": (
        ("senior", "deputy_senior", "intermediate", "junior", ""),
        "title_rank",
        {"senior": 4, "deputy_senior": 3, "intermediate": 2, "junior": 1, "": 0},
    ),
    "tier": (("A", "B", "C", "D", "E"), "", {}),
    "skill_level": ((1, 2, 3, 4, 5), "", {}),
}
# The form's fields, in the order officers look for them (the number features of degree and title are
# part of their ordered fields).
FORM_FIELDS = (
    "degree", "age", "tier", "programmes", "region", "title_level", "skill_level", "team",
    "employment_type", "years_since_arrival", "months_employed_locally", "has_overseas_degree",
    "employer_is_platform", "employer_is_high_tech", "is_researcher_venture", "platform_kinds",
    "employer_industry", "employer_size", "nationality", "gender", "status", "arrival_date",
    "patents_applied", "patents_granted", "tech_transfers", "transfer_income_3y", "new_products", "standards",
    "awards", "projects", "venture_tax_3y", "arrived_with_project",
)  # fmt: skip


class InputProblem(ValueError):
    """A row or amount the form cannot turn into a rule, with its message in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Choice:
    value: Any
    label_zh: str
    label_en: str

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class Field:
    """One thing a condition row can be about; `ranked` lists an ordered field's values, highest first."""

    name: str
    kind: Kind
    label_zh: str
    label_en: str
    choices: tuple[Choice, ...] = ()
    ranked: tuple[Any, ...] = ()
    rank_feature: str = ""
    ranks: Mapping[Any, int] = dataclass_field(default_factory=dict)
    value_range: tuple[int, int] | None = None

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    @property
    def operators(self) -> Mapping[Op, tuple[str, str]]:
        return OPERATORS[self.kind]

    def choice(self, value: Any) -> Choice | None:
        return next((c for c in self.choices if c.value == value and type(c.value) is type(value)), None)

    def value_label(self, value: Any, lang: str) -> str:
        choice = self.choice(value)
        if choice is not None:
            return choice.label(lang)
        return value.isoformat() if isinstance(value, dt.date) else str(value)


def _kind(feature: Feature) -> Kind:
    if feature.name in _ORDERED:
        return Kind.ORDERED
    return {INT: Kind.NUMBER, BOOL: Kind.FLAG, LIST_STRING: Kind.LIST, TIMESTAMP: Kind.DATE}.get(
        feature.cel_type, Kind.CHOICE
    )


def _field(feature: Feature, regions: Sequence[tuple[str, str, str]] | None) -> Field:
    labels = {value: Choice(value, zh, en) for value, (zh, en) in feature.values.items()}
    if feature.name == "region" and regions is not None:
        labels = {code: Choice(code, zh, en or zh) for code, zh, en in regions}
    ranked, rank_feature, ranks = _ORDERED.get(feature.name, ((), "", {}))
    ordered = [labels[v] for v in ranked if v in labels] + [c for v, c in labels.items() if v not in ranked]
    return Field(
        name=feature.name,
        kind=_kind(feature),
        label_zh=feature.label_zh,
        label_en=feature.label_en,
        choices=tuple(ordered),
        ranked=ranked,
        rank_feature=rank_feature,
        ranks=MappingProxyType(dict(ranks)),
        value_range=feature.value_range,
    )


class Catalogue:
    """The form's fields; region names come from the caller's region registry when given."""

    def __init__(self, regions: Sequence[tuple[str, str, str]] | None = None) -> None:
        self.fields: Mapping[str, Field] = MappingProxyType(
            {name: _field(FEATURES[name], regions) for name in FORM_FIELDS}
        )
        self._by_rank_feature = {f.rank_feature: f for f in self.fields.values() if f.rank_feature}

    def field_of_feature(self, feature: str) -> Field | None:
        return self.fields.get(feature) or self._by_rank_feature.get(feature)

    def amount_fields(self) -> list[Field]:
        """The fields an amount table can be by: one amount per choice (or per yes and no)."""
        return [f for f in self.fields.values() if f.kind in (Kind.ORDERED, Kind.CHOICE, Kind.FLAG)]


CATALOGUE = Catalogue()


@dataclass(frozen=True)
class Condition:
    field: str
    op: Op
    values: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Group:
    combine: Combine
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Eligibility:
    """Groups of conditions; `combine` joins the groups, each group's own `combine` its conditions."""

    combine: Combine
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class Amount:
    """One sum (`by` empty: `otherwise`), or a table by one field: `rows` of (value, yuan) and `otherwise`
    for everyone else. A yes/no table has both rows and no `otherwise`."""

    by: str = ""
    rows: tuple[tuple[Any, int], ...] = ()
    otherwise: int | None = 0


@dataclass(frozen=True)
class Unreadable:
    """Why the form cannot show a rule (it stays editable as text)."""

    reason_zh: str
    reason_en: str

    def reason(self, lang: str) -> str:
        return self.reason_zh if lang == "zh" else self.reason_en


# -- checking values ---------------------------------------------------------------------------


def encode(value: Any) -> str:
    """A value as a form input carries it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def checked_condition(field: Field, op: Op, values: Sequence[Any]) -> Condition:
    """The condition, or InputProblem when its values do not fit the field and operator."""
    if op not in field.operators:
        raise InputProblem("请选择比较方式", "Choose how to compare")
    if field.kind == Kind.FLAG:
        return Condition(field.name, op)
    if op == Op.BETWEEN and len(values) != 2:
        raise InputProblem("“介于”需要填写下限和上限", "'Between' needs a lower and an upper bound")
    if not values:
        single = op in SINGLE
        raise InputProblem(
            f"请{'填写' if field.kind in (Kind.NUMBER, Kind.DATE) else '选择'}{field.label_zh}"
            if single
            else "请至少选择一项",
            f"Give the {field.label_en}" if single else "Choose at least one value",
        )
    if op in SINGLE and len(values) != 1:
        raise InputProblem("请只选择一项", "Choose exactly one value")
    for value in values:
        _check_value(field, op, value)
    if op == Op.BETWEEN and values[0] > values[1]:
        raise InputProblem("下限不能大于上限", "The lower bound cannot be above the upper bound")
    return Condition(field.name, op, tuple(values) if op == Op.BETWEEN else tuple(dict.fromkeys(values)))


def _check_value(field: Field, op: Op, value: Any) -> None:
    if field.kind == Kind.NUMBER:
        low, high = field.value_range or (0, MAX_AMOUNT)
        if not low <= value <= high:
            raise InputProblem(
                f"{field.label_zh}应在{low}到{high}之间", f"The {field.label_en} must be from {low} to {high}"
            )
    elif field.kind == Kind.ORDERED and op in (Op.AT_LEAST, Op.AT_MOST) and value not in field.ranked:
        raise InputProblem(
            f"“{field.value_label(value, 'zh')}”没有高低之分，请用“属于”",
            f"'{field.value_label(value, 'en')}' has no rank; use 'one of'",
        )
    elif field.choices and field.choice(value) is None:
        raise InputProblem(f"“{value}”不是{field.label_zh}的可选值", f"'{value}' is not a {field.label_en}")


def _parse_value(field: Field, raw: str) -> Any:
    raw = raw.strip()
    if field.kind == Kind.NUMBER:
        if not raw.lstrip("-").isdigit():
            raise InputProblem(f"“{raw}”不是整数", f"'{raw}' is not a whole number")
        return int(raw)
    if field.kind == Kind.DATE:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise InputProblem("请填写日期（年-月-日）", "Give a date (year-month-day)") from None
    choice = next((c for c in field.choices if encode(c.value) == raw), None)
    if choice is None:
        raise InputProblem(f"“{raw}”不是{field.label_zh}的可选值", f"'{raw}' is not a {field.label_en}")
    return choice.value


def make_condition(
    field_name: str, op: str, raw_values: Sequence[str], catalogue: Catalogue = CATALOGUE
) -> Condition:
    """A condition row as typed into the form; InputProblem says what is wrong with it."""
    field = catalogue.fields.get(field_name)
    if field is None:
        raise InputProblem("请选择条件项", "Choose what the condition is about")
    if op not in {o.value for o in field.operators}:
        raise InputProblem("请选择比较方式", "Choose how to compare")
    operator = Op(op)
    if field.kind == Kind.FLAG:
        return Condition(field.name, operator)
    if operator == Op.BETWEEN:
        raws = list(raw_values)
        if len(raws) != 2 or not all(raw.strip() for raw in raws):
            raise InputProblem("“介于”需要填写下限和上限", "'Between' needs a lower and an upper bound")
    elif field.kind in (Kind.NUMBER, Kind.DATE):
        raws = [raw for raw in raw_values if raw.strip()]
    else:
        raws = list(raw_values)  # chosen values; the empty one is a value too (未分类)
    return checked_condition(field, operator, [_parse_value(field, raw) for raw in raws])


def parse_amount(raw: str) -> int:
    """Whole yuan as typed (thousands separators allowed); InputProblem otherwise."""
    text = raw.strip().replace(",", "").replace("，", "").replace(" ", "")
    if not text.isdigit() or int(text) > MAX_AMOUNT:
        raise InputProblem(
            f"金额应为0到{MAX_AMOUNT}之间的整数（元）",
            f"An amount is a whole number of yuan from 0 to {MAX_AMOUNT}",
        )
    return int(text)
