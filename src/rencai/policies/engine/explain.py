"""Why a talent does or does not qualify: a rule split into clauses, each shown with the talent's values.

A rule is split through `&&` and `||` (recursively; negations are pushed inward first, so
`!(a && b)` reads as "not a, or not b"), keeping the tree: an "all" node passes when every child
passes, an "any" node when one does. Each leaf reads `label: value relation constant`, with feature
labels and enumerated values translated, e.g. `学历: 博士 ✓；年龄: 47 > 45 ✗`. A leaf shows the
relation that actually holds: `talent.age <= 45` for a 47-year-old reads `年龄: 47 > 45 ✗`.

This compact notation is for officers' technical view and the API's `text_*` fields. Each leaf also
carries its `facts` (feature, relation, expected and actual value), from which `wording` tells it in
sentences ("您的学历为博士，满足“硕士及以上”的条件"): what talents and officers read.

The per-rule plan (texts, compiled sub-expressions) is built once and cached on the CompiledRule;
explaining a talent only evaluates closures and formats strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rencai.policies.engine import wording
from rencai.policies.engine.interpret import Evaluator, compile_node, evaluate_constant
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
    feature_names,
    is_constant,
    is_list,
)
from rencai.policies.engine.rules import CompiledRule
from rencai.policies.engine.schema import BOOL, FEATURES, LIST_STRING, STRING, Feature
from rencai.policies.engine.typecheck import cel_literal

PASS, FAIL = "✓", "✗"
_SYMBOLS = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}
_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ARITHMETIC = {"+": "+", "-": "−", "*": "×", "/": "÷", "%": "mod"}
_WORDS = {
    "zh": {"and": " 且 ", "or": " 或 ", "sep": "；", "yes": "是", "no": "否", "none": "（无）",
           "empty": "（空）", "vs": " 与 ", "true": "成立", "false": "不成立", "eligible": "符合",
           "ineligible": "不符合", "amount": "金额", "currency": " 元", "colon": "："},
    "en": {"and": " and ", "or": " or ", "sep": "; ", "yes": "yes", "no": "no", "none": "(none)",
           "empty": "(empty)", "vs": " vs ", "true": "holds", "false": "does not hold",
           "eligible": "eligible", "ineligible": "not eligible", "amount": "amount", "currency": " yuan",
           "colon": ": "},
}  # fmt: skip


# -- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One node of an explanation: "all"/"any" groups, or a "test" leaf with its texts and facts."""

    kind: str
    passed: bool
    text_zh: str = ""
    text_en: str = ""
    children: tuple[Clause, ...] = ()
    features: tuple[str, ...] = ()
    # what a test compared, for sentences (see `wording`): form, feature, op, expected, actual
    facts: Mapping[str, Any] | None = field(default=None, compare=False)

    def render(self, lang: str = "zh", *, top: bool = True) -> str:
        words = _WORDS[lang]
        mark = PASS if self.passed else FAIL
        if self.kind == "test":
            return f"{self.text_zh if lang == 'zh' else self.text_en} {mark}"
        rendered = [child.render(lang, top=False) for child in self.children]
        if self.kind == "all" and top:
            return words["sep"].join(rendered)
        joined = (words["and"] if self.kind == "all" else words["or"]).join(rendered)
        return f"（{joined}）{mark}" if lang == "zh" else f"({joined}) {mark}"

    def as_dict(self, voice: str = wording.THIRD) -> dict:
        """The structured form; a test adds its facts and its sentence in each language (`voice`: who
        reads, see `wording`)."""
        data: dict[str, Any] = {"kind": self.kind, "passed": self.passed}
        if self.kind == "test":
            data.update(text_zh=self.text_zh, text_en=self.text_en, features=list(self.features))
            if self.facts is not None:
                data["facts"] = _jsonable(self.facts)
                for lang in ("zh", "en"):
                    data[f"sentence_{lang}"] = wording.sentence(data["facts"], self.passed, lang, voice)
        else:
            data["children"] = [child.as_dict(voice) for child in self.children]
        return data


