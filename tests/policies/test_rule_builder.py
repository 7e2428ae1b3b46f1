"""The rule builder: every demo policy reads into the form and back into the same rule, a form makes a rule
the engine evaluates as the form says, bad rows are told in both languages with nothing typed lost, and
the editor and the policy page show counties by name."""

import datetime as dt
import html
import re
from dataclasses import fields
from typing import Any

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rencai.policies.demo import DEMO_POLICIES
from rencai.policies.engine import compile_rule, default_row
from rencai.policies.engine.nodes import Node
from rencai.policies.engine.parse import parse_rule
from rencai.policies.features import TITLE_RANK
from rencai.policies.models import PolicyVersion
from rencai.policies.rule_builder import (
    CATALOGUE,
    FORM_FIELDS,
    Amount,
    Combine,
    Condition,
    Eligibility,
    Group,
    InputProblem,
    Kind,
    Op,
    Unreadable,
    from_rule,
    make_condition,
    to_rule,
)
from rencai.registry.choices import DEGREE_LEVEL

DEMO_RULES = sorted(
    {
        (f"{code} v{n}", rule, amount)
        for code, *_, versions, _s in DEMO_POLICIES
        for n, (_f, _t, rule, amount) in enumerate(versions, 1)
    }
    | {
        (
            "jiangshan-new-deal-draft v1",
            'talent.region == "330881" && talent.degree_level >= 3 && talent.age <= 50',
            'talent.degree == "doctor" ? 200000 : 50000',
        )
    }
)
# The demo rules the form cannot show (they stay editable as text): none.
NOT_SHOWN_BY_THE_FORM: set[str] = set()

_POSITION = {"line", "column", "op_line", "op_column", "type", "range"}


def shape(node: Any) -> Any:
    """A syntax tree without positions and types: two rules with the same shape are the same rule."""
    if isinstance(node, Node):
        return (
            type(node).__name__,
            *(shape(getattr(node, f.name)) for f in fields(node) if f.name not in _POSITION),
        )
    if isinstance(node, list):
        return tuple(shape(item) for item in node)
    return node


# -- talents to evaluate on: every feature the form knows, with degree and title numbers as the frame has them

_DATES = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31))


def _feature_value(name: str) -> st.SearchStrategy:
    spec = CATALOGUE.fields[name]
    if spec.kind == Kind.NUMBER:
        low, high = spec.value_range  # type: ignore[misc]
        return st.integers(low, high)
    if spec.kind == Kind.DATE:
        return _DATES
    if spec.kind == Kind.FLAG:
        return st.booleans()
    values = [c.value for c in spec.choices]
    if spec.kind == Kind.LIST:
        return st.lists(st.sampled_from(values), unique=True, max_size=3)
    if name in ("region", "nationality"):  # open features: a value outside the choices is possible
        return st.sampled_from([*values, "XX"])
    return st.sampled_from(values)


@st.composite
def talents(draw) -> dict:
    values = {name: draw(_feature_value(name)) for name in FORM_FIELDS}
    values["degree_level"] = DEGREE_LEVEL[values["degree"]]
    values["title_rank"] = TITLE_RANK[values["title_level"]]
    return default_row(1, **values)


# -- forms, and what a form means, written independently of the builder


@st.composite
def conditions(draw) -> Condition:
    spec = draw(st.sampled_from(list(CATALOGUE.fields.values())))
    op = draw(st.sampled_from(list(spec.operators)))
    if spec.kind == Kind.FLAG:
        return Condition(spec.name, op)
    if op == Op.BETWEEN:
        low, high = sorted(draw(st.lists(_feature_value(spec.name), min_size=2, max_size=2)))
        return Condition(spec.name, op, (low, high))
    if spec.kind in (Kind.NUMBER, Kind.DATE):
        return Condition(spec.name, op, (draw(_feature_value(spec.name)),))
    if op in (Op.AT_LEAST, Op.AT_MOST):
        return Condition(spec.name, op, (draw(st.sampled_from(spec.ranked)),))
    choices = [c.value for c in spec.choices]
    if op == Op.EQUALS:
        return Condition(spec.name, op, (draw(st.sampled_from(choices)),))
    return Condition(
        spec.name, op, tuple(draw(st.lists(st.sampled_from(choices), min_size=1, max_size=4, unique=True)))
    )


