"""Every supported operator gives the same answer in the batch path, the row interpreter and celpy."""

import polars as pl
import pytest

from rencai.policies.engine import compile_rule, evaluate_amounts, evaluate_rules, reference_evaluate
from rencai.policies.engine.compile_polars import STRING_IS_IN_THRESHOLD
from rencai.policies.engine.schema import feature_row_to_cel
from tests.policies.engine.populations import sample_frame

FRAME, ROWS = sample_frame(80)
ACTIVATIONS = [feature_row_to_cel(row) for row in ROWS]

ELIGIBILITY_RULES = {
    "eq_string": 'talent.degree == "doctor"',
    "ne_string": 'talent.tier != ""',
    "lt_int": "talent.age < 45",
    "le_int": "talent.age <= 45",
    "gt_int": "talent.years_since_arrival > 3",
    "ge_int": "talent.skill_level >= 3",
    "eq_bool": "talent.has_overseas_degree == false",
    "ne_bool": "talent.employer_is_platform != talent.employer_is_high_tech",
    "string_order": 'talent.region >= "330825"',
    "timestamp_ge": 'talent.arrival_date >= date("2017-01-01")',
    "timestamp_eq": 'talent.arrival_date == date("2017-03-01")',
    "timestamp_lt": 'date("2017-01-01") > talent.arrival_date',
    "and": 'talent.degree == "doctor" && talent.age <= 45',
    "or": 'talent.tier == "A" || talent.tier == "B"',
    "not": "!talent.employer_is_platform",
    "not_group": '!(talent.age > 40 || talent.degree == "none")',
    "bool_feature": "talent.is_researcher_venture",
    "in_strings": 'talent.tier in ["A", "B", "C"]',
    "in_many_strings": "talent.nationality in ["
    + ", ".join(f'"C{i}"' for i in range(STRING_IS_IN_THRESHOLD))
    + ', "CN"]',
    "in_ints": "talent.skill_level in [1, 2]",
    "in_single": 'talent.employment_type in ["full_time"]',
    "in_empty": "talent.age in []",
    "in_list_feature": '"national_programme" in talent.programmes',
    "in_list_of_expressions": "talent.degree_level in [talent.title_rank, 4]",
    "size_list": "size(talent.programmes) >= 1",
    "size_method": "talent.platform_kinds.size() == 0",
    "size_string": "size(talent.region) == 6",
    "contains": 'talent.employer_industry.contains("ic")',
    "starts_with": 'talent.region.startsWith("3308")',
    "ends_with": 'talent.region.endsWith("25")',
    "exists": 'talent.platform_kinds.exists(k, k in ["enclave", "rd_center"])',
    "all": 'talent.programmes.all(p, p.endsWith("programme"))',
    "exists_literal": '["a", "b"].exists(x, x == "b")',
    "ternary_bool": 'talent.team == "high_skill" ? talent.skill_level in [1, 2] : talent.degree_level >= 3',
    "arithmetic_compare": "talent.age - talent.years_since_arrival * 2 > 20",
    "modulo": "talent.age % 7 == 3",
    "negative_modulo": "(talent.age - 60) % -7 == -2",
    "division": "(talent.age - 60) / 7 == -1",
    "double_compare": "double(talent.age) / 2.0 > 22.5",
    "int_conversion": "int(double(talent.age) * 1.5) > 60",
    "unary_minus": "-talent.age < -45",
    "constant_true": "1 + 1 == 2",
    "constant_false": '"a" > "b"',
}

AMOUNT_RULES = {
    "literal": "150000",
    "double_literal": "1.5e5",
    "ternary": "talent.has_overseas_degree ? 250000 : 200000",
    "tier_chain": 'talent.tier == "A" ? 30000 : (talent.tier == "B" ? 20000 : 10000)',
    "tier_chain_in": 'talent.tier in ["A", "B"] ? 1000000 : (talent.tier == "C" ? 500000 : 0)',
    "arithmetic": "talent.age * 1000 + talent.years_since_arrival * 250 - 3",
    "truncating_division": "(talent.age - 60) / 7",
    "remainder": "(talent.age - 60) % 7",
    "double_arithmetic": "double(talent.months_employed_locally) * 1000.5 / 3.0",
    "negated": "-(talent.age * 10)",
    "size_times": "size(talent.programmes) * 50000",
    "int_of_double": "int(double(talent.age) / 3.0)",
}


