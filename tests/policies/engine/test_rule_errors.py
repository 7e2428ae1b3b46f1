"""compile_rule rejects bad rules with every problem, its position, and Chinese and English messages."""

import pytest

from rencai.policies.engine import RuleError, compile_rule


def problems_of(source: str, expect: str = "bool"):
    with pytest.raises(RuleError) as caught:
        compile_rule(source, expect=expect)
    return caught.value.problems


def only_problem(source: str, expect: str = "bool"):
    problems = problems_of(source, expect)
    assert len(problems) == 1, problems
    return problems[0]


def test_unknown_feature_is_reported_at_its_line_and_column_in_chinese_and_english():
    problem = only_problem("talent.age > 3 && talent.foo")
    assert (problem.code, problem.line, problem.column) == ("unknown_variable", 1, 19)
    assert problem.message_zh == "第1行第19列：未知变量 talent.foo"
    assert problem.message_en == "line 1, column 19: unknown variable talent.foo"


def test_unknown_feature_close_to_a_real_one_gets_a_suggestion():
    problem = only_problem("talent.agee > 3")
    assert "talent.age" in problem.message_zh.split("未知变量 talent.agee")[1]


def test_positions_count_lines_of_a_multi_line_rule():
    problem = only_problem('talent.degree == "doctor"\n  && talent.salary > 3')
    assert (problem.line, problem.column) == (2, 6)
    assert problem.message_zh.startswith("第2行第6列：")


def test_syntax_error_carries_lark_line_and_column():
    problem = only_problem("(talent.age > 3")
    assert problem.code == "syntax_error"
    assert (problem.line, problem.column) == (1, 16)
    assert "语法错误" in problem.message_zh and "缺少“)”" in problem.message_zh
    assert "syntax error" in problem.message_en


def test_unexpected_token_is_quoted_in_the_message():
    problem = only_problem("talent.age > 3)")
    assert (problem.line, problem.column) == (1, 15)
    assert "“)”" in problem.message_zh


def test_unexpected_character_is_reported():
    problem = only_problem("talent.age # 3")
    assert (problem.code, problem.column) == ("syntax_error", 12)
    assert "“#”" in problem.message_zh


def test_empty_rule_is_rejected():
    assert only_problem("   ").code == "empty_rule"


def test_bare_identifier_is_an_unknown_variable():
    problem = only_problem("age > 3")
    assert problem.code == "unknown_variable" and "未知变量 age" in problem.message_zh


def test_talent_alone_is_rejected():
    assert only_problem("talent").code == "unknown_variable"


def test_unknown_function_is_reported():
    problem = only_problem("bonus(talent.age) > 3")
    assert (problem.code, problem.column) == ("unknown_function", 1)
    assert "未知函数 bonus()" in problem.message_zh


@pytest.mark.parametrize(
    "source",
    [
        'talent.age == "x"',
        'talent.arrival_date < "2017-01-01"',
        "talent.age > 1.5",
        "talent.has_overseas_degree && talent.age",
        "!talent.degree",
        "talent.tier in [1, 2]",
        '"A" in talent.age',
        "talent.age + 1.5 > 3",
        "talent.employer_is_platform < true",
        'talent.age > 3 ? 1 : "x"',
        "talent.age ? true : false",
        "size(talent.age) > 1",
        "talent.region.startsWith(5)",
        '[1, "a"] == [1]',
    ],
)
def test_type_mismatches_are_rejected(source):
    codes = {p.code for p in problems_of(source)}
    assert codes & {"type_mismatch", "unsupported"}, codes


def test_comparing_an_int_to_a_string_names_both_types():
    problem = only_problem('talent.age == "x"')
    assert problem.code == "type_mismatch"
    assert problem.column == 12  # the operator
    assert "整数" in problem.message_zh and "字符串" in problem.message_zh
    assert "talent.age" in problem.message_en


def test_eligibility_rule_must_be_boolean():
    problem = only_problem("talent.age + 1")
    assert problem.code == "wrong_result_type" and "布尔值" in problem.message_zh


def test_amount_rule_must_be_numeric():
    problem = only_problem("talent.age > 3", expect="number")
    assert problem.code == "wrong_result_type" and "数字" in problem.message_zh


def test_every_problem_is_collected_not_just_the_first():
    problems = problems_of('talent.foo > 1 && talent.degree == "phd" && bar(1)')
    assert [p.code for p in problems] == ["unknown_variable", "unknown_value", "unknown_function"]
    assert [p.column for p in problems] == [1, 36, 45]


def test_value_outside_a_closed_enumeration_lists_the_allowed_values():
    problem = only_problem('talent.degree == "phd"')
    assert problem.code == "unknown_value"
    assert '"doctor"（博士）' in problem.message_zh


