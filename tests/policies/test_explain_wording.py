"""Explanations read as sentences: the talent's value and whether it meets the condition, the deciding
reasons first, what is missing only when something is, and no logic notation in what people read."""

import datetime as dt
import html
import json
import re

import pytest
from django.conf import settings
from django.urls import reverse

from rencai.policies.demo import DEMO_POLICIES
from rencai.policies.engine import compile_rule, default_row, explain
from rencai.policies.engine.wording import SECOND, THIRD, Reading, read

NOTATION = set("∈∉≠≤≥✓✗")
D_TIER_MASTER = default_row(1, tier="D", degree="master", degree_level=3, age=41, region="330881")
DOCTOR_38 = default_row(
    2, tier="C", degree="doctor", degree_level=4, age=38, region="330881", programmes=["provincial_programme"]
)
HIGH_LEVEL_OR_D_DOCTOR = 'talent.tier in ["A", "B", "C"] || (talent.tier == "D" && talent.degree == "doctor")'


def reading(
    rule: str, row: dict, lang: str = "zh", voice: str = SECOND, amount: str | None = None
) -> Reading:
    amount_rule = compile_rule(amount, expect="number") if amount else None
    return explain(compile_rule(rule), row, amount_rule).reading(lang, voice)


def sentences(lines) -> list[str]:
    """Every sentence of a tree of lines, depth first (the set-aside options included)."""
    found = []
    for line in lines:
        if line.sentence:
            found.append(line.sentence)
        found += sentences(line.children) + sentences(line.unneeded)
    return found


def everything(read_out: Reading) -> list[str]:
    amount = [read_out.amount.basis, read_out.amount.formula] if read_out.amount else []
    return sentences(read_out.reasons) + sentences(read_out.satisfied) + list(read_out.needs) + amount


# -- one condition, one sentence ------------------------------------------------------------------


def test_tier_d_against_a_b_c_reads_as_a_sentence_in_both_voices_and_languages():
    rule = 'talent.tier in ["A", "B", "C"]'
    assert sentences(reading(rule, D_TIER_MASTER).reasons) == ["您的人才类别为D类，不属于A类、B类、C类"]
    assert sentences(reading(rule, D_TIER_MASTER, voice=THIRD).reasons) == [
        "该人才的人才类别为D类，不属于A类、B类、C类"
    ]
    assert sentences(reading(rule, D_TIER_MASTER, "en").reasons) == [
        "Your tier is tier D, not one of tier A, tier B, tier C."
    ]
    assert reading(rule, D_TIER_MASTER).needs == ("需要：人才类别为A类、B类、C类之一",)
    assert reading(rule, D_TIER_MASTER, "en").needs == ("Needed: tier one of tier A, tier B, tier C",)


@pytest.mark.parametrize("rule", ["talent.degree_level >= 3", 'talent.degree in ["master", "doctor"]'])
def test_a_doctor_meets_master_and_above_and_is_told_nothing_is_missing(rule):
    zh, en = reading(rule, DOCTOR_38), reading(rule, DOCTOR_38, "en")
    assert zh.eligible and zh.needs == () and en.needs == ()
    assert sentences(zh.reasons) == ["您的学历为博士，满足“硕士及以上”的条件"]
    assert sentences(en.reasons) == ['Your degree is doctor, which meets "master or higher".']


def test_a_rule_for_exactly_a_master_tells_a_doctor_the_requirement_not_a_missing_degree():
    zh = reading('talent.degree == "master"', DOCTOR_38)
    assert not zh.eligible
    assert sentences(zh.reasons) == ["您的学历为博士，而要求为硕士"]
    assert zh.needs == ("要求学历为硕士（您的学历为博士）",)
    third = reading('talent.degree == "master"', DOCTOR_38, voice=THIRD)
    assert third.needs == ("要求学历为硕士（该人才的学历为博士）",)
    en = reading('talent.degree == "master"', DOCTOR_38, "en")
    assert sentences(en.reasons) == ["Your degree is doctor; the requirement is master."]
    assert en.needs == ("Required: degree is master (yours is doctor)",)