@dataclass(frozen=True)
class AmountExplanation:
    """Which `?:` conditions were tested (in order) and which formula gave the amount."""

    amount: int | float
    steps: tuple[Clause, ...] = ()
    formula_zh: str = ""
    formula_en: str = ""

    def render(self, lang: str = "zh") -> str:
        words = _WORDS[lang]
        steps = words["sep"].join(step.render(lang) for step in self.steps)
        formula = self.formula_zh if lang == "zh" else self.formula_en
        value = format_number(self.amount) + words["currency"]
        result = f"{formula} = {value}" if formula else value
        return words["amount"] + words["colon"] + (f"{steps} → {result}" if steps else result)

    def as_dict(self, voice: str = wording.THIRD) -> dict:
        data = {
            "amount": self.amount,
            "steps": [step.as_dict(voice) for step in self.steps],
            "formula_zh": self.formula_zh,
            "formula_en": self.formula_en,
        }
        for lang in ("zh", "en"):
            data[f"sentence_{lang}"] = wording.amount_reading(data, lang).basis
        return data


@dataclass(frozen=True)
class Explanation:
    eligible: bool
    root: Clause
    amount: AmountExplanation | None = None
    source: str = ""

    @property
    def clauses(self) -> list[Clause]:
        """The top-level clauses (the children of a top-level "all", else the root alone)."""
        return list(self.root.children) if self.root.kind == "all" else [self.root]

    def render(self, lang: str) -> str:
        words = _WORDS[lang]
        verdict = words["eligible"] if self.eligible else words["ineligible"]
        text = f"{verdict}{words['colon']}{self.root.render(lang)}"
        if self.eligible and self.amount is not None:
            text += "\n" + self.amount.render(lang)
        return text

    def render_zh(self) -> str:
        return self.render("zh")

    def render_en(self) -> str:
        return self.render("en")

    def as_dict(self, voice: str = wording.THIRD) -> dict:
        """The structured form for templates and the API; `needs_*` lists what is missing, in sentences
        addressed to the talent (`voice="second"`) or about them (`"third"`)."""
        tree = self.root.as_dict(voice)
        return {
            "eligible": self.eligible,
            "rule": self.source,
            "clauses": tree["children"] if self.root.kind == "all" else [tree],
            "tree": tree,
            "amount": self.amount.as_dict(voice) if self.amount is not None else None,
            "text_zh": self.render_zh(),
            "text_en": self.render_en(),
            "needs_zh": wording.needs(tree, "zh", voice),
            "needs_en": wording.needs(tree, "en", voice),
        }

    def reading(self, lang: str, voice: str = wording.THIRD) -> wording.Reading:
        """The explanation in sentences, deciding reasons first (see `wording.read`)."""
        return wording.read(self.as_dict(voice), lang, voice)


def explain(
    rule: CompiledRule, row: Mapping[str, Any], amount_rule: CompiledRule | None = None
) -> Explanation:
    """Explain `rule` (an eligibility rule) and optionally `amount_rule` for one feature row."""
    root = rule.explainer.clause(row)
    eligible = bool(rule.evaluate_row(row))
    amount = amount_rule.explainer.amount(row) if amount_rule is not None else None
    return Explanation(eligible=eligible, root=root, amount=amount, source=rule.source)


# -- formatting values -------------------------------------------------------------------------


def format_number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def format_value(value: Any, feature: Feature | None, lang: str) -> str:
    """A value as a reader sees it: enumerations translated, bools as 是/否, lists bracketed."""
    words = _WORDS[lang]
    if isinstance(value, list | tuple):
        if not value:
            return words["none"]
        return "[" + ", ".join(format_value(item, feature, lang) for item in value) + "]"
    if isinstance(value, bool):
        return words["yes"] if value else words["no"]
    label = feature.value_label(value, lang) if feature is not None else None
    if label is not None:
        if isinstance(value, int):
            return f"{value}（{label}）" if lang == "zh" else f"{value} ({label})"
        if feature is not None and not feature.closed:
            return f"{label}（{value}）" if lang == "zh" else f"{label} ({value})"
        return label
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if value == "":
        return words["empty"]
    return str(value)


