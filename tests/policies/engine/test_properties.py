"""Property: for random well-typed rules and random populations, the polars batch path, the row
interpreter (used by explanations) and the celpy reference agree on every talent."""

from __future__ import annotations

import json
import warnings
from functools import cache

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NonInteractiveExampleWarning

from rencai.policies.engine import (
    RuleError,
    compile_rule,
    evaluate_amounts,
    evaluate_rules,
    explain,
    frame_from_rows,
    reference_evaluate,
)
from rencai.policies.engine.schema import feature_row_to_cel
from tests.policies.engine.populations import DOMAINS, PLATFORM_VALUES, PROGRAMME_VALUES, populations

INT_FEATURES = [
    "age",
    "degree_level",
    "title_rank",
    "skill_level",
    "months_employed_locally",
    "years_since_arrival",
]
BOOL_FEATURES = [
    "has_overseas_degree",
    "employer_is_platform",
    "employer_is_high_tech",
    "is_researcher_venture",
]
STRING_FEATURES = list(DOMAINS)
LIST_FEATURES = {"programmes": PROGRAMME_VALUES, "platform_kinds": PLATFORM_VALUES}
DATES = ["2010-01-01", "2016-12-31", "2017-01-01", "2017-03-01", "2019-06-15", "2023-01-01", "2030-01-01"]
COMPARISONS = ["==", "!=", "<", "<=", ">", ">="]
MAX_DEPTH = 3


def cel_string(value: str) -> str:
    return json.dumps(value)


def feature(name: str) -> str:
    return f"talent.{name}"


def parenthesized(text: str) -> str:
    return f"({text})"


def binary(left: st.SearchStrategy, ops: list[str], right: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(left, st.sampled_from(ops), right).map(lambda t: parenthesized(f"{t[0]} {t[1]} {t[2]}"))


def conditional(test, then, otherwise) -> st.SearchStrategy:
    return st.tuples(test, then, otherwise).map(lambda t: parenthesized(f"{t[0]} ? {t[1]} : {t[2]}"))


# -- typed expression strategies ---------------------------------------------------------------


@cache
def int_leaves() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(INT_FEATURES).map(feature),
        st.integers(-100, 3000).map(str),
        st.sampled_from([*LIST_FEATURES, "region", "employer_industry"]).map(lambda n: f"size(talent.{n})"),
    )


@cache
def ints(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return int_leaves()
    smaller = ints(depth - 1)
    divisor = st.integers(-9, 9).filter(lambda d: d != 0).map(str)
    return st.one_of(
        int_leaves(),
        binary(smaller, ["+", "-", "*"], smaller),
        binary(smaller, ["/", "%"], divisor),
        conditional(bools(depth - 1), smaller, smaller),
        smaller.map(lambda e: f"-{e}"),
        doubles(depth - 1).map(lambda e: f"int({e})"),
    )


@cache
def double_literals() -> st.SearchStrategy[str]:
    return st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, allow_subnormal=False).map(repr)


@cache
def doubles(depth: int) -> st.SearchStrategy[str]:
    leaves = st.one_of(double_literals(), st.sampled_from(INT_FEATURES).map(lambda n: f"double(talent.{n})"))
    if depth == 0:
        return leaves
    smaller = doubles(depth - 1)
    divisor = st.floats(0.1, 100, allow_nan=False).map(repr)
    return st.one_of(
        leaves,
        binary(smaller, ["+", "-", "*"], smaller),
        binary(smaller, ["/"], divisor),
        conditional(bools(depth - 1), smaller, smaller),
        smaller.map(lambda e: f"-{e}"),
        ints(depth - 1).map(lambda e: f"double({e})"),
    )


@st.composite
def string_comparison(draw) -> str:
    name = draw(st.sampled_from(STRING_FEATURES))
    op = draw(st.sampled_from(COMPARISONS))
    other = draw(
        st.one_of(
            st.sampled_from(DOMAINS[name]).map(cel_string),
            st.sampled_from(STRING_FEATURES).map(feature),
        )
    )
    left, right = (feature(name), other) if draw(st.booleans()) else (other, feature(name))
    return parenthesized(f"{left} {op} {right}")


@st.composite
def string_membership(draw) -> str:
    name = draw(st.sampled_from(STRING_FEATURES))
    values = draw(st.lists(st.sampled_from(DOMAINS[name]), max_size=12))
    return parenthesized(f"talent.{name} in [{', '.join(map(cel_string, values))}]")


@st.composite
def string_method(draw) -> str:
    name = draw(st.sampled_from(STRING_FEATURES))
    value = draw(st.sampled_from([v for v in DOMAINS[name]]))
    start, end = sorted(draw(st.tuples(st.integers(0, len(value)), st.integers(0, len(value)))))
    method = draw(st.sampled_from(["contains", "startsWith", "endsWith"]))
    return f"talent.{name}.{method}({cel_string(value[start:end])})"