def test_an_age_over_the_limit_says_by_how_the_limit_reads():
    zh, en = reading("talent.age <= 35", DOCTOR_38), reading("talent.age <= 35", DOCTOR_38, "en")
    assert sentences(zh.reasons) == ["您的年龄为 38 岁，超过了“不超过 35 岁”的要求"]
    assert zh.needs == ("需要：年龄不超过 35 岁",)
    assert sentences(en.reasons) == ['Your age is 38 years, above the limit "at most 35 years".']
    assert en.needs == ("Needed: age at most 35 years",)


def test_one_year_is_singular_in_english():
    row = default_row(3, years_since_arrival=1)
    assert sentences(reading("talent.years_since_arrival >= 2", row, "en").reasons) == [
        'Your time since arrival is 1 year, below the requirement "at least 2 years".'
    ]


def test_county_membership_and_programmes_read_as_places_and_selections():
    county = reading('talent.region in ["330881", "330825"]', DOCTOR_38)
    assert sentences(county.reasons) == ["您所在的县（市、区）为江山市，属于江山市、龙游县"]
    programme = reading('"national_programme" in talent.programmes', DOCTOR_38)
    assert sentences(programme.reasons) == ["您未入选国家级人才计划"]
    assert programme.needs == ("需要：入选国家级人才计划",)
    flag = reading("talent.has_overseas_degree", DOCTOR_38, "en", THIRD)
    assert sentences(flag.reasons) == ["The talent does not have a degree from abroad."]


# -- a whole explanation --------------------------------------------------------------------------


def test_an_eligible_talent_through_one_branch_sees_no_failure_and_the_other_branch_set_aside():
    read_out = reading(HIGH_LEVEL_OR_D_DOCTOR, DOCTOR_38)
    assert read_out.eligible and read_out.needs == ()
    [group] = read_out.reasons
    assert group.kind == "any" and [line.passed for line in group.children] == [True]
    assert sentences(group.children) == ["您的人才类别为C类，属于A类、B类、C类"]
    # the D-and-doctor branch: options read as bare requirements, neither met nor failed
    [option] = group.unneeded
    assert option.optional and all(child.optional for child in option.children)
    assert sentences(group.unneeded) == ["人才类别为D类", "学历为博士"]


def test_an_ineligible_talent_reads_the_failing_conditions_first_then_what_is_met():
    read_out = reading('talent.age <= 45 && talent.degree == "doctor"', D_TIER_MASTER)
    assert sentences(read_out.reasons) == ["您的学历为硕士，而要求为博士"]
    assert sentences(read_out.satisfied) == ["您的年龄为 41 岁，满足“不超过 45 岁”的条件"]
    assert read_out.needs == ("要求学历为博士（您的学历为硕士）",)


def test_when_no_branch_qualifies_what_is_needed_offers_each_branch():
    read_out = reading(HIGH_LEVEL_OR_D_DOCTOR, D_TIER_MASTER)
    assert read_out.needs == ("需要满足以下之一：人才类别为A类、B类、C类之一；或学历为博士",)
    # inside the failed D-and-doctor branch, the failing part comes before the part that holds
    [group] = read_out.reasons
    assert sentences(group.children[1].children) == [
        "您的学历为硕士，而要求为博士",
        "您的人才类别为D类，符合要求",
    ]


def test_the_amount_names_the_case_that_applied():
    amount = 'talent.tier == "A" ? 30000 : (talent.tier == "C" ? 20000 : 10000)'
    read_out = reading("true", DOCTOR_38, amount=amount)
    assert read_out.amount.value == 20000 and read_out.amount.basis == "按“人才类别为C类”的标准计算"
    other = reading("true", D_TIER_MASTER, "en", amount=amount)
    assert other.amount.basis == (
        'Not the case of "tier is tier A" or "tier is tier C"; the remaining case applies.'
    )


def test_a_stored_explanation_reads_the_same_after_a_json_round_trip():
    row = default_row(4, tier="D", arrival_date=dt.date(2016, 5, 1))
    explanation = explain(
        compile_rule('talent.arrival_date >= date("2017-01-01") && talent.tier == "D"'), row
    )
    stored = json.loads(json.dumps(explanation.as_dict()))
    assert read(stored, "zh", SECOND) == explanation.reading("zh", SECOND)
    assert sentences(read(stored, "zh", SECOND).reasons) == [
        "您的来衢日期为 2016-05-01，不符合“不早于 2017-01-01”的要求"
    ]