def _jsonable(value: Any) -> Any:
    """Facts as JSON keeps them (an application stores its explanation): dates as ISO text, lists."""
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _set_text(values: list, feature: Feature | None, lang: str) -> str:
    return "{" + ", ".join(format_value(value, feature, lang) for value in values) + "}"


# -- expression text ------------------------------------------------------------------------------


def expression_text(node: Node, lang: str, feature: Feature | None = None) -> str:
    """A sub-expression written with feature labels, e.g. 年龄 + 来衢年限, 人才计划数量."""
    if isinstance(node, FeatureRef):
        return FEATURES[node.name].label(lang)
    if isinstance(node, Literal):
        if node.kind == STRING and feature is None:
            return cel_literal(node.value)
        return format_value(node.value, feature, lang)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, ListLiteral):
        return (
            _set_text([evaluate_constant(item) for item in node.items], feature, lang)
            if is_constant(node)
            else "{" + ", ".join(expression_text(item, lang) for item in node.items) + "}"
        )
    if isinstance(node, Unary):
        inner = _operand_text(node.operand, lang)  # type: ignore[arg-type]
        return (f"非{inner}" if lang == "zh" else f"not {inner}") if node.op == "!" else f"-{inner}"
    if isinstance(node, Binary):
        return _binary_text(node, lang, feature)
    if isinstance(node, Conditional):
        test, then, otherwise = (expression_text(child, lang) for child in node.children())
        return (
            f"（若 {test} 则 {then} 否则 {otherwise}）"
            if lang == "zh"
            else f"(if {test} then {then} else {otherwise})"
        )
    if isinstance(node, Call):
        return _call_text(node, lang)
    if isinstance(node, Comprehension):
        return _comprehension_text(node, lang)
    return "?"


_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "in": 3,
               "+": 4, "-": 4, "*": 5, "/": 5, "%": 5}  # fmt: skip


def _needs_parentheses(child: Node, parent: Node | None, right_side: bool) -> bool:
    """A child binary needs parentheses when it binds looser than its parent (or equally, on the right)."""
    if not isinstance(child, Binary):
        return False
    if not isinstance(parent, Binary):
        return True
    child_rank, parent_rank = _PRECEDENCE[child.op], _PRECEDENCE[parent.op]
    return child_rank < parent_rank or (right_side and child_rank == parent_rank)


def _operand_text(
    node: Node,
    lang: str,
    feature: Feature | None = None,
    parent: Node | None = None,
    right_side: bool = False,
) -> str:
    text = expression_text(node, lang, feature)
    return f"({text})" if _needs_parentheses(node, parent, right_side) else text


def _binary_text(node: Binary, lang: str, inherited: Feature | None) -> str:
    """`inherited` labels the values of a macro variable (the list feature it ranges over)."""
    left, right = node.left, node.right
    context = _enum_context(left) or _enum_context(right) or inherited  # type: ignore[arg-type]
    left_text = _operand_text(left, lang, context, node)  # type: ignore[arg-type]
    right_text = _operand_text(right, lang, context, node, right_side=True)  # type: ignore[arg-type]
    if node.op in ("&&", "||"):
        symbol = _WORDS[lang]["and" if node.op == "&&" else "or"]
        return f"{left_text}{symbol}{right_text}"
    if node.op == "in":
        if is_list(right.type) and isinstance(right, FeatureRef):  # type: ignore[union-attr]
            word = "包含" if lang == "zh" else "contains"
            return f"{right_text} {word} {left_text}"
        return f"{left_text} ∈ {right_text}"
    symbol = _SYMBOLS.get(node.op) or _ARITHMETIC[node.op]
    return f"{left_text} {symbol} {right_text}"


