"""Explanations told in sentences: "您的学历为博士，满足“硕士及以上”的条件", never "学历: 博士 ≥ 硕士 ✓".

Each test clause of an explanation carries its `facts` (what was compared: the feature, the relation, the
expected and the actual value); this module turns them into sentences in Chinese or English, addressed to
the talent (voice `second`: 您 / you) or told about them to an officer (voice `third`: 该人才 / the talent):

- `sentence(facts, passed, lang, voice)`: what the talent's value is and whether it meets the condition;
- `requirement(facts, lang)`: the condition alone ("学历达到硕士及以上"), for options and amount cases;
- `need(facts, lang, voice)`: what is missing, phrased as what is needed ("需要：学历达到硕士及以上"), or,
  when the rule asks for one exact value the talent does not have, as the requirement with the talent's
  value ("要求学历为硕士（您的学历为博士）": a doctor is not told that a master's degree is missing);
- `read(explanation, lang, voice)`: a whole explanation (`Explanation.as_dict()`) as a `Reading`: the
  reasons that decide the outcome first, what is still needed (only when something is), the conditions
  already met, and in an "any" group the branch that qualified, the others set aside as not needed.

It reads the structured (JSON) form so that an explanation stored with an application reads the same as
a fresh one; a stored clause without facts (written before facts existed) falls back to its compact text
with the logic symbols spelt out. No logic notation (∈ ∉ ≠ ≤ ≥ ✓ ✗) appears in what it returns.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rencai.core.text import quoted
from rencai.policies.engine.schema import DEGREES, FEATURES, INT, TIMESTAMP, TITLE_LEVELS, Feature

SECOND, THIRD = "second", "third"
VOICES = (SECOND, THIRD)

# Who the sentence is about: subject (s), possessive (p), "yours" (own), and English verb forms.
_PERSON: dict[tuple[str, str], dict[str, str]] = {
    ("zh", SECOND): {"s": "您", "p": "您的", "own": "您的"},
    ("zh", THIRD): {"s": "该人才", "p": "该人才的", "own": "该人才的"},
    ("en", SECOND): {"s": "you", "p": "your", "own": "yours", "be": "are", "have": "have", "do": "do"},
    ("en", THIRD): {
        "s": "the talent", "p": "the talent's", "own": "the talent's",
        "be": "is", "have": "has", "do": "does",
    },
}  # fmt: skip

# Features whose values rank: the relation "at least" reads "硕士及以上".
_ORDER: dict[str, tuple[Any, ...]] = {
    "degree": tuple(DEGREES),
    "title_level": tuple(TITLE_LEVELS),
    "degree_level": (0, 1, 2, 3, 4),
    "title_rank": (0, 1, 2, 3, 4),
}
_RANKED_NUMBERS = ("degree_level", "title_rank")
# How a feature is named in a sentence when its schema label does not read well there.
_SUBJECT_LABELS = {
    "degree_level": ("学历", "degree"),
    "title_rank": ("职称", "professional title"),
    "tier": ("人才类别", "tier"),
    "months_employed_locally": ("在衢工作时间", "time employed locally"),
    "years_since_arrival": ("来衢年限", "time since arrival"),
}
# Units of counted features: Chinese, English singular, English plural.
_UNITS = {
    "age": ("岁", "year", "years"),
    "months_employed_locally": ("个月", "month", "months"),
    "years_since_arrival": ("年", "year", "years"),
}
_NUMBER_WORDS = {
    "zh": {"<=": "不超过", "<": "不满", ">=": "不少于", ">": "超过", "==": "为", "!=": "不为"},
    "en": {"<=": "at most", "<": "under", ">=": "at least", ">": "over", "==": "exactly", "!=": "other than"},
}
_DATE_WORDS = {
    "zh": {"<=": "不晚于", "<": "早于", ">=": "不早于", ">": "晚于", "==": "为", "!=": "不为"},
    "en": {
        "<=": "on or before",
        "<": "before",
        ">=": "on or after",
        ">": "after",
        "==": "on",
        "!=": "not on",
    },
}
_RANK_WORDS = {
    "zh": {
        ">=": "{v}及以上", ">": "高于{v}", "<=": "{v}及以下", "<": "低于{v}", "==": "{v}", "!=": "不是{v}",
    },
    "en": {
        ">=": "{v} or higher", ">": "higher than {v}", "<=": "{v} or lower", "<": "lower than {v}",
        "==": "{v}", "!=": "other than {v}",
    },
}  # fmt: skip

# Yes/no features: (sentence when true, when false, requirement of true, requirement of false) per language;
# {s}/{p} are the subject and possessive, {be}/{have}/{do} the English verb forms.
_FLAGS: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "has_overseas_degree": {
        "zh": ("{s}有海外学历", "{s}没有海外学历", "有海外学历", "没有海外学历"),
        "en": (
            "{s} {have} a degree from abroad", "{s} {do} not have a degree from abroad",
            "a degree from abroad", "no degree from abroad",
        ),
    },
    "employer_is_platform": {
        "zh": (
            "{p}用人单位是平台型企业", "{p}用人单位不是平台型企业",
            "用人单位是平台型企业", "用人单位不是平台型企业",
        ),
        "en": (
            "{p} employer is a platform enterprise", "{p} employer is not a platform enterprise",
            "an employer that is a platform enterprise", "an employer that is not a platform enterprise",
        ),
    },
    "employer_is_high_tech": {
        "zh": (
            "{p}用人单位是高新技术企业", "{p}用人单位不是高新技术企业",
            "用人单位是高新技术企业", "用人单位不是高新技术企业",
        ),
        "en": (
            "{p} employer is a high-tech enterprise", "{p} employer is not a high-tech enterprise",
            "an employer that is a high-tech enterprise", "an employer that is not a high-tech enterprise",
        ),
    },
    "is_researcher_venture": {
        "zh": ("{s}属于科研人员创业", "{s}不属于科研人员创业", "属于科研人员创业", "不属于科研人员创业"),
        "en": (
            "{s} {be} a public researcher starting a company",
            "{s} {be} not a public researcher starting a company",
            "being a public researcher starting a company",
            "not being a public researcher starting a company",
        ),
    },
}  # fmt: skip
# List features: (present, absent, requirement present, requirement absent); {v} is the value.
_LISTS: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "programmes": {
        "zh": ("{s}已入选{v}", "{s}未入选{v}", "入选{v}", "未入选{v}"),
        "en": (
            "{p} programmes include {v}", "{p} programmes do not include {v}",
            "selection for {v}", "no selection for {v}",
        ),
    },
    "platform_kinds": {
        "zh": ("{s}所在的平台包括{v}", "{s}所在的平台不包括{v}", "所在平台包括{v}", "所在平台不包括{v}"),
        "en": (
            "{p} platforms include {v}", "{p} platforms do not include {v}",
            "a {v} among the talent platforms", "no {v} among the talent platforms",
        ),
    },
}  # fmt: skip
# Logic symbols of the compact notation, spelt out for the fallback of clauses without facts.
_SYMBOL_WORDS = {
    "zh": {"∉": "不属于", "∈": "属于", "≠": "不等于", "≤": "不超过", "≥": "不少于", "✓": "", "✗": ""},
    "en": {"∉": "not in", "∈": "in", "≠": "not equal to", "≤": "at most", "≥": "at least", "✓": "", "✗": ""},
}
_SYMBOLS = re.compile("|".join(_SYMBOL_WORDS["zh"]))


# -- values ---------------------------------------------------------------------------------------


def _feature(facts: Mapping[str, Any]) -> Feature | None:
    return FEATURES.get(facts.get("feature") or "")


def _person(lang: str, voice: str) -> dict[str, str]:
    return _PERSON[(lang, voice if voice in VOICES else THIRD)]


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def value_text(value: Any, feature: Feature | None, lang: str, *, unit: bool = True) -> str:
    """One value as a reader says it: an enumerated value by its label, a count with its unit."""
    if isinstance(value, list | tuple):
        return ("、" if lang == "zh" else ", ").join(value_text(item, feature, lang) for item in value)
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    label = feature.value_label(value, lang) if feature is not None else None
    if label is not None:
        return label
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        text = _number(value)
        units = _UNITS.get(feature.name) if feature is not None and unit else None
        if units is None:
            return text
        if lang == "zh":
            return f"{text} {units[0]}"
        return f"{text} {units[1] if value == 1 else units[2]}"
    if value == "":
        return "（空）" if lang == "zh" else "(empty)"
    return str(value)


def _joined(items: Sequence[str], lang: str, *, word: str = "") -> str:
    """A list read aloud: 甲、乙、丙 / a, b or c."""
    if lang == "zh":
        return "、".join(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word or 'or'} " + items[-1]


def _q(text: str, lang: str) -> str:
    return quoted(text) if lang == "zh" else f'"{text}"'


def _spoken(text: str, lang: str) -> str:
    """Compact notation with its logic symbols spelt out (for clauses that have no facts)."""
    words = _SYMBOL_WORDS[lang]
    spaced = _SYMBOLS.sub(lambda match: f" {words[match.group(0)]} " if words[match.group(0)] else "", text)
    return re.sub(r"\s+", " ", spaced).strip().replace(": ", "：" if lang == "zh" else ": ")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _finish(text: str, lang: str) -> str:
    return text if lang == "zh" else _capital(text) + "."


# -- the parts of a sentence ------------------------------------------------------------------------


def _label(facts: Mapping[str, Any], lang: str) -> str:
    """What the condition is about, e.g. 学历, age, 年龄 + 来衢年限."""
    feature = _feature(facts)
    if feature is None:
        return str(facts.get(f"subject_{lang}") or "")
    if feature.name in _SUBJECT_LABELS:
        zh, en = _SUBJECT_LABELS[feature.name]
        return zh if lang == "zh" else en
    return feature.label(lang)


def _subject(facts: Mapping[str, Any], lang: str, voice: str) -> str:
    """您的学历 / 该人才所在的县（市、区） / your age / the talent's county."""
    person, label = _person(lang, voice), _label(facts, lang)
    if facts.get("feature") == "region":
        return f"{person['s']}所在的县（市、区）" if lang == "zh" else f"{person['p']} county"
    return f"{person['p']}{label}" if lang == "zh" else f"{person['p']} {label}"


