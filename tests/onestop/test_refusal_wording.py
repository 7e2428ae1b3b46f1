"""An ineligible application is refused with what is missing, in sentences addressed to the actor: to the
talent ("您暂不符合申请条件。需要：…"), or about the talent by name to an enterprise applying for them;
never in logic notation ("人才类别: E类 ∉ {A类, B类, C类, D类} ✗")."""

import datetime as dt
import json

import pytest

from rencai.onestop import services
from rencai.onestop.models import Application
from rencai.policies.models import Policy, PolicyVersion

pytestmark = pytest.mark.django_db

NOTATION = ("∉", "∈", "≠", "≤", "≥", "✗", "✓", "not in", "!=", "<=", ">=", "{", "}")


def said(error) -> list[str]:
    """Everything a refusal tells: its messages and each detail in both languages."""
    details = [text for d in error.details for text in (d["message_zh"], d["message_en"])]
    return [error.message_zh, error.message_en, *details]


def no_notation(texts: list[str]) -> bool:
    return not [text for text in texts if any(symbol in text for symbol in NOTATION)]


def refusal(actor, item, talent=None) -> services.Ineligible:
    with pytest.raises(services.Ineligible) as refused:
        services.apply(actor=actor, item=item, talent=talent)
    assert refused.value.code == "ineligible" and not Application.objects.exists()
    return refused.value


def with_rule(onestop, item_code: str, rule: str):
    """The item under a new city policy with `rule`."""
    policy = Policy.objects.create(
        code="rule-under-test", name="测试政策", region=onestop.world.regions["330800"], kind="subsidy"
    )
    PolicyVersion.objects.create(
        policy=policy,
        number=1,
        effective_from=dt.date(2017, 1, 1),
        eligibility_rule=rule,
        amount_rule="0",
        status="issued",
    )
    item = onestop.items[item_code]
    item.policy = policy
    item.save()
    return item


@pytest.fixture
def tier_e(onestop):
    talent = onestop.world.talent_a
    talent.tier = "E"
    talent.save()
    return talent


def test_the_talent_is_told_in_the_second_person_what_is_missing(onestop, tier_e):
    error = refusal(onestop.talent_user, onestop.items["gold_card"])

    assert error.message_zh == "您暂不符合申请条件。需要：人才类别为A类、B类、C类、D类之一。"
    assert (
        error.message_en
        == "You are not eligible to apply. Needed: tier one of tier A, tier B, tier C, tier D."
    )
    assert [d["message_zh"] for d in error.details] == ["需要：人才类别为A类、B类、C类、D类之一"]
    assert no_notation(said(error))


def test_an_enterprise_is_told_about_its_employee_by_name(onestop, tier_e):
    error = refusal(onestop.world.users["enterprise"], onestop.items["gold_card"], talent=tier_e)

    assert error.message_zh == "江山甲暂不符合申请条件。需要：人才类别为A类、B类、C类、D类之一。"
    assert error.message_en.startswith("江山甲 is not eligible to apply. Needed: tier one of")
    assert not [text for text in said(error) if "您" in text or "you" in text.lower().split()]
    assert no_notation(said(error))


def test_an_exact_value_is_told_with_the_talents_own_value_in_the_actors_voice(onestop):
    item = with_rule(onestop, "gold_card", 'talent.degree == "doctor"')

    own = refusal(onestop.talent_user, item)
    assert own.message_zh == "您暂不符合申请条件。要求学历为博士（您的学历为硕士）。"
    employee = refusal(onestop.world.users["enterprise"], item, talent=onestop.world.talent_a)
    assert employee.message_zh == "江山甲暂不符合申请条件。要求学历为博士（该人才的学历为硕士）。"
    assert no_notation(said(own) + said(employee))


def test_a_doctor_under_master_and_above_is_never_told_a_masters_degree_is_missing(onestop):
    talent = onestop.world.talent_a
    talent.highest_degree = "doctor"
    talent.save()
    item = with_rule(onestop, "gold_card", 'talent.degree in ["master", "doctor"] && talent.age <= 35')

    error = refusal(onestop.talent_user, item)

    assert error.message_zh == "您暂不符合申请条件。需要：年龄不超过 35 岁。"
    assert error.message_en == "You are not eligible to apply. Needed: age at most 35 years."
    assert not [text for text in said(error) if "硕士" in text or "master" in text.lower()]
    assert no_notation(said(error))


def test_submitting_a_draft_refuses_in_sentences_too(onestop):
    draft = services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"], submit=False)
    talent = onestop.world.talent_a
    talent.tier = "E"
    talent.save()

    with pytest.raises(services.Ineligible) as refused:
        services.submit_draft(actor=onestop.talent_user, application=draft)

    assert refused.value.message_zh == "您暂不符合申请条件。需要：人才类别为A类、B类、C类、D类之一。"
    assert no_notation(said(refused.value))


def test_the_api_refusal_has_no_notation(onestop, tier_e, client):
    client.force_login(onestop.talent_user)
    response = client.post(
        "/api/services/applications", json.dumps({"item": "gold_card"}), content_type="application/json"
    )

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "ineligible" and body["message_zh"].startswith(
        "您暂不符合申请条件。需要：人才类别"
    )
    texts = [body["message_zh"], body["message_en"]] + [
        d[f"message_{x}"] for d in body["details"] for x in "zh en".split()
    ]
    assert no_notation(texts)