def _call_text(node: Call, lang: str) -> str:
    subject = node.target if node.target is not None else (node.args[0] if node.args else None)
    if node.name == "date":
        return node.args[0].value  # type: ignore[attr-defined]
    subject_text = _operand_text(subject, lang)  # type: ignore[arg-type]
    if node.name == "size":
        return f"{subject_text}数量" if lang == "zh" else f"number of {subject_text}"
    if node.name == "int":
        return f"取整({subject_text})" if lang == "zh" else f"int({subject_text})"
    if node.name == "double":
        return subject_text
    argument = expression_text(node.args[0], lang)
    return f"{subject_text} {_method_words(node.name, True, lang)} {argument}"


def _method_words(name: str, holds: bool, lang: str) -> str:
    words = {
        "contains": (("包含", "不包含"), ("contains", "does not contain")),
        "startsWith": (("开头是", "开头不是"), ("starts with", "does not start with")),
        "endsWith": (("结尾是", "结尾不是"), ("ends with", "does not end with")),
    }[name]
    pair = words[0] if lang == "zh" else words[1]
    return pair[0] if holds else pair[1]


def _comprehension_text(node: Comprehension, lang: str) -> str:
    target = expression_text(node.target, lang)  # type: ignore[arg-type]
    body = expression_text(node.body, lang)  # type: ignore[arg-type]
    if lang == "zh":
        return f"{target}中{'存在' if node.name == 'exists' else '全部'} {node.var} 满足 {body}"
    return f"{'some' if node.name == 'exists' else 'every'} {node.var} in {target} with {body}"


def _enum_context(node: Node) -> Feature | None:
    """The feature whose value labels apply to `node`'s values (a feature, or a list feature's element)."""
    if isinstance(node, FeatureRef):
        feature = FEATURES[node.name]
        return feature if feature.values else None
    return None


# -- plans: built once per rule ------------------------------------------------------------------

Texts = tuple[str, str, bool, dict[str, Any]]  # (zh, en, passed, facts)


@dataclass
class Leaf:
    """A test with its compiled parts; `describe(row)` gives its texts and verdict."""

    node: Node
    describe: Callable[[Mapping[str, Any]], Texts]
    features: tuple[str, ...] = ()

    def clause(self, row: Mapping[str, Any]) -> Clause:
        zh, en, passed, facts = self.describe(row)
        return Clause("test", passed, zh, en, features=self.features, facts=facts)


@dataclass
class Group:
    kind: str  # "all" or "any"
    children: list[Leaf | Group] = field(default_factory=list)

    def clause(self, row: Mapping[str, Any]) -> Clause:
        children = tuple(child.clause(row) for child in self.children)
        combine = all if self.kind == "all" else any
        return Clause(self.kind, combine(c.passed for c in children), children=children)


@dataclass
class RulePlan:
    """The explanation plan of one rule (cached on CompiledRule.explainer); nodes are keyed by id, which
    is stable because the rule keeps its tree alive."""

    rule: CompiledRule
    _root: Leaf | Group | None = None
    _tests: dict[int, Leaf | Group] = field(default_factory=dict)
    _evaluators: dict[int, Evaluator] = field(default_factory=dict)

    def clause(self, row: Mapping[str, Any]) -> Clause:
        if self._root is None:
            self._root = _plan(self.rule.root, negated=False)
        return self._root.clause(row)

    def amount(self, row: Mapping[str, Any]) -> AmountExplanation:
        """Walk the top-level `?:` chain: record each condition tested, then the formula reached."""
        steps: list[Clause] = []
        node = self.rule.root
        while isinstance(node, Conditional):
            clause = self._test(node.test).clause(row)  # type: ignore[arg-type]
            steps.append(clause)
            node = node.then if clause.passed else node.otherwise  # type: ignore[assignment]
        value = self._evaluator(node)(row, {})
        if isinstance(node, Literal):
            formula_zh = formula_en = ""
        else:
            formula_zh, formula_en = (_formula(node, row, lang, self._evaluator) for lang in ("zh", "en"))
        return AmountExplanation(
            amount=value, steps=tuple(steps), formula_zh=formula_zh, formula_en=formula_en
        )

    def _test(self, node: Node) -> Leaf | Group:
        if id(node) not in self._tests:
            self._tests[id(node)] = _plan(node, negated=False)
        return self._tests[id(node)]

    def _evaluator(self, node: Node) -> Evaluator:
        if id(node) not in self._evaluators:
            self._evaluators[id(node)] = compile_node(node)
        return self._evaluators[id(node)]