def _stated(facts: Mapping[str, Any], lang: str, voice: str) -> str:
    """您的年龄为 38 岁 / your age is 38 years."""
    actual = value_text(facts.get("actual"), _feature(facts), lang)
    joiner = "为" if lang == "zh" else " is "
    if lang == "zh" and actual[:1].isdigit():
        joiner = "为 "
    return f"{_subject(facts, lang, voice)}{joiner}{actual}"


def _normalised(facts: Mapping[str, Any]) -> Mapping[str, Any]:
    """Membership in a set that is one value, or a rank and all above it, reads as that comparison."""
    if facts.get("form") != "member" or not isinstance(facts.get("expected"), list):
        return facts
    members, negated = facts["expected"], facts.get("op") == "not_in"
    if len(members) == 1:
        return {**facts, "form": "compare", "op": "!=" if negated else "==", "expected": members[0]}
    order = _ORDER.get(facts.get("feature") or "")
    if order and not negated and set(members) <= set(order):
        lowest = min(order.index(member) for member in members)
        if set(members) == set(order[lowest:]) and lowest > 0:
            return {**facts, "form": "compare", "op": ">=", "expected": order[lowest], "ranked": True}
    return facts


def _kind(facts: Mapping[str, Any]) -> str:
    """How a comparison reads: "rank" (硕士及以上), "value" (学历为硕士), "date" or "number"."""
    feature, op = _feature(facts), facts.get("op")
    if feature is None:
        return "number"
    if feature.cel_type == TIMESTAMP:
        return "date"
    if op in ("==", "!=") and (feature.values or feature.cel_type != INT):
        return "value"
    # only integer ranks compare in order; a membership set read as a rank is marked `ranked`
    if facts.get("ranked") or feature.name in _RANKED_NUMBERS:
        return "rank"
    return "number"