_COMBINES = st.sampled_from(list(Combine))
eligibilities = st.builds(
    Eligibility,
    _COMBINES,
    st.lists(
        st.builds(Group, _COMBINES, st.lists(conditions(), min_size=1, max_size=3).map(tuple)),
        min_size=1,
        max_size=3,
    ).map(tuple),
)


def holds(condition: Condition, talent: dict) -> bool:
    spec = CATALOGUE.fields[condition.field]
    value, op, values = talent[spec.name], condition.op, condition.values
    if spec.kind == Kind.FLAG:
        return bool(value) == (op == Op.YES)
    if spec.kind == Kind.ORDERED and op in (Op.AT_LEAST, Op.AT_MOST):
        if value not in spec.ranked:
            return False
        # ranked from highest to lowest: "at least" means no further down the list
        mine, bound = spec.ranked.index(value), spec.ranked.index(values[0])
        return mine <= bound if op == Op.AT_LEAST else mine >= bound
    meaning = {
        Op.AT_LEAST: lambda: value >= values[0],
        Op.AT_MOST: lambda: value <= values[0],
        Op.EQUALS: lambda: value == values[0],
        Op.BETWEEN: lambda: values[0] <= value <= values[1],
        Op.ONE_OF: lambda: value in values,
        Op.NOT_ONE_OF: lambda: value not in values,
        Op.INCLUDES_ANY: lambda: any(v in value for v in values),
        Op.INCLUDES_NONE: lambda: not any(v in value for v in values),
    }
    return meaning[op]()


def qualifies(form: Eligibility, talent: dict) -> bool:
    def group(g: Group) -> bool:
        tests = [holds(c, talent) for c in g.conditions]
        return all(tests) if g.combine == Combine.ALL else any(tests)

    results = [group(g) for g in form.groups]
    return all(results) if form.combine == Combine.ALL else any(results)


@st.composite
def amounts(draw) -> Amount:
    spec = draw(st.sampled_from([None, *CATALOGUE.amount_fields()]))
    yuan = st.integers(0, 2_000_000)
    if spec is None:
        return Amount(otherwise=draw(yuan))
    if spec.kind == Kind.FLAG:
        return Amount(spec.name, ((True, draw(yuan)), (False, draw(yuan))), None)
    chosen = draw(
        st.lists(st.sampled_from([c.value for c in spec.choices]), min_size=1, max_size=4, unique=True)
    )
    return Amount(spec.name, tuple((value, draw(yuan)) for value in chosen), draw(yuan))


def pays(form: Amount, talent: dict) -> int:
    value = talent.get(form.by)
    return next((yuan for v, yuan in form.rows if v == value and type(v) is type(value)), form.otherwise)  # type: ignore[return-value]


# -- the demo policies ------------------------------------------------------------------------------


def test_the_form_can_show_every_demo_policy():
    unshown = {
        name
        for name, rule, amount in DEMO_RULES
        if isinstance(from_rule(rule), Unreadable)
        or isinstance(from_rule(amount, expect="number"), Unreadable)
    }
    assert unshown == NOT_SHOWN_BY_THE_FORM


@pytest.mark.parametrize(("name", "rule", "amount"), DEMO_RULES, ids=[name for name, *_ in DEMO_RULES])
def test_a_demo_policy_read_into_the_form_and_written_back_is_the_same_rule(name, rule, amount):
    for text, expect in ((rule, "bool"), (amount, "number")):
        form = from_rule(text, expect=expect)
        assert not isinstance(form, Unreadable), f"{name}: {form}"
        assert shape(parse_rule(to_rule(form))) == shape(parse_rule(text))


@settings(max_examples=150, deadline=None)
@given(talent=talents(), index=st.integers(0, len(DEMO_RULES) - 1))
def test_a_demo_policy_written_back_from_the_form_decides_every_talent_alike(talent, index):
    _name, rule, amount = DEMO_RULES[index]
    for text, expect in ((rule, "bool"), (amount, "number")):
        back = to_rule(from_rule(text, expect=expect))  # type: ignore[arg-type]
        original, rebuilt = compile_rule(text, expect=expect), compile_rule(back, expect=expect)
        assert rebuilt.evaluate_row(talent) == original.evaluate_row(talent)


