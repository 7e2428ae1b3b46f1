"""Policies API: scoped lists with counts, inheritance, drafts, validation, issuing, simulation, explain."""

import json
from decimal import Decimal

import pytest
from django.test import override_settings

from rencai.core.models import AuditEntry
from rencai.policies.matching import run_match
from rencai.policies.models import Decision, Entitlement, MatchRun, PolicyVersion
from tests import factories

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _as(client, user):
    client.force_login(user)
    return client


def _post(client, url, payload=None):
    return client.post(url, json.dumps(payload or {}), content_type="application/json")


@pytest.fixture
def city(client, world):
    return _as(client, world.users["city_org_dept"])


def test_list_gives_each_policy_its_counts_budget_and_version_in_force(city, world, issue):
    issue("tier-d", 'talent.tier == "D"', "1000", budget_total=Decimal("5000"))
    run_match()

    [policy] = city.get("/api/policies/").json()

    assert policy["code"] == "tier-d" and policy["counts"]["offered"] == 1
    assert policy["budget"]["used_total"] == "1000.00" and policy["budget"]["remaining"] == "4000.00"
    assert policy["version_in_force"]["number"] == 1


def test_longyou_officer_sees_the_city_policy_replaced(client, world, issue):
    city_policy = issue("settlement", 'talent.degree == "master"', "50000")
    override = issue("longyou-settlement", 'talent.degree == "master"', "80000", region=world.county_b)
    override.overrides = city_policy
    override.save()
    longyou = factories.make_user("longyou", "county_org_dept", region=world.county_b)

    longyou_view = {p["code"]: p for p in _as(client, longyou).get("/api/policies/").json()}
    jiangshan_view = {
        p["code"]: p for p in _as(client, world.users["county_org_dept"]).get("/api/policies/").json()
    }

    assert longyou_view["settlement"]["replaced_here_by"] == "longyou-settlement"
    assert longyou_view["longyou-settlement"]["overrides"] == "settlement"
    assert set(jiangshan_view) == {"settlement"} and jiangshan_view["settlement"]["replaced_here_by"] is None


def test_validate_returns_each_problem_with_line_and_column(city, world):
    response = _post(
        city, "/api/policies/rules/validate", {"rule": 'talent.tier == "D" &&\ntalent.age > "x"'}
    )

    body = response.json()
    assert body["valid"] is False
    [problem] = body["problems"]
    assert (problem["line"], problem["column"], problem["code"]) == (2, 12, "type_mismatch")
    assert problem["message_zh"].startswith("第2行第12列：类型不匹配")


def test_an_invalid_draft_cannot_be_issued_through_the_api(city, world, issue):
    policy = issue("p", 'talent.tier == "D"')
    created = _post(
        city,
        f"/api/policies/{policy.pk}/versions",
        {"eligibility_rule": "talent.unknown == 1", "effective_from": "2030-01-01"},
    )
    assert created.status_code == 201

    response = _post(city, f"/api/policies/versions/{created.json()['id']}/issue")

    assert response.status_code == 422
    assert response.json()["details"][0]["message_zh"].startswith("第1行第1列：未知变量")
    assert PolicyVersion.objects.get(pk=created.json()["id"]).status == "draft"


def test_a_valid_draft_is_updated_and_issued_through_the_api(city, world, issue):
    policy = issue("p", 'talent.tier == "D"', "1000")
    draft = _post(
        city,
        f"/api/policies/{policy.pk}/versions",
        {"eligibility_rule": "true", "effective_from": "2030-01-01"},
    ).json()

    updated = city.put(
        f"/api/policies/versions/{draft['id']}",
        json.dumps(
            {"eligibility_rule": 'talent.tier == "E"', "amount_rule": "500", "effective_from": "2030-01-01"}
        ),
        content_type="application/json",
    ).json()
    issued = _post(city, f"/api/policies/versions/{draft['id']}/issue").json()

    assert updated["eligibility_rule"] == 'talent.tier == "E"'
    assert issued["status"] == "issued"
    assert AuditEntry.objects.filter(action="policy.issue").count() == 1


def test_a_county_officer_cannot_draft_a_city_policy(client, world, issue):
    policy = issue("city-only", 'talent.tier == "D"')
    response = _post(
        _as(client, world.users["county_org_dept"]),
        f"/api/policies/{policy.pk}/versions",
        {"eligibility_rule": "true", "effective_from": "2030-01-01"},
    )
    assert response.status_code == 403 and policy.versions.count() == 1