def _expected(facts: Mapping[str, Any], lang: str) -> str:
    """The compared-to value: a constant, or another quantity with its value (来衢年限（3）)."""
    feature, value = _feature(facts), facts.get("expected")
    text = value_text(value, feature, lang)
    other = facts.get(f"expected_{lang}")
    if not other and _kind(facts) == "number" and feature is not None and feature.value_label(value, lang):
        other, text = _number(value), text  # a level read as a number: 2（技师）
    if other:
        return f"{other}（{text}）" if lang == "zh" else f"{other} ({text})"
    return text


def _condition(facts: Mapping[str, Any], lang: str) -> str:
    """The relation with its bound: 不超过 35 岁, 硕士及以上, at least 6 months, on or after 2017-01-01."""
    op, kind = facts.get("op", "=="), _kind(facts)
    if kind in ("rank", "value"):
        return _RANK_WORDS[lang][op].format(v=_expected(facts, lang))
    words = (_DATE_WORDS if kind == "date" else _NUMBER_WORDS)[lang][op]
    return f"{words} {_expected(facts, lang)}"


# -- one test -------------------------------------------------------------------------------------


def requirement(facts: Mapping[str, Any], lang: str) -> str:
    """The condition alone, about nobody in particular: 学历达到硕士及以上, age at most 35 years."""
    facts = _normalised(facts)
    form, label = facts.get("form"), _label(facts, lang)
    if form == "compare":
        kind, op, condition = _kind(facts), facts.get("op"), _condition(facts, lang)
        if lang == "en":
            if kind == "value":
                return (
                    f"{label} other than {_expected(facts, lang)}"
                    if op == "!="
                    else f"{label} is {condition}"
                )
            return f"{label} of {condition}" if kind == "rank" else f"{label} {condition}"
        if kind == "rank" and op in (">=", ">"):
            return f"{label}达到{condition}"
        if kind in ("rank", "value") and op != "!=":
            return f"{label}为{condition}"
        return f"{label}{condition}"
    if form == "member":
        items = value_text(facts.get("expected"), _feature(facts), lang)
        if facts.get("op") == "not_in":
            return f"{label}不为{items}" if lang == "zh" else f"{label} none of {items}"
        return f"{label}为{items}之一" if lang == "zh" else f"{label} one of {items}"
    if form in ("has", "flag"):
        template = _phrases(facts, lang)[2 if _required(facts) else 3]
        return template.format(v=value_text(facts.get("expected"), _feature(facts), lang))
    rule = _spoken(str(facts.get(f"rule_{lang}") or facts.get(f"text_{lang}") or ""), lang)
    return f"满足{quoted(rule)}" if lang == "zh" else f'"{rule}" to hold'