def _agree(rule, column):
    assert "python_udf" not in str(rule.to_polars()), "the batch path must stay vectorized"
    batch = column.to_list()
    for row, activation, batch_value in zip(ROWS, ACTIVATIONS, batch, strict=True):
        expected = reference_evaluate(rule, activation=activation)
        interpreted = rule.evaluate_row(row)
        assert batch_value == expected, (rule.source, row, batch_value, expected)
        assert interpreted == expected and type(interpreted) is type(expected), (rule.source, row)


@pytest.mark.parametrize("name", list(ELIGIBILITY_RULES))
def test_eligibility_operator_agrees_with_celpy(name):
    rule = compile_rule(ELIGIBILITY_RULES[name])
    column = FRAME.select(rule.to_polars().alias("x"))["x"]
    assert column.dtype == pl.Boolean
    _agree(rule, column)


@pytest.mark.parametrize("name", list(AMOUNT_RULES))
def test_amount_operator_agrees_with_celpy(name):
    rule = compile_rule(AMOUNT_RULES[name], expect="number")
    column = FRAME.select(rule.to_polars().alias("x"))["x"]
    assert column.dtype == pl.Float64
    _agree(rule, column)


def test_population_makes_every_operator_take_both_outcomes():
    """The fixed population is varied enough that no eligibility test above is trivially constant."""
    rules = {
        name: compile_rule(src) for name, src in ELIGIBILITY_RULES.items() if not name.startswith("constant")
    }
    result = evaluate_rules(FRAME, rules)
    constant = [
        name for name in rules if name not in ("in_empty", "exists_literal") and result[name].n_unique() < 2
    ]
    assert constant == []


def test_evaluate_rules_returns_one_boolean_column_per_rule_in_frame_order():
    rules = {1: compile_rule("talent.age > 40"), "doctor": compile_rule('talent.degree == "doctor"')}
    result = evaluate_rules(FRAME, rules)
    assert result.columns == ["talent_id", "1", "doctor"]
    assert result["talent_id"].to_list() == FRAME["talent_id"].to_list()
    assert result["1"].to_list() == [row["age"] > 40 for row in ROWS]


def test_evaluate_amounts_returns_float_columns():
    result = evaluate_amounts(FRAME, {"a": compile_rule("talent.age * 2", expect="number")})
    assert result["a"].dtype == pl.Float64
    assert result["a"].to_list() == [float(row["age"] * 2) for row in ROWS]


def test_evaluate_rejects_amount_rules_among_eligibility_rules():
    with pytest.raises(ValueError):
        evaluate_rules(FRAME, {"a": compile_rule("1", expect="number")})


def test_evaluate_rejects_keys_that_collide_as_column_names():
    with pytest.raises(ValueError):
        evaluate_rules(FRAME, {1: compile_rule("true"), "1": compile_rule("false")})


def test_evaluate_reports_a_missing_feature_column_in_both_languages():
    from rencai.policies.engine import FrameError

    with pytest.raises(FrameError) as caught:
        evaluate_rules(FRAME.drop("age"), {"a": compile_rule("talent.age > 1")})
    assert "age" in caught.value.message_zh and "age" in caught.value.message_en


def test_values_in_matches_python_membership_for_short_and_long_lists():
    from rencai.policies.engine import values_in

    for codes in (["330825"], ["330825", "330881", "330802"], [f"33{i:04d}" for i in range(800, 830)], []):
        result = FRAME.select(values_in(pl.col("region"), codes).alias("x"))["x"].to_list()
        assert result == [row["region"] in codes for row in ROWS]