def plan_rule(rule: CompiledRule) -> RulePlan:
    return RulePlan(rule)


def _formula(node: Node, row: Mapping[str, Any], lang: str, evaluator: Callable[[Node], Evaluator]) -> str:
    """`年龄 × 1000 (47 × 1000)`: the formula in labels, then with the talent's values."""
    text = expression_text(node, lang)
    values = _substituted(node, row, evaluator)
    return text if values == text else f"{text} ({values})"


def _substituted(node: Node, row: Mapping[str, Any], evaluator: Callable[[Node], Evaluator]) -> str:
    if isinstance(node, Binary) and node.op in _ARITHMETIC:
        left, right = (_substituted(side, row, evaluator) for side in (node.left, node.right))  # type: ignore[arg-type]
        left = f"({left})" if _needs_parentheses(node.left, node, False) else left  # type: ignore[arg-type]
        right = f"({right})" if _needs_parentheses(node.right, node, True) else right  # type: ignore[arg-type]
        return f"{left} {_ARITHMETIC[node.op]} {right}"
    value = evaluator(node)(row, {})
    return (
        format_number(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    )


def _plan(node: Node, *, negated: bool) -> Leaf | Group:
    """Split through && / || (De Morgan under negation) down to leaves."""
    if isinstance(node, Unary) and node.op == "!":
        return _plan(node.operand, negated=not negated)  # type: ignore[arg-type]
    if isinstance(node, Binary) and node.op in ("&&", "||"):
        kind = "all" if (node.op == "&&") != negated else "any"
        group = Group(kind)
        for child in (node.left, node.right):
            planned = _plan(child, negated=negated)  # type: ignore[arg-type]
            # a && b && c arrives as (a && b) && c: flatten same-kind groups into one
            group.children.extend(
                planned.children if isinstance(planned, Group) and planned.kind == kind else [planned]
            )
        return group
    return Leaf(node, _describer(node, negated), tuple(sorted(feature_names(node))))


def _describer(node: Node, negated: bool) -> Callable[[Mapping[str, Any]], Texts]:
    if isinstance(node, Binary) and node.op in _SYMBOLS:
        op = _NEGATED[node.op] if negated else node.op
        return _comparison(node.left, op, node.right)  # type: ignore[arg-type]
    if isinstance(node, Binary) and node.op == "in":
        return _membership(node, negated)
    if isinstance(node, FeatureRef) and node.type == BOOL:
        return _bool_feature(node, negated)
    if isinstance(node, Call) and node.name in ("contains", "startsWith", "endsWith"):
        return _string_method(node, negated)
    if isinstance(node, Comprehension):
        return _quantifier(node, negated)
    return _generic(node, negated)


def _value_of(node: Node) -> tuple[Evaluator, Feature | None]:
    return compile_node(node), _enum_context(node)


def _comparison(left: Node, op: str, right: Node) -> Callable[[Mapping[str, Any]], Texts]:
    if is_constant(left) and not is_constant(right):
        left, right, op = right, left, _MIRRORED[op]
    left_value, context = _value_of(left)
    right_value = compile_node(right)
    context = context or _enum_context(right)
    right_constant = is_constant(right)
    subjects = {
        lang: expression_text(left, lang)
        if right_constant
        else f"{expression_text(left, lang)}{_WORDS[lang]['vs']}{expression_text(right, lang)}"
        for lang in ("zh", "en")
    }
    compare = _COMPARATORS[op]
    about = _subject_facts(left)
    if not right_constant:
        about.update(expected_zh=expression_text(right, "zh"), expected_en=expression_text(right, "en"))

    def describe(row: Mapping[str, Any]) -> Texts:
        a, b = left_value(row, {}), right_value(row, {})
        passed = compare(a, b)
        texts = []
        for lang in ("zh", "en"):
            shown = format_value(a, context, lang)
            if op == "==" and passed:
                texts.append(f"{subjects[lang]}: {shown}")
            else:
                symbol = _SYMBOLS[op if passed else _NEGATED[op]]
                texts.append(f"{subjects[lang]}: {shown} {symbol} {format_value(b, context, lang)}")
        facts = {**about, "form": "compare", "op": op, "expected": b, "actual": a}
        return texts[0], texts[1], passed, facts

    return describe


def _subject_facts(node: Node) -> dict[str, Any]:
    """What a test is about: a feature by name (labels come from the schema), else the expression's text."""
    if isinstance(node, FeatureRef):
        return {"feature": node.name}
    return {
        "feature": "",
        "subject_zh": expression_text(node, "zh"),
        "subject_en": expression_text(node, "en"),
    }


_COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _membership(node: Binary, negated: bool) -> Callable[[Mapping[str, Any]], Texts]:
    left, right = node.left, node.right
    left_value, right_value = compile_node(left), compile_node(right)  # type: ignore[arg-type]
    if isinstance(right, FeatureRef) and right.type == LIST_STRING:
        feature = FEATURES[right.name]
        labels = {lang: feature.label(lang) for lang in ("zh", "en")}

        def describe_list(row: Mapping[str, Any]) -> Texts:
            items, wanted = right_value(row, {}), left_value(row, {})
            holds = wanted in items
            texts = []
            for lang in ("zh", "en"):
                word = (
                    ("包含" if holds else "不包含")
                    if lang == "zh"
                    else ("contains" if holds else "does not contain")
                )
                texts.append(
                    f"{labels[lang]}: {format_value(items, feature, lang)} {word} "
                    f"{format_value(wanted, feature, lang)}"
                )
            facts = {
                "form": "has", "feature": feature.name, "op": "lacks" if negated else "has",
                "expected": wanted, "actual": list(items),
            }  # fmt: skip
            return texts[0], texts[1], holds != negated, facts

        return describe_list
    context = _enum_context(left)  # type: ignore[arg-type]
    subjects = {lang: expression_text(left, lang) for lang in ("zh", "en")}  # type: ignore[arg-type]
    about = _subject_facts(left)  # type: ignore[arg-type]

    def describe(row: Mapping[str, Any]) -> Texts:
        value, members = left_value(row, {}), right_value(row, {})
        holds = value in members
        symbol = "∈" if holds else "∉"
        texts = tuple(
            f"{subjects[lang]}: {format_value(value, context, lang)} {symbol} "
            f"{_set_text(members, context, lang)}"
            for lang in ("zh", "en")
        )
        facts = {
            **about, "form": "member", "op": "not_in" if negated else "in", "expected": list(members),
            "actual": value,
        }  # fmt: skip
        return texts[0], texts[1], holds != negated, facts

    return describe


def _bool_feature(node: FeatureRef, negated: bool) -> Callable[[Mapping[str, Any]], Texts]:
    feature = FEATURES[node.name]

    def describe(row: Mapping[str, Any]) -> Texts:
        value = bool(row[node.name])
        facts = {"form": "flag", "feature": node.name, "op": "is_not" if negated else "is", "actual": value}
        return (
            f"{feature.label_zh}: {format_value(value, None, 'zh')}",
            f"{feature.label_en}: {format_value(value, None, 'en')}",
            value != negated,
            facts,
        )

    return describe


def _string_method(node: Call, negated: bool) -> Callable[[Mapping[str, Any]], Texts]:
    subject, argument = compile_node(node.target), compile_node(node.args[0])  # type: ignore[arg-type]
    evaluate = compile_node(node)
    context = _enum_context(node.target)  # type: ignore[arg-type]
    labels = {lang: expression_text(node.target, lang) for lang in ("zh", "en")}  # type: ignore[arg-type]
    rules = _rule_texts(node, negated)

    def describe(row: Mapping[str, Any]) -> Texts:
        holds = evaluate(row, {})
        value, fragment = subject(row, {}), argument(row, {})
        texts = tuple(
            f"{labels[lang]}: {format_value(value, context, lang)} {_method_words(node.name, holds, lang)} "
            f"{cel_literal(fragment)}"
            for lang in ("zh", "en")
        )
        return texts[0], texts[1], holds != negated, _other_facts(texts, rules)

    return describe


def _quantifier(node: Comprehension, negated: bool) -> Callable[[Mapping[str, Any]], Texts]:
    evaluate, items = compile_node(node), compile_node(node.target)  # type: ignore[arg-type]
    context = _enum_context(node.target)  # type: ignore[arg-type]
    labels = {lang: expression_text(node.target, lang) for lang in ("zh", "en")}  # type: ignore[arg-type]
    bodies = {lang: expression_text(node.body, lang, context) for lang in ("zh", "en")}  # type: ignore[arg-type]
    exists = node.name == "exists"
    rules = _rule_texts(node, negated)

    def describe(row: Mapping[str, Any]) -> Texts:
        holds = evaluate(row, {})
        values = format_value(items(row, {}), context, "zh"), format_value(items(row, {}), context, "en")
        if exists:
            zh = f"{'存在' if holds else '不存在'} {node.var} 满足 {bodies['zh']}"
            en = f"{'some' if holds else 'no'} {node.var} with {bodies['en']}"
        else:
            zh = f"{'全部' if holds else '并非全部'} {node.var} 满足 {bodies['zh']}"
            en = f"{'every' if holds else 'not every'} {node.var} with {bodies['en']}"
        texts = f"{labels['zh']}: {values[0]} {zh}", f"{labels['en']}: {values[1]} {en}"
        return texts[0], texts[1], holds != negated, _other_facts(texts, rules)

    return describe


def _generic(node: Node, negated: bool) -> Callable[[Mapping[str, Any]], Texts]:
    evaluate = compile_node(node)
    texts = {lang: expression_text(node, lang) for lang in ("zh", "en")}
    if negated:
        texts = {"zh": f"非（{texts['zh']}）", "en": f"not ({texts['en']})"}
    words = {lang: (_WORDS[lang]["true"], _WORDS[lang]["false"]) for lang in ("zh", "en")}

    rules = texts["zh"], texts["en"]

    def describe(row: Mapping[str, Any]) -> Texts:
        holds = bool(evaluate(row, {}))
        zh = f"{texts['zh']}: {words['zh'][0] if holds else words['zh'][1]}"
        en = f"{texts['en']}: {words['en'][0] if holds else words['en'][1]}"
        return zh, en, holds != negated, _other_facts((zh, en), rules)

    return describe


def _rule_texts(node: Node, negated: bool) -> tuple[str, str]:
    """The condition a test asks for, in labels (negation included)."""
    zh, en = expression_text(node, "zh"), expression_text(node, "en")
    return (f"非（{zh}）", f"not ({en})") if negated else (zh, en)


def _other_facts(texts: tuple[str, ...], rules: tuple[str, str]) -> dict[str, Any]:
    """Facts of a test with no sentence of its own: its compact texts, read with the symbols spelt out."""
    return {
        "form": "other",
        "text_zh": texts[0],
        "text_en": texts[1],
        "rule_zh": rules[0],
        "rule_en": rules[1],
    }