def sentence(facts: Mapping[str, Any], passed: bool, lang: str, voice: str = THIRD) -> str:
    """The talent's value and whether it meets the condition, as one sentence."""
    facts = _normalised(facts)
    form = facts.get("form")
    if form == "compare":
        text = _comparison_sentence(facts, passed, lang, voice)
    elif form == "member":
        text = _membership_sentence(facts, passed, lang, voice)
    elif form in ("has", "flag"):
        text = _flag_sentence(facts, lang, voice)
    else:
        text = _other_sentence(facts, passed, lang)
    return _finish(text, lang)


def _comparison_sentence(facts: Mapping[str, Any], passed: bool, lang: str, voice: str) -> str:
    stated, op, kind = _stated(facts, lang, voice), facts.get("op"), _kind(facts)
    if kind == "value":
        expected = _expected(facts, lang)
        if lang == "zh":
            if op == "==":
                return f"{stated}，符合要求" if passed else f"{stated}，而要求为{expected}"
            return f"{stated}，不是{expected}，符合要求" if passed else f"{stated}，而要求不为{expected}"
        if op == "==":
            return f"{stated}, as required" if passed else f"{stated}; the requirement is {expected}"
        return (
            f"{stated}, not {expected}, as required"
            if passed
            else (f"{stated}; the requirement is other than {expected}")
        )
    condition = _q(_condition(facts, lang), lang)
    if passed:
        return f"{stated}，满足{condition}的条件" if lang == "zh" else f"{stated}, which meets {condition}"
    upward, downward = op in ("<=", "<"), op in (">=", ">")
    if lang == "zh":
        if kind != "date" and upward:
            return f"{stated}，超过了{condition}的要求"
        if kind != "date" and downward:
            return f"{stated}，未达到{condition}的要求"
        return f"{stated}，不符合{condition}的要求"
    if kind != "date" and upward:
        return f"{stated}, above the limit {condition}"
    if kind != "date" and downward:
        return f"{stated}, below the requirement {condition}"
    return f"{stated}, which does not meet {condition}"