@st.composite
def list_test(draw) -> str:
    name = draw(st.sampled_from(list(LIST_FEATURES)))
    values = LIST_FEATURES[name]
    kind = draw(st.sampled_from(["in", "exists", "all", "size"]))
    if kind == "in":
        return parenthesized(f"{cel_string(draw(st.sampled_from(values)))} in talent.{name}")
    if kind == "size":
        return parenthesized(
            f"size(talent.{name}) {draw(st.sampled_from(COMPARISONS))} {draw(st.integers(0, 3))}"
        )
    members = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
    body = draw(
        st.sampled_from(
            [
                f"x in [{', '.join(map(cel_string, members))}]",
                f"x == {cel_string(members[0])}",
                'x.endsWith("station")',
                "size(x) > 8",
            ]
        )
    )
    return f"talent.{name}.{kind}(x, {body})"


@st.composite
def int_membership(draw) -> str:
    name = draw(st.sampled_from(INT_FEATURES))
    values = draw(st.lists(st.integers(0, 60), max_size=5))
    return parenthesized(f"talent.{name} in [{', '.join(map(str, values))}]")


@cache
def timestamp_comparison() -> st.SearchStrategy[str]:
    day = st.sampled_from(DATES).map(lambda d: f'date("{d}")')
    either = st.one_of(st.just("talent.arrival_date"), day)
    return binary(st.just("talent.arrival_date"), COMPARISONS, either) | binary(day, COMPARISONS, either)


@cache
def bool_leaves() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(BOOL_FEATURES).map(feature),
        st.sampled_from(["true", "false"]),
        binary(int_leaves(), COMPARISONS, int_leaves()),
        string_comparison(),
        string_membership(),
        string_method(),
        list_test(),
        int_membership(),
        timestamp_comparison(),
    )


@cache
def bools(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return bool_leaves()
    smaller = bools(depth - 1)
    return st.one_of(
        bool_leaves(),
        binary(smaller, ["&&", "||"], smaller),
        binary(smaller, ["==", "!="], smaller),
        smaller.map(lambda e: f"!{e}"),
        conditional(smaller, smaller, smaller),
        binary(ints(depth - 1), COMPARISONS, ints(depth - 1)),
        binary(doubles(depth - 1), COMPARISONS, doubles(depth - 1)),
        st.lists(smaller, min_size=2, max_size=5).map(lambda parts: " && ".join(parts)),
        st.lists(smaller, min_size=2, max_size=5).map(lambda parts: " || ".join(parts)),
    )


def eligibility_rules() -> st.SearchStrategy[str]:
    return st.integers(0, MAX_DEPTH).flatmap(bools)


def amount_rules() -> st.SearchStrategy[str]:
    return st.integers(0, MAX_DEPTH).flatmap(lambda depth: ints(depth) | doubles(depth))


def compile_or_reject(source: str, expect: str):
    """Generated rules are well typed by construction; only possible overflow may reject one."""
    try:
        return compile_rule(source, expect=expect)
    except RuleError as error:
        assume(not all(problem.code == "overflow" for problem in error.problems))
        raise


PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@PROPERTY_SETTINGS
@given(source=eligibility_rules(), rows=populations(max_size=60))
def test_batch_interpreter_and_celpy_agree_on_random_eligibility_rules(source, rows):
    rule = compile_or_reject(source, "bool")
    batch = evaluate_rules(frame_from_rows(rows), {"rule": rule})["rule"].to_list()
    for row, batch_value in zip(rows, batch, strict=True):
        expected = reference_evaluate(rule, activation=feature_row_to_cel(row))
        assert batch_value == expected, (source, row)
        assert rule.evaluate_row(row) == expected, (source, row)
        assert explain(rule, row).root.passed == expected, (source, row)


@PROPERTY_SETTINGS
@given(source=amount_rules(), rows=populations(max_size=60))
def test_batch_interpreter_and_celpy_agree_on_random_amount_rules(source, rows):
    rule = compile_or_reject(source, "number")
    batch = evaluate_amounts(frame_from_rows(rows), {"amount": rule})["amount"].to_list()
    for row, batch_value in zip(rows, batch, strict=True):
        expected = reference_evaluate(rule, activation=feature_row_to_cel(row))
        assert batch_value == float(expected), (source, row, batch_value, expected)
        assert rule.evaluate_row(row) == expected, (source, row)
        assert explain(compile_rule("true"), row, rule).amount.amount == expected, (source, row)


def test_generated_rules_cover_every_construct():
    """Guards the generator itself: a sample of generated rules uses every operator family."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        sample = [eligibility_rules().example() for _ in range(200)] + [
            amount_rules().example() for _ in range(200)
        ]
    text = "\n".join(sample)
    for token in ["&&", "||", "!", "?", " in [", " in talent.", ".exists(", ".all(", "size(", "date(", "int(",
                  "double(", " / ", " % ", "startsWith", "contains", "endsWith", " <= ", " != "]:  # fmt: skip
        assert token in text, token