def test_simulation_returns_the_comparison_and_writes_nothing(city, world, issue):
    policy = issue("sim", 'talent.tier == "D"', "1000")
    draft = PolicyVersion.objects.create(
        policy=policy,
        number=2,
        effective_from=policy.versions.get().effective_from.replace(year=2030),
        eligibility_rule='talent.tier in ["C", "E"]',
        amount_rule="2000",
    )
    models = (PolicyVersion, Entitlement, Decision, MatchRun, AuditEntry)
    before = [m.objects.count() for m in models]

    body = _post(city, f"/api/policies/versions/{draft.pk}/simulate").json()

    assert [m.objects.count() for m in models] == before
    assert (body["current_count"], body["draft_count"]) == (1, 2)
    assert sorted(body["added_ids"]) == sorted([world.talent_a2.pk, world.talent_b.pk])
    assert body["removed_ids"] == [world.talent_a.pk] and body["draft_cost"] == "4000.00"


def test_explain_gives_clauses_with_values_and_the_amount(city, world, issue):
    policy = issue("ex", 'talent.tier == "D" && talent.age <= 40', 'talent.tier == "D" ? 3000 : 0')

    body = city.get(f"/api/policies/{policy.pk}/explain/{world.talent_a.pk}").json()

    assert body["eligible"] is False
    assert [(c["text_zh"], c["passed"]) for c in body["clauses"]] == [
        ("人才类别: D类", True),
        ("年龄: 41 > 40", False),
    ]
    assert body["text_zh"].startswith("不符合：人才类别: D类 ✓；年龄: 41 > 40 ✗")