def _membership_sentence(facts: Mapping[str, Any], passed: bool, lang: str, voice: str) -> str:
    stated = _stated(facts, lang, voice)
    items = value_text(facts.get("expected"), _feature(facts), lang)
    inside = passed != (facts.get("op") == "not_in")
    if facts.get("op") == "not_in":
        if lang == "zh":
            return (
                f"{stated}，不属于{items}，符合要求"
                if passed
                else f"{stated}，属于{items}，而要求不属于这些情形"
            )
        return (
            f"{stated}, none of {items}, as required"
            if passed
            else (f"{stated}, one of {items}, which the rule excludes")
        )
    if lang == "zh":
        return f"{stated}，{'属于' if inside else '不属于'}{items}"
    return f"{stated}, {'one of' if inside else 'not one of'} {items}"


def _required(facts: Mapping[str, Any]) -> bool:
    """Whether a yes/no or list test asks for presence (true) rather than absence."""
    return facts.get("op") in ("has", "is")


def _present(facts: Mapping[str, Any]) -> bool:
    if facts.get("form") == "flag":
        return bool(facts.get("actual"))
    return facts.get("expected") in (facts.get("actual") or [])


def _phrases(facts: Mapping[str, Any], lang: str) -> tuple[str, str, str, str]:
    name = facts.get("feature") or ""
    table = _FLAGS if facts.get("form") == "flag" else _LISTS
    if name in table:
        return table[name][lang]
    label = _label(facts, lang)
    if facts.get("form") == "flag":
        if lang == "zh":
            return (f"{{p}}{label}为是", f"{{p}}{label}为否", f"{label}为是", f"{label}为否")
        return (f"{{p}} {label}: yes", f"{{p}} {label}: no", f"{label}: yes", f"{label}: no")
    if lang == "zh":
        return (
            f"{{p}}{label}包括{{v}}",
            f"{{p}}{label}不包括{{v}}",
            f"{label}包括{{v}}",
            f"{label}不包括{{v}}",
        )
    return (
        f"{{p}} {label} include {{v}}", f"{{p}} {label} do not include {{v}}",
        f"{{v}} among the {label}", f"no {{v}} among the {label}",
    )  # fmt: skip


def _flag_sentence(facts: Mapping[str, Any], lang: str, voice: str) -> str:
    template = _phrases(facts, lang)[0 if _present(facts) else 1]
    value = value_text(facts.get("expected"), _feature(facts), lang) if facts.get("form") == "has" else ""
    return template.format(v=value, **_person(lang, voice))