def test_a_clause_stored_before_facts_existed_is_read_without_symbols():
    old = {
        "eligible": False,
        "tree": {
            "kind": "all",
            "passed": False,
            "children": [
                {"kind": "test", "passed": False, "text_zh": "人才类别: E类 ∉ {A类, B类}", "text_en": "x"}
            ],
        },
    }
    read_out = read(old, "zh", SECOND)
    assert sentences(read_out.reasons) == ["人才类别：E类 不属于 {A类, B类}，不符合条件"]


def test_the_api_form_adds_sentences_and_needs_beside_the_compact_text():
    data = explain(compile_rule('talent.tier in ["A", "B", "C"]'), D_TIER_MASTER).as_dict()
    [clause] = data["clauses"]
    assert clause["text_zh"] == "人才类别: D类 ∉ {A类, B类, C类}"  # unchanged for existing callers
    assert clause["sentence_zh"] == "该人才的人才类别为D类，不属于A类、B类、C类"
    assert clause["sentence_en"] == "The talent's tier is tier D, not one of tier A, tier B, tier C."
    assert data["needs_zh"] == ["需要：人才类别为A类、B类、C类之一"]


ROWS = [
    D_TIER_MASTER,
    DOCTOR_38,
    default_row(
        5, tier="A", team="high_skill", skill_level=1, employer_is_platform=True, months_employed_locally=7
    ),
    default_row(
        6, platform_kinds=["enclave"], employment_type="flexible", is_researcher_venture=True, title_rank=3
    ),
]


@pytest.mark.parametrize("rule", sorted({v[2] for p in DEMO_POLICIES for v in p[10]}))
def test_no_demo_rule_reads_with_logic_notation_or_doubled_quotes(rule):
    for row in ROWS:
        for voice in (SECOND, THIRD):
            zh, en = reading(rule, row, "zh", voice), reading(rule, row, "en", voice)
            for text in everything(zh):
                assert not NOTATION & set(text) and "““" not in text and "””" not in text, text
            for text in everything(en):
                assert not NOTATION & set(text) and text.isascii(), text


# -- on the pages ---------------------------------------------------------------------------------


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.django_db
def test_the_explain_page_shows_an_eligible_branch_without_red_failures(client, world, issue):
    policy = issue("voucher", HIGH_LEVEL_OR_D_DOCTOR, "10000")
    client.force_login(world.users["city_org_dept"])

    page = client.get(reverse("policies:policy_explain", args=[policy.pk]), {"talent": world.talent_b.pk})

    section = page.content.decode().split('id="explanation"')[1].split('<details class="technical">')[0]
    assert "该人才的人才类别为C类，属于A类、B类、C类" in _text(section)
    assert 'data-passed="no"' not in section and "fail" not in section
    assert "其他可选条件（无需满足）" in section and "人才类别为D类" in section


@pytest.mark.django_db
def test_the_explain_page_reads_in_english(client, world, issue):
    policy = issue("high-level", 'talent.tier in ["A", "B", "C"]', "10000")
    client.force_login(world.users["county_org_dept"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get(reverse("policies:policy_explain", args=[policy.pk]), {"talent": world.talent_a.pk})

    text = _text(page.content.decode())
    assert "The talent's tier is tier D, not one of tier A, tier B, tier C." in text
    assert "What is still needed" in text and "Needed: tier one of tier A, tier B, tier C" in text
    assert "人才类别" not in text.split("Technical details")[0]


@pytest.mark.django_db
def test_the_api_explanation_carries_sentences(client, world, issue):
    from rencai.accounts.models import ApiToken

    policy = issue("api-tier", 'talent.tier in ["A", "B", "C"]', "10000")
    _token, key = ApiToken.issue(world.users["city_org_dept"])

    body = client.get(
        f"/api/policies/{policy.pk}/explain/{world.talent_a.pk}", headers={"Authorization": f"Bearer {key}"}
    ).json()

    assert body["clauses"][0]["sentence_zh"] == "该人才的人才类别为D类，不属于A类、B类、C类"
    assert body["needs_en"] == ["Needed: tier one of tier A, tier B, tier C"]