# -- any form -----------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form=eligibilities, talent=talents())
def test_the_rule_a_form_makes_qualifies_exactly_the_talents_the_form_describes(form, talent):
    text = to_rule(form)
    assert compile_rule(text, expect="bool").evaluate_row(talent) == qualifies(form, talent)
    reread = from_rule(text)
    assert isinstance(reread, Eligibility), reread
    assert compile_rule(to_rule(reread), expect="bool").evaluate_row(talent) == qualifies(form, talent)


@settings(max_examples=200, deadline=None)
@given(form=amounts(), talent=talents())
def test_the_amount_rule_a_table_makes_pays_what_the_table_says(form, talent):
    text = to_rule(form)
    assert compile_rule(text, expect="number").evaluate_row(talent) == pays(form, talent)
    reread = from_rule(text, expect="number")
    assert isinstance(reread, Amount) and to_rule(reread) == text


def test_an_officer_s_conditions_become_the_rule_they_read_as():
    form = Eligibility(
        Combine.ANY,
        (
            Group(
                Combine.ALL,
                (
                    make_condition("degree", "at_least", ["master"]),
                    make_condition("age", "at_most", ["35"]),
                    make_condition("region", "one_of", ["330881", "330825"]),
                    make_condition(
                        "programmes", "includes_any", ["national_programme", "provincial_programme"]
                    ),
                ),
            ),
        ),
    )
    assert to_rule(form) == (
        'talent.degree_level >= 3 && talent.age <= 35 && talent.region in ["330881", "330825"] && '
        '("national_programme" in talent.programmes || "provincial_programme" in talent.programmes)'
    )
    rule = compile_rule(to_rule(form))
    base = {
        "degree": "master",
        "degree_level": 3,
        "age": 35,
        "region": "330825",
        "programmes": ["provincial_programme"],
    }
    assert rule.evaluate_row(default_row(**base)) is True
    for change in (
        {"degree": "bachelor", "degree_level": 2},
        {"age": 36},
        {"region": "330803"},
        {"programmes": []},
    ):
        assert rule.evaluate_row(default_row(**{**base, **change})) is False, change


@pytest.mark.parametrize(
    ("field", "op", "values", "zh", "en"),
    [
        ("age", "at_most", ["abc"], "“abc”不是整数", "'abc' is not a whole number"),
        ("age", "at_most", ["200"], "年龄应在0到150之间", "The age must be from 0 to 150"),
        ("age", "at_most", [""], "请填写年龄", "Give the age"),
        (
            "age",
            "between",
            ["40", "30"],
            "下限不能大于上限",
            "The lower bound cannot be above the upper bound",
        ),
        (
            "age",
            "between",
            ["40", ""],
            "“介于”需要填写下限和上限",
            "'Between' needs a lower and an upper bound",
        ),
        ("region", "one_of", [], "请至少选择一项", "Choose at least one value"),
        ("tier", "at_least", ["A", "B"], "请只选择一项", "Choose exactly one value"),
        ("tier", "at_least", [""], "“未分类”没有高低之分，请用“属于”", "'no tier' has no rank; use 'one of'"),
        ("", "one_of", ["A"], "请选择条件项", "Choose what the condition is about"),
        ("tier", "includes_any", ["A"], "请选择比较方式", "Choose how to compare"),
        (
            "arrival_date",
            "at_least",
            ["2020-02-30"],
            "请填写日期（年-月-日）",
            "Give a date (year-month-day)",
        ),
    ],
)
def test_a_bad_row_says_what_is_wrong_in_chinese_and_english(field, op, values, zh, en):
    with pytest.raises(InputProblem) as problem:
        make_condition(field, op, values)
    assert (problem.value.zh, problem.value.en) == (zh, en)
    assert en.isascii()