def _other_sentence(facts: Mapping[str, Any], passed: bool, lang: str) -> str:
    text = _spoken(str(facts.get(f"text_{lang}") or ""), lang)
    if lang == "zh":
        return f"{text}，{'符合条件' if passed else '不符合条件'}"
    return f"{text}, which {'meets' if passed else 'does not meet'} the condition"


def need(facts: Mapping[str, Any], lang: str, voice: str = THIRD) -> str:
    """What a failed test still needs: 需要：学历达到硕士及以上 / 要求学历为硕士（您的学历为博士）."""
    normal = _normalised(facts)
    if normal.get("form") == "compare" and _kind(normal) == "value" and normal.get("op") == "==":
        own = _person(lang, voice)["own"]
        actual = value_text(normal.get("actual"), _feature(normal), lang)
        if lang == "zh":
            return f"要求{requirement(normal, lang)}（{own}{_label(normal, lang)}为{actual}）"
        return f"Required: {requirement(normal, lang)} ({own} is {actual})"
    return f"需要：{requirement(normal, lang)}" if lang == "zh" else f"Needed: {requirement(normal, lang)}"


# -- a whole explanation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One clause as read: a test's sentence, or an "all"/"any" group of lines.

    `optional` marks a condition set aside because another branch of an "any" group qualified: it is read
    as a bare requirement, neither met nor failed. `unneeded` holds those branches of a passed "any" group.
    """

    kind: str
    passed: bool
    sentence: str = ""
    children: tuple[Line, ...] = ()
    unneeded: tuple[Line, ...] = ()
    optional: bool = False


@dataclass(frozen=True)
class AmountReading:
    value: Any
    basis: str = ""  # which case of the amount rule applied
    formula: str = ""  # how it was computed, with the talent's values


@dataclass(frozen=True)
class Reading:
    """An explanation as a reader takes it: deciding reasons first, then what is missing, then the rest."""

    eligible: bool
    voice: str
    reasons: tuple[Line, ...]  # eligible: why; not eligible: the conditions that fail
    needs: tuple[str, ...]  # what is missing; empty when eligible
    satisfied: tuple[Line, ...]  # not eligible: the conditions already met
    amount: AmountReading | None = None
    technical: str = ""  # the compact notation, for officers
    source: str = ""  # the rule as written


def read(explanation: Mapping[str, Any], lang: str, voice: str = THIRD) -> Reading:
    """`explanation` is `Explanation.as_dict()` (fresh, or stored as JSON)."""
    root = explanation.get("tree") or {"kind": "all", "passed": explanation.get("eligible"), "children": []}
    top = root.get("children", []) if root.get("kind") == "all" else [root]
    lines = [line_of(node, lang, voice) for node in top]
    eligible = bool(explanation.get("eligible"))
    amount = explanation.get("amount")
    return Reading(
        eligible=eligible,
        voice=voice if voice in VOICES else THIRD,
        reasons=tuple(lines) if eligible else tuple(line for line in lines if not line.passed),
        needs=() if eligible else tuple(needs(root, lang, voice)),
        satisfied=() if eligible else tuple(line for line in lines if line.passed),
        amount=amount_reading(amount, lang) if eligible and amount else None,
        technical=str(explanation.get(f"text_{lang}") or ""),
        source=str(explanation.get("rule") or ""),
    )


def line_of(node: Mapping[str, Any], lang: str, voice: str, *, optional: bool = False) -> Line:
    kind, passed = node.get("kind", "test"), bool(node.get("passed"))
    if kind == "test":
        return Line("test", passed, _test_text(node, lang, voice, optional), optional=optional)
    children = [line_of(child, lang, voice, optional=optional) for child in node.get("children", [])]
    if optional:
        return Line(kind, passed, children=tuple(children), optional=True)
    if kind == "any" and passed:
        # the branch that qualified decides; the others are options the talent did not need
        taken = tuple(line for line in children if line.passed)
        others = tuple(
            line_of(child, lang, voice, optional=True)
            for child in node.get("children", [])
            if not child["passed"]
        )
        return Line(kind, True, children=taken, unneeded=others)
    # the failing conditions decide: they come first
    ordered = sorted(children, key=lambda line: line.passed)
    return Line(kind, passed, children=tuple(ordered))


def _test_text(node: Mapping[str, Any], lang: str, voice: str, optional: bool) -> str:
    facts = node.get("facts")
    if not facts:  # stored before clauses had facts
        return _other_sentence(
            {"text_zh": node.get("text_zh"), "text_en": node.get("text_en")}, node["passed"], lang
        )
    if optional:
        text = requirement(facts, lang)
        return text if lang == "zh" else _capital(text)
    return sentence(facts, bool(node.get("passed")), lang, voice)


def needs(node: Mapping[str, Any], lang: str, voice: str = THIRD) -> list[str]:
    """The failed conditions that decide the outcome, phrased as what is needed (nothing when it passed)."""
    if node.get("passed"):
        return []
    kind = node.get("kind", "test")
    if kind == "test":
        facts = node.get("facts")
        if not facts:
            return [_spoken(str(node.get(f"text_{lang}") or ""), lang)]
        return [need(facts, lang, voice)]
    if kind == "all":
        return [item for child in node.get("children", []) for item in needs(child, lang, voice)]
    options = [_requirements(child, lang) for child in node.get("children", [])]
    if lang == "zh":
        return ["需要满足以下之一：" + "；或".join(options)]
    return ["Needed, one of: " + "; or ".join(options)]


def _requirements(node: Mapping[str, Any], lang: str) -> str:
    """What a failed branch asks for (its failed parts only: the others are met)."""
    kind = node.get("kind", "test")
    if kind == "test":
        facts = node.get("facts")
        return requirement(facts, lang) if facts else _spoken(str(node.get(f"text_{lang}") or ""), lang)
    children = [child for child in node.get("children", []) if kind == "any" or not child.get("passed")]
    parts = [_requirements(child, lang) for child in children]
    if kind == "all":
        return ("，且" if lang == "zh" else " and ").join(parts)
    return ("，或" if lang == "zh" else " or ").join(parts)


def _case(node: Mapping[str, Any], lang: str) -> str:
    """A condition of the amount rule as a case: 人才类别为A类."""
    kind = node.get("kind", "test")
    if kind == "test":
        facts = node.get("facts")
        return requirement(facts, lang) if facts else _spoken(str(node.get(f"text_{lang}") or ""), lang)
    parts = [_case(child, lang) for child in node.get("children", [])]
    if kind == "all":
        return ("，且" if lang == "zh" else " and ").join(parts)
    return ("，或" if lang == "zh" else " or ").join(parts)


def amount_reading(amount: Mapping[str, Any], lang: str) -> AmountReading:
    """Which case of the amount rule gave the amount, and the formula with the talent's values."""
    steps = amount.get("steps") or []
    basis = ""
    if steps and steps[-1].get("passed"):
        case = _q(_case(steps[-1], lang), lang)
        basis = f"按{case}的标准计算" if lang == "zh" else f"Set by the case {case}."
    elif steps:
        cases = [_q(_case(step, lang), lang) for step in steps]
        if lang == "zh":
            basis = f"不属于{'、'.join(cases)}的情形，按其他情形计算"
        else:
            basis = f"Not the case of {_joined(cases, lang)}; the remaining case applies."
    formula = str(amount.get(f"formula_{lang}") or "")
    if formula:
        formula = f"计算方式：{formula}" if lang == "zh" else f"Computed as {formula}."
    return AmountReading(value=amount.get("amount"), basis=basis, formula=formula)