def test_explaining_an_out_of_scope_talent_is_404(client, world, issue):
    policy = issue("ex", "true")
    response = _as(client, world.users["county_org_dept"]).get(
        f"/api/policies/{policy.pk}/explain/{world.talent_b.pk}"
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_my_benefits_lists_entitlements_and_missing_conditions(client, world, issue):
    issue("for-d", 'talent.tier == "D"', "8000")
    issue("for-doctors", 'talent.degree == "doctor"', "1")
    run_match()

    lines = {
        line["policy"]: line for line in _as(client, world.users["talent"]).get("/api/policies/mine").json()
    }

    assert lines["for-d"]["eligible"] and lines["for-d"]["entitlement"]["status"] == "offered"
    assert lines["for-doctors"]["missing_zh"] == ["要求学历为博士（您的学历为硕士）"]
    assert lines["for-doctors"]["missing_en"] == ["Required: degree is doctor (yours is master)"]
    explanation = lines["for-doctors"]["explanation"]
    assert explanation["clauses"][0]["sentence_zh"] == "您的学历为硕士，而要求为博士"
    assert explanation["needs_zh"] == ["要求学历为博士（您的学历为硕士）"]

    entitlement_id = lines["for-d"]["entitlement"]["id"]
    confirmed = _post(client, f"/api/policies/mine/{entitlement_id}/confirm").json()
    assert confirmed["status"] == "granted"


NOTATION = ("∉", "∈", "≠", "≤", "≥", "✗", "✓", "not in", "!=", "<=", ">=")


def test_my_benefits_say_what_is_missing_in_sentences_never_in_notation(client, world, issue):
    talent = world.talent_a
    talent.highest_degree = "doctor"
    talent.save()
    issue("master-and-above", 'talent.degree in ["master", "doctor"] && talent.age <= 35')
    issue("tiers-a-c", 'talent.tier in ["A", "B", "C"]')
    issue("master-only", 'talent.degree == "master"')

    lines = {
        line["policy"]: line for line in _as(client, world.users["talent"]).get("/api/policies/mine").json()
    }

    # a doctor under "master and above" is told only the age is missing, never a master's degree
    above = lines["master-and-above"]
    assert above["missing_zh"] == ["需要：年龄不超过 35 岁"]
    assert above["missing_en"] == ["Needed: age at most 35 years"]
    degree, age = above["explanation"]["clauses"]
    assert degree["passed"] and degree["sentence_zh"] == "您的学历为博士，满足“硕士及以上”的条件"
    assert not age["passed"] and age["sentence_en"].startswith("Your age is 41 years")
    assert lines["tiers-a-c"]["missing_zh"] == ["需要：人才类别为A类、B类、C类之一"]
    # a rule asking for exactly a master's degree: the requirement with the doctor's own degree
    assert lines["master-only"]["missing_zh"] == ["要求学历为硕士（您的学历为博士）"]
    for line in lines.values():
        said = line["missing_zh"] + line["missing_en"]
        said += [
            c.get(f"sentence_{lang}", "") for c in line["explanation"]["clauses"] for lang in ("zh", "en")
        ]
        assert not [text for text in said if any(symbol in text for symbol in NOTATION)], said
        assert not any("需要：学历" in text or "Needed: degree" in text for text in said)


def test_my_benefits_document_their_fields_in_the_openapi_schema(client):
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert {"missing_zh", "missing_en", "explanation", "entitlement"} <= set(
        schemas["BenefitOut"]["properties"]
    )


def test_drafts_are_hidden_from_departments(client, world, issue):
    policy = issue("p", 'talent.tier == "D"')
    draft = PolicyVersion.objects.create(
        policy=policy, number=2, effective_from=policy.versions.get().effective_from, eligibility_rule="true"
    )
    department = _as(client, world.users["department"])
    assert department.get(f"/api/policies/versions/{draft.pk}").status_code == 404
    assert [v["number"] for v in department.get(f"/api/policies/{policy.pk}/versions").json()] == [1]


@override_settings(TASKS=IMMEDIATE_TASKS)
def test_only_the_city_starts_a_match_run(client, world, issue):
    issue("tier-d", 'talent.tier == "D"', "1000")

    refused = _post(_as(client, world.users["county_org_dept"]), "/api/policies/match-runs")
    assert refused.status_code == 403 and MatchRun.objects.count() == 0

    started = _post(_as(client, world.users["city_org_dept"]), "/api/policies/match-runs")
    assert started.status_code == 200
    assert started.json()["result"]["offered"] == 1 and MatchRun.objects.count() == 1


def test_entitlements_of_a_policy_are_paginated_and_scoped(client, world, issue):
    policy = issue("all", "true", "1", is_proactive=True)
    run_match()
    body = (
        _as(client, world.users["county_org_dept"])
        .get(f"/api/policies/{policy.pk}/entitlements?limit=1")
        .json()
    )
    assert body["count"] == 2 and len(body["items"]) == 1  # Jiangshan's two talents, not Longyou's


def test_entitlement_list_refuses_out_of_range_limit_and_offset(city, issue):
    policy = issue("all", "true", "1", is_proactive=True)
    response = city.get(f"/api/policies/{policy.pk}/entitlements?limit=-5&offset=-5")
    assert response.status_code == 422, response.content
    fields = {d["field"]: d for d in response.json()["details"]}
    assert set(fields) == {"limit", "offset"}
    assert "之间" in fields["limit"]["message_zh"] and "between" in fields["limit"]["message_en"]


@pytest.mark.parametrize("budget", ["1e30", "1000000000000"])
def test_a_draft_budget_beyond_the_column_is_refused(city, issue, budget):
    policy = issue("p", 'talent.tier == "D"')
    before = PolicyVersion.objects.count()
    response = _post(
        city,
        f"/api/policies/{policy.pk}/versions",
        {"eligibility_rule": "true", "effective_from": "2030-01-01", "budget_total": budget},
    )
    assert response.status_code == 422, response.content
    [detail] = response.json()["details"]
    assert detail["field"] == "budget_total"
    assert "预算超出范围" in detail["message_zh"] and "out of range" in detail["message_en"]
    assert PolicyVersion.objects.count() == before


@pytest.mark.parametrize("field", ["rule", "eligibility_rule"])
def test_a_deeply_nested_rule_is_a_rule_problem_not_a_crash(city, issue, field):
    source = "(" * 5000 + "true" + ")" * 5000
    if field == "rule":
        response = _post(city, "/api/policies/rules/validate", {"rule": source})
        assert response.status_code == 200, response.content
        [problem] = response.json()["problems"]
    else:
        policy = issue("p", 'talent.tier == "D"')
        created = _post(
            city,
            f"/api/policies/{policy.pk}/versions",
            {"eligibility_rule": source, "effective_from": "2030-01-01"},
        )
        assert created.status_code == 201, created.content
        response = _post(city, f"/api/policies/versions/{created.json()['id']}/issue")
        assert response.status_code == 422, response.content
        problem = response.json()["details"][0]
        assert PolicyVersion.objects.get(pk=created.json()["id"]).status == "draft"
    assert "规则嵌套过深" in problem["message_zh"] and "nested too deeply" in problem["message_en"]
