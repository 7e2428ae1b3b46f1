"""The API keeps its OpenAPI contract: one error shape documented on every operation, bounds declared and
enforced, schema-violating input refused in both languages, no 500 (what bench/security.py measures)."""

import datetime as dt
import json
import re

import pytest

from rencai.accounts.models import ApiToken
from rencai.core.pagination import encode_cursor
from rencai.core.schemas import CURSOR, MAX_ID
from rencai.policies.models import Policy, PolicyVersion

pytestmark = pytest.mark.django_db

ERROR_REF = "#/components/schemas/ErrorOut"


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").json()


@pytest.fixture
def city(client, world):
    client.force_login(world.users["city_org_dept"])
    return client


def _post(client, url, payload):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(url, body, content_type="application/json")


def _operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def _draft(world, rule: str) -> PolicyVersion:
    policy = Policy.objects.create(code="p", name="政策 p", region=world.regions["330800"], kind="subsidy")
    return PolicyVersion.objects.create(
        policy=policy, number=1, effective_from=dt.date(2017, 1, 1), eligibility_rule=rule, amount_rule="0"
    )


# The document ------------------------------------------------------------------------------------


def test_the_openapi_document_has_one_error_schema_with_both_languages(document):
    schemas = document["components"]["schemas"]
    assert [name for name in schemas if name.endswith("ErrorOut")] == ["ErrorOut"]
    assert [name for name in schemas if name == "ProblemOut"] == ["ProblemOut"]
    assert set(schemas["ErrorOut"]["properties"]) == {
        "code",
        "message",
        "message_zh",
        "message_en",
        "details",
    }
    assert set(schemas["ProblemOut"]["properties"]) == {"field", "message_zh", "message_en"}


def test_every_authenticated_operation_documents_its_error_statuses_with_the_one_schema(document):
    for name, operation in _operations(document):
        if not operation.get("security"):
            continue  # the card-signing public key: no authentication, nothing to refuse
        responses = operation["responses"]
        for status in ("401", "403", "422", "503"):
            assert status in responses, f"{name} does not document {status}"
        if "{" in name:
            assert "404" in responses, f"{name} does not document 404"
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, f"{name} {status}"


def test_ids_limits_and_offsets_declare_the_bounds_the_server_enforces(document):
    parameters = {
        (name, parameter["name"]): parameter["schema"]
        for name, operation in _operations(document)
        for parameter in operation.get("parameters", [])
    }
    talent_id = parameters[("GET /api/registry/talents/{talent_id}", "talent_id")]
    assert (talent_id["minimum"], talent_id["maximum"]) == (1, MAX_ID)
    limit = parameters[("GET /api/services/window", "limit")]
    assert (limit["minimum"], limit["maximum"]) == (1, 200)
    offset = parameters[("GET /api/policies/{policy_id}/entitlements", "offset")]
    assert offset["minimum"] == 0
    assert parameters[("GET /api/registry/talents/", "cursor")]["pattern"] == CURSOR


def test_every_cursor_the_server_issues_matches_the_declared_pattern():
    for last_id in (1, 9, 10, 99, 123, 4567, 10**9 + 7, 10**18 - 1):
        assert re.fullmatch(CURSOR, encode_cursor(last_id))
    assert not re.fullmatch(CURSOR, encode_cursor(10**18))  # longer than an id column holds
    assert not re.fullmatch(CURSOR, "not-a-cursor")


# Bounds and malformed input: 4xx in both languages, never 500 ----------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/api/registry/talents/{10**20}",
        "/api/registry/talents/0",
        f"/api/policies/{MAX_ID + 1}",
        "/api/policies/-1",
        "/api/services/applications/-5",
    ],
)
def test_a_huge_zero_or_negative_id_is_refused_with_422_as_json(city, url):
    response = city.get(url)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_failed"


@pytest.mark.parametrize(
    "url",
    [
        "/api/services/window?limit=-655983&offset=3444390901363654050971648",
        "/api/services/steps?offset=-34888604511973",
        "/api/registry/talents/?limit=4489",
    ],
)
def test_a_huge_or_negative_limit_or_offset_is_refused_in_both_languages(city, url):
    response = city.get(url)
    assert response.status_code == 422, response.content
    for detail in response.json()["details"]:
        assert detail["field"] in {"limit", "offset"}
        assert "之间" in detail["message_zh"] and "between" in detail["message_en"]


def test_a_cursor_the_server_did_not_issue_is_refused(city):
    response = city.get("/api/registry/talents/", {"cursor": "U"})
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "cursor"


def test_explaining_a_draft_whose_rule_does_not_parse_is_422_not_a_server_error(city, world):
    version = _draft(world, "")  # drafts may hold any text; it is checked when issued
    url = f"/api/policies/{version.policy_id}/explain/{world.talent_a.pk}?version_id={version.pk}"
    response = city.get(url)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["message_zh"] == "规则有误，无法解释" and "cannot be explained" in body["message_en"]
    assert body["details"][0]["field"] == "eligibility_rule"


@pytest.mark.parametrize("body", ["[null, null]", "5", '"text"', "{not json"])
def test_a_body_that_is_not_a_json_object_is_refused_with_422(city, world, body):
    response = city.patch(f"/api/registry/talents/{world.talent_a.pk}", body, content_type="application/json")
    assert response.status_code == 422, response.content
    detail = response.json()["details"][0]
    assert detail["message_zh"] == "请求体不是有效的 JSON 对象" and "JSON object" in detail["message_en"]


def test_a_schema_violating_body_is_refused_with_422_in_chinese_and_english(city, world):
    version = _draft(world, "true")
    response = _post(
        city,
        f"/api/policies/{version.policy_id}/versions",
        {"eligibility_rule": "true", "effective_from": 0, "budget_total": -5, "note": "a\x00b"},
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_failed" and body["message_zh"] == "请求格式有误"
    problems = {d["field"]: d for d in body["details"]}
    assert problems["effective_from"]["message_zh"] == "应为日期（YYYY-MM-DD）"
    assert "date" in problems["effective_from"]["message_en"]
    assert problems["budget_total"]["message_zh"] == "预算不能为负数"
    assert problems["note"]["message_en"] == "Contains a NUL character; remove it"
    assert PolicyVersion.objects.filter(policy_id=version.policy_id).count() == 1


def test_an_out_of_range_page_size_in_a_paginated_list_names_its_bounds(city, world):
    version = _draft(world, "true")
    response = city.get(f"/api/policies/{version.policy_id}/entitlements?limit=201")
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "limit"


# Statuses in the one shape --------------------------------------------------------------------------


def test_a_refusal_of_the_stored_state_answers_409(city, world):
    version = _draft(world, "true")  # a draft: only an issued version can be withdrawn
    response = _post(city, f"/api/policies/versions/{version.pk}/withdraw", {"reason": "撤回"})
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "version_not_issued"


def test_a_call_without_a_valid_token_gets_401_in_the_one_error_shape(client):
    response = client.get("/api/registry/talents/", HTTP_AUTHORIZATION="Bearer rc_not-a-token")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "message_zh", "message_en", "details"}
    assert body["message_en"] == "Log in or give a valid API token"


def test_a_bearer_token_call_reaches_the_api(client, world):
    _, key = ApiToken.issue(world.users["city_org_dept"], name="contract")
    response = client.get("/api/registry/talents/?limit=1", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