@pytest.mark.parametrize(
    ("rule", "expect", "reason"),
    [
        ("talent.age * 2 > 60", "bool", "表单无法表示这部分规则：年龄 × 2 > 60"),
        (
            'talent.tier == "A" || (talent.age <= 30 && (talent.degree == "doctor" || talent.age < 3))',
            "bool",
            "嵌套超过两层",
        ),
        ('talent.region == "999999"', "bool", "“999999”不是所在县（市、区）的可选值"),
        ("true", "bool", "规则不含任何条件"),
        (
            'talent.tier == "A" ? 1 : (talent.degree == "doctor" ? 2 : 3)',
            "number",
            "金额表只能按一个条件项逐项列出",
        ),
        ("talent.age * 100", "number", "金额表中的金额只能是不小于0的整数"),
        ("talent.agee > 3", "bool", "规则有错误"),
    ],
)
def test_a_rule_the_form_cannot_show_comes_with_the_reason(rule, expect, reason):
    read = from_rule(rule, expect=expect)
    assert isinstance(read, Unreadable) and reason in read.reason_zh and read.reason_en


@pytest.mark.parametrize(
    ("rule", "back"),
    [
        (
            'talent.age >= 30 && talent.age <= 30 || talent.tier == "A"',
            '(talent.age >= 30 && talent.age <= 30) || talent.tier == "A"',
        ),
        ('talent.tier == "A" || (talent.age >= 30 && talent.age <= 30)', None),
        ('!(talent.tier in ["C", "D", "E"])', None),
        ("talent.skill_level <= 2", "talent.skill_level in [1, 2, 0]"),
        (
            'talent.age < 36 && talent.arrival_date > date("2020-01-01")',
            'talent.age <= 35 && talent.arrival_date >= date("2020-01-02")',
        ),
        (
            '!(talent.degree == "doctor") && talent.has_overseas_degree == false',
            'talent.degree != "doctor" && !talent.has_overseas_degree',
        ),
    ],
)
def test_rules_written_differently_read_into_the_form_and_back(rule, back):
    form = from_rule(rule)
    assert isinstance(form, Eligibility), form
    assert to_rule(form) == (back or rule)


def test_the_form_orders_degree_and_title_as_the_feature_frame_numbers_them():
    assert dict(CATALOGUE.fields["degree"].ranks) == DEGREE_LEVEL
    assert dict(CATALOGUE.fields["title_level"].ranks) == TITLE_RANK


# -- the editor page ----------------------------------------------------------------------------------

TIER_TABLE = 'talent.tier == "A" ? 30000 : (talent.tier == "B" ? 20000 : 10000)'


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _visible(page: str) -> str:
    """The page's text without folded rule texts (<details>) and without attributes."""
    return _text(re.sub(r"<details.*?</details>", "", page, flags=re.S))


def _form_post(**rows) -> dict:
    data = {
        "mode": "form",
        "combine": "any",
        "g0-combine": "all",
        "amount-by": "tier",
        "amount-by-shown": "tier",
        "amount-v-A": "30000",
        "amount-v-B": "20000",
        "amount-other": "10000",
        "effective_from": "2027-01-01",
        "then": "edit",
    }
    data.update(rows)
    return data


ROWS = {
    "g0c0-field": "degree",
    "g0c0-shown": "degree",
    "g0c0-op": "at_least",
    "g0c0-value": "master",
    "g0c1-field": "age",
    "g0c1-shown": "age",
    "g0c1-op": "at_most",
    "g0c1-value": "35",
    "g0c2-field": "region",
    "g0c2-shown": "region",
    "g0c2-op": "one_of",
    "g0c2-value": ["330881"],
}


@pytest.fixture
def officer(client, world):
    client.force_login(world.users["city_org_dept"])
    return client


def test_the_editor_opens_a_rule_it_can_show_as_rows_with_county_names(officer, issue):
    policy = issue("rows", 'talent.region in ["330881", "330825"] && talent.degree_level >= 3', TIER_TABLE)

    page = officer.get(reverse("policies:version_create", args=[policy.pk])).content.decode()

    assert 'name="mode" value="form"' in page
    assert re.search(
        r'name="g0c0-field".*?<option value="region" selected>所在县（市、区）</option>', page, re.S
    )
    assert re.search(r'value="330881" checked> 江山市', page) and re.search(
        r'value="330825" checked> 龙游县', page
    )
    assert re.search(r'<option value="master" selected>硕士</option>', page)
    assert 'data-amount="A"' in page and 'value="30000"' in page
    preview = html.unescape(re.search(r'data-generated="eligibility_rule">(.*?)</pre>', page).group(1))
    assert preview == 'talent.region in ["330881", "330825"] && talent.degree_level >= 3'
    assert "330881" not in _visible(page.split('id="rule-preview"')[0]).replace('value="330881"', "")


