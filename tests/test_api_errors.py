"""Malformed API input is refused in the same bilingual shape as every other refusal."""

import pytest

pytestmark = pytest.mark.django_db


def test_wrong_type_in_a_query_parameter_is_explained_in_chinese_and_english(client, world):
    client.force_login(world.users["city_org_dept"])
    response = client.get("/api/registry/talents/", {"enterprise": "abc"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed" and body["message_zh"] == "请求格式有误"
    problem = body["details"][0]
    assert problem["field"] == "enterprise"
    assert problem["message_zh"] == "应为整数" and "integer" in problem["message_en"]


def test_missing_body_field_names_the_field(client, world):
    client.force_login(world.users["city_org_dept"])
    response = client.post("/api/registry/enterprises/", {}, content_type="application/json")
    assert response.status_code == 422
    fields = {d["field"]: d["message_zh"] for d in response.json()["details"]}
    assert fields and set(fields.values()) == {"必填项缺失"}