def test_value_outside_a_list_feature_enumeration_is_rejected():
    assert only_problem('"nobel" in talent.programmes').code == "unknown_value"
    assert only_problem('talent.tier in ["A", "F"]').code == "unknown_value"


def test_open_enumerations_accept_unlabelled_values():
    compile_rule('talent.region == "110105" && talent.nationality == "ZZ"')


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("talent.age == null", "null"),
        ("talent.programmes[0] == 'x'", "下标"),
        ("{'a': 1}.size() > 0", "映射"),
        ("talent.age > 5u", "无符号"),
        ("has(talent.age)", "has()"),
        ('timestamp("2017-01-01T00:00:00Z") < talent.arrival_date', "date("),
        ('talent.region + "x" == "y"', "拼接"),
        ("talent.age / talent.years_since_arrival > 1", "除数"),
        ("talent.programmes.map(p, p) == []", "map"),
        ("talent.programmes.exists(p, p == talent.region)", "循环变量"),
        ("talent.programmes == []", "size"),
    ],
)
def test_unsupported_constructs_say_what_is_unsupported(source, fragment):
    problems = problems_of(source)
    assert any(p.code == "unsupported" and fragment in p.message_zh for p in problems), problems


def test_division_by_constant_zero_is_rejected():
    assert only_problem("talent.age / 0 > 1").code == "invalid_argument"


def test_integer_overflow_is_rejected_before_it_can_happen():
    problem = only_problem("talent.age * 9223372036854775807 > 1")
    assert problem.code == "overflow" and problem.column == 12


def test_integer_literal_beyond_64_bits_is_rejected():
    assert only_problem("talent.age < 99999999999999999999").code == "overflow"


def test_date_requires_a_valid_iso_day():
    assert only_problem('talent.arrival_date > date("2017-02-30")').code == "invalid_argument"
    assert only_problem("talent.arrival_date > date(talent.region)").code == "invalid_argument"
    compile_rule('talent.arrival_date > date("2017-02-28")')


def test_rule_error_joins_messages_for_display():
    with pytest.raises(RuleError) as caught:
        compile_rule("talent.foo && talent.bar")
    assert caught.value.message_zh == "第1行第1列：未知变量 talent.foo；第1行第15列：未知变量 talent.bar"
    assert caught.value.code == "invalid_rule"


def test_expect_must_be_bool_or_number():
    with pytest.raises(ValueError):
        compile_rule("true", expect="string")


def test_valid_rules_report_their_type_and_features():
    rule = compile_rule('talent.degree == "doctor" && talent.age <= 45')
    assert rule.result_type == "bool"
    assert rule.features == {"degree", "age"}
    amount = compile_rule("talent.has_overseas_degree ? 250000.0 : 200000.0", expect="number")
    assert amount.result_type == "double"


def test_compiled_rules_are_cached_by_text():
    assert compile_rule("talent.age > 30") is compile_rule("talent.age > 30")


def test_positions_stay_right_around_true_and_false_literals():
    """celpy's lexer drops the positions of true/false; the engine recovers them."""
    assert only_problem("true ? 1 : 2").column == 1
    assert only_problem("talent.age > 3 && true == 5").column == 24
    problem = only_problem('"true" == talent.region // true\n && false == talent.age')
    assert (problem.line, problem.column) == (2, 11)


@pytest.mark.parametrize(
    "source",
    [
        "(" * 5000 + "true" + ")" * 5000,
        "[" * 5000 + "1" + "]" * 5000 + " == []",
        "!" * 5000 + "true",
        "-" * 5000 + "1 > 0",
    ],
)
def test_deeply_nested_rule_is_refused_before_parsing(source):
    problem = only_problem(source)
    assert problem.code == "too_complex"
    assert "规则嵌套过深" in problem.message_zh and "nested too deeply" in problem.message_en


def test_nesting_within_the_bound_still_compiles():
    compile_rule("(" * 100 + "true" + ")" * 100)
    compile_rule('size("' + "(" * 500 + '\\"") > 0')  # brackets in a string literal do not nest


def test_overlong_rule_is_refused_before_parsing():
    problem = only_problem(" || ".join(["talent.age > 30"] * 2000))
    assert problem.code == "too_complex"
    assert "规则过长" in problem.message_zh and "too long" in problem.message_en


@pytest.mark.parametrize("operator", ["||", "&&", "+"])
def test_long_flat_chain_within_the_length_bound_does_not_crash(operator):
    term = "1" if operator == "+" else "true"
    source = f" {operator} ".join([term] * 4000)
    if operator == "+":
        source += " > 0"
    try:
        compile_rule(source)
    except RuleError as error:
        assert error.problems[0].code == "too_complex"