def test_saving_from_the_form_stores_the_rule_the_rows_make(officer, issue):
    policy = issue("save-rows", 'talent.tier == "D"', "1000")

    response = officer.post(reverse("policies:version_create", args=[policy.pk]), _form_post(**ROWS))

    draft = policy.versions.get(number=2)
    assert response.status_code == 302
    assert (
        draft.eligibility_rule == 'talent.degree_level >= 3 && talent.age <= 35 && talent.region == "330881"'
    )
    assert draft.amount_rule == TIER_TABLE
    page = officer.get(response["Location"]).content.decode()  # the draft opens in the form again
    assert 'name="g0c2-field"' in page and 'value="330881" checked> 江山市' in page


def test_a_bad_row_is_told_at_its_row_and_nothing_typed_is_lost(officer, issue, client):
    policy = issue("bad-row", 'talent.tier == "D"', "1000")
    data = _form_post(**{**ROWS, "g0c1-value": "三十五", "amount-v-B": "2万"})

    page = officer.post(reverse("policies:version_create", args=[policy.pk]), data).content.decode()

    assert policy.versions.count() == 1
    row_error = re.search(r'data-row-error="g0c1"><li>(.*?)</li>', page).group(1)
    assert html.unescape(row_error) == "“三十五”不是整数"
    assert 'value="三十五"' in page and 'value="2万"' in page and 'value="330881" checked' in page
    assert "金额应为0到" in page and "条件组1第2行：“三十五”不是整数" in _text(page)

    client.cookies["django_language"] = "en"
    english = _text(client.post(reverse("policies:version_create", args=[policy.pk]), data).content.decode())
    assert "'三十五' is not a whole number" in english and "group 1, row 2" in english


def test_a_rule_the_form_cannot_show_stays_text_with_a_note(officer, issue):
    policy = issue("formula", 'talent.tier == "D"', "1000")
    draft = PolicyVersion.objects.create(
        policy=policy,
        number=2,
        effective_from=dt.date(2030, 1, 1),
        eligibility_rule="talent.age * 2 > 60",
        amount_rule="1000",
    )

    page = officer.get(reverse("policies:version_edit", args=[draft.pk])).content.decode()

    assert 'name="mode" value="text"' in page and ">talent.age * 2 &gt; 60</textarea>" in page
    note = _text(re.search(r'id="rule-form-note">(.*?)</div>', page, re.S).group(1))
    assert "表单无法显示这条规则" in note and "资格规则：表单无法表示这部分规则：年龄 × 2 > 60" in note


def test_switching_between_form_and_text_keeps_the_rule_and_saves_nothing(officer, issue):
    policy = issue("switch", 'talent.tier == "D"', "1000")
    url = reverse("policies:version_create", args=[policy.pk])

    as_text = officer.post(url, {**_form_post(**ROWS), "builder": "mode:text"}).content.decode()

    assert 'name="mode" value="text"' in as_text
    assert html.unescape(
        re.search(r'name="eligibility_rule"[^>]*>(.*?)</textarea>', as_text, re.S).group(1)
    ) == ('talent.degree_level >= 3 && talent.age <= 35 && talent.region == "330881"')
    text = {
        "mode": "text",
        "eligibility_rule": 'talent.tier in ["A", "B"] && talent.age <= 40',
        "amount_rule": "5000",
    }
    back = officer.post(
        url, {**text, "effective_from": "2027-01-01", "builder": "mode:form"}
    ).content.decode()
    assert 'name="mode" value="form"' in back and '<option value="B" selected>B类</option>' in back
    assert 'name="amount-other" id="amount-other" value="5000"' in back
    assert policy.versions.count() == 1


