"""Explanations split a rule into clauses with labels, the talent's values, and a verdict per clause."""

import datetime as dt
import statistics
import time

from rencai.policies.engine import compile_rule, default_row, explain
from rencai.policies.engine.explain import format_value
from rencai.policies.engine.schema import FEATURES

DOCTOR_47 = default_row(1, age=47, degree="doctor", degree_level=4, tier="C", region="330825")


def test_doctor_aged_47_passes_the_degree_clause_and_fails_the_age_clause():
    explanation = explain(compile_rule('talent.degree == "doctor" && talent.age <= 45'), DOCTOR_47)
    text = explanation.render_zh()
    assert "学历: 博士 ✓" in text
    assert "年龄: 47 > 45 ✗" in text
    assert text == "不符合：学历: 博士 ✓；年龄: 47 > 45 ✗"
    assert explanation.eligible is False


def test_english_rendering_uses_english_labels():
    explanation = explain(compile_rule('talent.degree == "doctor" && talent.age <= 45'), DOCTOR_47)
    assert explanation.render_en() == "not eligible: degree: doctor ✓; age: 47 > 45 ✗"


def test_passing_comparison_shows_the_relation_that_holds():
    young = default_row(2, age=40, degree="master")
    text = explain(compile_rule('talent.degree == "doctor" || talent.age <= 45'), young).render_zh()
    assert "学历: 硕士 ≠ 博士 ✗" in text
    assert "年龄: 40 ≤ 45 ✓" in text
    assert text.startswith("符合：")


def test_structured_form_lists_top_level_clauses_with_verdicts():
    explanation = explain(compile_rule('talent.degree == "doctor" && talent.age <= 45'), DOCTOR_47)
    data = explanation.as_dict()
    assert [(c["text_zh"], c["passed"]) for c in data["clauses"]] == [
        ("学历: 博士", True),
        ("年龄: 47 > 45", False),
    ]
    assert data["clauses"][1]["features"] == ["age"]
    assert data["eligible"] is False and data["text_zh"] == explanation.render_zh()


def test_or_node_passes_when_any_child_passes_and_keeps_the_tree():
    rule = compile_rule('talent.tier in ["A", "B", "C"] || (talent.tier == "D" && talent.degree == "doctor")')
    explanation = explain(rule, DOCTOR_47)
    root = explanation.root
    assert root.kind == "any" and root.passed
    assert [child.kind for child in root.children] == ["test", "all"]
    assert root.children[0].text_zh == "人才类别: C类 ∈ {A类, B类, C类}"
    assert [c.passed for c in root.children[1].children] == [False, True]
    assert explanation.render_zh() == (
        "符合：（人才类别: C类 ∈ {A类, B类, C类} ✓ 或 （人才类别: C类 ≠ D类 ✗ 且 学历: 博士 ✓）✗）✓"
    )


def test_chains_of_and_are_flattened_into_one_group():
    rule = compile_rule("talent.age > 1 && talent.age > 2 && talent.age > 3 && talent.age > 50")
    assert len(explain(rule, DOCTOR_47).clauses) == 4


def test_negation_is_pushed_into_the_clauses():
    rule = compile_rule('!(talent.age > 50 || talent.degree != "doctor")')
    explanation = explain(rule, DOCTOR_47)
    assert explanation.root.kind == "all"
    assert explanation.render_zh() == "符合：年龄: 47 ≤ 50 ✓；学历: 博士 ✓"


def test_membership_in_a_list_feature_translates_the_programmes():
    talent = default_row(3, programmes=["provincial_programme"])
    text = explain(compile_rule('"national_programme" in talent.programmes'), talent).render_zh()
    assert text == "不符合：人才计划: [省级人才计划] 不包含 国家级人才计划 ✗"


def test_boolean_features_read_yes_or_no():
    talent = default_row(4, employer_is_platform=True, has_overseas_degree=True)
    text = explain(
        compile_rule("talent.employer_is_platform && !talent.has_overseas_degree"), talent
    ).render_zh()
    assert text == "不符合：平台型企业: 是 ✓；海外学历: 是 ✗"


def test_integer_enumerations_show_number_and_label():
    talent = default_row(5, skill_level=2)
    text = explain(compile_rule("talent.skill_level in [1, 2]"), talent).render_zh()
    assert "职业技能等级: 2（技师） ∈ {1（高级技师）, 2（技师）} ✓" in text


