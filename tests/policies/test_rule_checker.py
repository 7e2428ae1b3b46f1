"""The rule checker is for those who draft policies, is bounded in size and depth, and caches nothing."""

import json

import pytest
from django.urls import reverse

from rencai.policies.engine import rules

pytestmark = pytest.mark.django_db

BIG_LIST = "talent.tier in [" + ",".join(['"A"'] * 3000) + "]"


def _api(client, user, rule: str):
    client.force_login(user)
    return client.post(
        "/api/policies/rules/validate", json.dumps({"rule": rule}), content_type="application/json"
    )


@pytest.mark.parametrize("role", ["talent", "enterprise", "department", "provider", "reviewer"])
def test_only_policy_makers_may_use_the_checker(client, world, role):
    response = _api(client, world.users[role], BIG_LIST)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"

    client.force_login(world.users[role])
    page = client.post(
        reverse("policies:rule_validate"), {"field": "eligibility_rule", "eligibility_rule": "x"}
    )
    assert page.status_code == 403 and "规则有效" not in page.content.decode()


def test_checked_rules_do_not_fill_the_cache(client, world):
    before = rules._compile.cache_info().currsize
    for n in range(5):
        body = _api(client, world.users["city_org_dept"], BIG_LIST + f" && talent.age > {n}").json()
        assert body["valid"] is True
    assert rules._compile.cache_info().currsize == before


@pytest.mark.parametrize(
    "rule",
    [
        "(" * 5000 + "true" + ")" * 5000,
        "!" * 19_000 + "true",
        " && ".join(["true"] * 2000),
        "false ? true : " * 500 + "true",
        "x" * 400_000,
    ],
    ids=["parentheses", "negations", "conjunctions", "conditionals", "400KB"],
)
def test_hostile_rules_get_a_clear_problem_not_a_500(client, world, rule):
    response = _api(client, world.users["city_org_dept"], rule)
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False
    assert body["problems"][0]["code"] in {"too_complex", "too_long"}
    assert body["problems"][0]["message_zh"]