def test_rows_are_added_and_removed_without_javascript_and_without_saving(officer, issue):
    policy = issue("add-row", 'talent.tier == "D"', "1000")
    url = reverse("policies:version_create", args=[policy.pk])

    added = officer.post(url, {**_form_post(**ROWS), "builder": "add:g0"}).content.decode()
    removed = officer.post(url, {**_form_post(**ROWS), "builder": "remove:g0c1"}).content.decode()

    assert 'data-row="g0c3"' in added and 'name="g0c2-field"' in added
    assert 'data-row="g0c1"' not in removed and 'data-row="g0c2"' in removed
    assert policy.versions.count() == 1


def test_values_typed_for_another_field_are_never_read_as_the_new_one(officer, issue):
    policy = issue("changed", 'talent.tier == "D"', "1000")
    rows = {**ROWS, "g0c2-field": "age", "g0c2-op": "one_of"}  # was region; 330881 is no age

    page = officer.post(
        reverse("policies:version_create", args=[policy.pk]), _form_post(**rows)
    ).content.decode()

    assert policy.versions.count() == 1
    assert "已更换条件项，请选择比较方式和值" in html.unescape(page)
    assert re.search(r'name="g0c2-value" id="g0c2-value" value=""', page)


def test_the_live_builder_redraws_rows_and_shows_the_rule(officer):
    data = {**_form_post(**ROWS), "g0c1-field": "tier", "builder": ""}  # age changed to tier, not yet redrawn

    fragment = officer.post(reverse("policies:rule_builder"), data).content.decode()

    assert 'id="rule-builder"' in fragment and 'id="rule-preview"' in fragment
    # the comparison is kept where the new field has it; the values are the new field's choices
    assert re.search(r'name="g0c1-op".*?<option value="at_most" selected>不高于</option>', fragment, re.S)
    assert re.search(r'name="g0c1-value" id="g0c1-value".*?<option value="A">A类</option>', fragment, re.S)
    assert "talent.degree_level &gt;= 3 &amp;&amp; talent.region == &quot;330881&quot;" in fragment


@pytest.mark.parametrize("role", ["talent", "enterprise", "department", "provider", "reviewer"])
def test_only_policy_makers_may_use_the_live_builder(client, world, role):
    client.force_login(world.users[role])
    response = client.post(reverse("policies:rule_builder"), _form_post(**ROWS))
    assert response.status_code == 403 and "rule-preview" not in response.content.decode()


def test_the_policy_page_reads_rules_in_words_with_county_names(officer, issue):
    policy = issue(
        "words", 'talent.region == "330881" && talent.degree_level >= 3 && talent.age <= 50', TIER_TABLE
    )

    page = officer.get(reverse("policies:policy_detail", args=[policy.pk])).content.decode()

    visible = _visible(page)
    assert "所在县（市、区） 属于 江山市 且 学历 不低于 硕士 且 年龄 不超过 50" in visible
    assert "人才类别：A类 30,000.00 元" in visible and "其他 10,000.00 元" in visible
    assert "330881" not in visible
    assert 'talent.region == "330881"' in html.unescape(page)  # the rule text itself, folded away


def test_issuing_and_withdrawing_ask_first_and_say_what_happens(officer, issue):
    policy = issue("confirm", 'talent.tier == "D"', "1000")
    draft = PolicyVersion.objects.create(
        policy=policy,
        number=2,
        effective_from=dt.date(2030, 1, 1),
        eligibility_rule='talent.tier == "C"',
        amount_rule="1000",
    )

    editor = html.unescape(officer.get(reverse("policies:version_edit", args=[draft.pk])).content.decode())
    detail = html.unescape(officer.get(reverse("policies:policy_detail", args=[policy.pk])).content.decode())

    issue_button = re.search(r'<button[^>]*id="issue-button"[^>]*data-confirm="([^"]*)"', editor).group(1)
    assert "发布后，自 2030-01-01 起匹配将按此版本自动兑现" in issue_button
    assert "已发布的版本不能修改，只能由新版本替代或撤回" in issue_button
    withdraw = re.search(r'data-withdraw="1" data-confirm="([^"]*)"', detail).group(1)
    assert "撤回第 1 版？" in withdraw and "转为待复核" in withdraw