def test_open_enumerations_show_label_and_code():
    text = explain(compile_rule('talent.region.startsWith("3308")'), DOCTOR_47).render_zh()
    assert text == '符合：所在县（市、区）: 龙游县（330825） 开头是 "3308" ✓'


def test_constant_on_the_left_is_read_with_the_feature_first():
    text = explain(compile_rule("45 >= talent.age"), DOCTOR_47).render_zh()
    assert text == "不符合：年龄: 47 > 45 ✗"


def test_dates_and_sizes_are_explained():
    talent = default_row(6, arrival_date=dt.date(2016, 5, 1), platform_kinds=["enclave", "rd_center"])
    rule = compile_rule('talent.arrival_date >= date("2017-01-01") || size(talent.platform_kinds) >= 2')
    assert explain(rule, talent).render_zh() == (
        "符合：（来衢日期: 2016-05-01 < 2017-01-01 ✗ 或 所在平台数量: 2 ≥ 2 ✓）✓"
    )


def test_exists_reads_with_the_list_values_translated():
    talent = default_row(7, platform_kinds=["rd_center"])
    rule = compile_rule('talent.platform_kinds.exists(k, k in ["enclave", "rd_center"])')
    assert explain(rule, talent).render_zh() == (
        "符合：所在平台: [科技研发中心] 存在 k 满足 k ∈ {人才飞地, 科技研发中心} ✓"
    )


def test_amount_explanation_names_the_branch_taken():
    rule = compile_rule('talent.degree == "doctor" && talent.age <= 50')
    amount = compile_rule(
        'talent.tier == "A" ? 30000 : (talent.tier == "B" ? 20000 : 10000)', expect="number"
    )
    explanation = explain(rule, DOCTOR_47, amount)
    assert explanation.amount.amount == 10000
    assert [step.passed for step in explanation.amount.steps] == [False, False]
    assert explanation.render_zh().endswith("金额：人才类别: C类 ≠ A类 ✗；人才类别: C类 ≠ B类 ✗ → 10000 元")


def test_amount_explanation_shows_a_formula_with_the_talents_values():
    amount = compile_rule("talent.has_overseas_degree ? 250000 : talent.age * 1000 + 3000", expect="number")
    explanation = explain(compile_rule("true"), DOCTOR_47, amount)
    assert explanation.amount.amount == 50000
    assert (
        explanation.amount.render("zh")
        == "金额：海外学历: 否 ✗ → 年龄 × 1000 + 3000 (47 × 1000 + 3000) = 50000 元"
    )
    assert explanation.as_dict()["amount"]["amount"] == 50000


def test_amount_is_not_rendered_for_an_ineligible_talent_but_is_in_the_structured_form():
    explanation = explain(compile_rule("talent.age < 30"), DOCTOR_47, compile_rule("5000", expect="number"))
    assert "金额" not in explanation.render_zh()
    assert explanation.as_dict()["amount"]["amount"] == 5000


def test_every_feature_has_labels_and_every_closed_value_a_label():
    for feature in FEATURES.values():
        assert feature.label_zh and feature.label_en and feature.description_zh
        if feature.closed:
            assert all(zh and en for zh, en in feature.values.values())


def test_empty_values_are_shown_explicitly():
    assert format_value("", None, "zh") == "（空）"
    assert format_value([], FEATURES["programmes"], "zh") == "（无）"
    assert format_value("", FEATURES["tier"], "zh") == "未分类"


def test_explaining_one_talent_against_fifty_policies_takes_well_under_20_ms():
    eligibility = 'talent.tier in ["A", "B", "C"] && talent.age <= {} || talent.years_since_arrival <= {}'
    amount = 'talent.tier == "A" ? {}0000 : (talent.tier == "B" ? 20000 : {}000)'
    rules = [
        (compile_rule(eligibility.format(40 + i, i % 5)), compile_rule(amount.format(i, i), expect="number"))
        for i in range(50)
    ]
    for rule, amount in rules:  # first use builds the cached plans, as a warm server would have
        explain(rule, DOCTOR_47, amount)
    timings = []
    for _ in range(15):
        started = time.perf_counter()
        for rule, amount in rules:
            explain(rule, DOCTOR_47, amount).render_zh()
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.020, timings
