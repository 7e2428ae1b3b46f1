"""Registry API: scoped lists and details, cursor pagination, filters, token auth, audited reveal, writes."""

import base64
import datetime as dt
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from rencai.accounts.models import ApiToken
from rencai.core import crypto
from rencai.core.models import AuditEntry
from rencai.registry.models import (
    Academician,
    Education,
    Enterprise,
    Honour,
    StationCooperation,
    Talent,
)
from tests import factories

BASE = "/api/registry"


def token_client(user) -> Client:
    _token, key = ApiToken.issue(user)
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def as_role(world):
    return lambda role: token_client(world.users[role])


def post(client, url, payload, **headers):
    return client.post(url, json.dumps(payload), content_type="application/json", headers=headers)


def patch(client, url, payload):
    return client.patch(url, json.dumps(payload), content_type="application/json")


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["name"] for item in response.json()["items"]}


def id_number_of(talent) -> str:
    return crypto.decrypt(talent.id_number_ciphertext)


def talent_payload(world, **overrides) -> dict:
    payload = {
        "name": "江山新登记",
        "id_number": factories.make_id_number("330881", dt.date(1990, 3, 7), male=False),
        "region": "330881",
        "team": "professional",
        "tier": "D",
        "arrival_date": "2020-05-01",
        "phone": "13912345678",
        "employer_credit_code": world.enterprise_a.credit_code,
        "employment_type": "full_time",
        "highest_degree": "doctor",
    }
    payload.update(overrides)
    return payload


# Lists and details ---------------------------------------------------------------------------


def test_talent_list_gives_the_county_officer_own_county_talents_with_masked_personal_data(as_role, world):
    response = as_role("county_org_dept").get(f"{BASE}/talents/")
    body = response.content.decode()
    items = {item["name"]: item for item in response.json()["items"]}

    assert set(items) == {"江山甲", "江山乙"}
    first = items["江山甲"]
    assert first["id_number_masked"] == world.talent_a.id_number_masked
    assert first["id_number_masked"] == "33" + "*" * 16
    assert first["birth_year"] == world.talent_a.birth_date.year and "birth_date" not in first
    assert first["phone_masked"] == "138****1234"
    assert first["region"] == {"code": "330881", "name": "江山市"}
    assert first["employer"]["name"] == "江山天蓬测试集团"
    assert first["team"] == "professional" and first["tier"] == "D" and first["status"] == "active"
    assert id_number_of(world.talent_a) not in body and "13800001234" not in body
    assert "ciphertext" not in body and "id_number_index" not in body


def test_talent_detail_lists_education_honours_and_employer(as_role, world):
    Education.objects.create(talent=world.talent_a, degree="doctor", field="材料", institution="浙江大学")
    Honour.objects.create(
        talent=world.talent_a, programme="provincial_programme", level="provincial", year=2019
    )

    detail = as_role("county_org_dept").get(f"{BASE}/talents/{world.talent_a.pk}").json()

    assert detail["name"] == "江山甲" and detail["nationality"] == "CN"
    assert detail["educations"] == [
        {
            "degree": "doctor",
            "field": "材料",
            "institution": "浙江大学",
            "is_overseas": False,
            "graduated_on": None,
        }
    ]
    assert detail["honours"] == [{"programme": "provincial_programme", "level": "provincial", "year": 2019}]
    assert detail["employer"]["credit_code"] == world.enterprise_a.credit_code
    assert id_number_of(world.talent_a) not in json.dumps(detail)


def test_talent_of_another_county_is_404_with_a_bilingual_message(as_role, world):
    response = as_role("county_org_dept").get(f"{BASE}/talents/{world.talent_b.pk}")

    assert response.status_code == 404
    error = response.json()
    assert error["code"] == "not_found" and error["message_zh"] == "对象不存在或无权查看"
    assert error["message_en"] == "Not found" and "龙游丙" not in response.content.decode()


def test_enterprise_list_detail_and_filters(as_role, world):
    city = as_role("city_org_dept")

    assert names(city.get(f"{BASE}/enterprises/")) == {"江山天蓬测试集团", "龙游测试纸业"}
    assert names(city.get(f"{BASE}/enterprises/", {"platform_only": "true"})) == {"江山天蓬测试集团"}
    assert names(city.get(f"{BASE}/enterprises/", {"region": "330825"})) == {"龙游测试纸业"}
    assert names(city.get(f"{BASE}/enterprises/", {"q": world.enterprise_b.credit_code})) == {"龙游测试纸业"}
    detail = city.get(f"{BASE}/enterprises/{world.enterprise_a.pk}").json()
    assert detail["credit_code"] == world.enterprise_a.credit_code and detail["is_platform_enterprise"]
    assert detail["talent_count"] == 1
    assert detail["platforms"] == [
        {"id": world.platform_a.pk, "name": world.platform_a.name, "kind": "academician_station"}
    ]
    assert as_role("county_org_dept").get(f"{BASE}/enterprises/{world.enterprise_b.pk}").status_code == 404


def test_platform_and_academician_lists_and_details_show_visible_cooperations(as_role, world):
    academician = Academician.objects.create(
        name="王院士", academy="cae", field="化工", affiliation="浙江大学", region=world.county_a
    )
    StationCooperation.objects.create(
        academician=academician, station=world.platform_a, started_on=dt.date(2017, 1, 1), team_size=6
    )
    StationCooperation.objects.create(
        academician=academician, station=world.platform_b, started_on=dt.date(2018, 1, 1), team_size=3
    )
    county = as_role("county_org_dept")

    assert names(county.get(f"{BASE}/platforms/")) == {world.platform_a.name}
    assert names(as_role("city_org_dept").get(f"{BASE}/platforms/", {"kind": "enclave"})) == {
        world.platform_b.name
    }
    platform = county.get(f"{BASE}/platforms/{world.platform_a.pk}").json()
    assert platform["host_enterprise"]["name"] == "江山天蓬测试集团" and platform["location"] == "本地"
    assert [c["academician"]["name"] for c in platform["cooperations"]] == ["王院士"]
    assert names(county.get(f"{BASE}/academicians/")) == {"王院士"}
    detail = county.get(f"{BASE}/academicians/{academician.pk}").json()
    assert detail["academy"] == "cae" and detail["region"]["code"] == "330881"
    # the Longyou station is out of the Jiangshan officer's scope: its cooperation is not listed
    assert [c["station"]["name"] for c in detail["cooperations"]] == [world.platform_a.name]
    assert county.get(f"{BASE}/platforms/{world.platform_b.pk}").status_code == 404


# Filters -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "江山"}, {"江山甲", "江山乙"}),
        ({"q": "江山乙"}, {"江山乙"}),
        ({"q": "乙"}, {"江山乙"}),  # any part of a name, as on the list page
        ({"region": "330825"}, {"龙游丙"}),
        ({"region": "330800"}, {"江山甲", "江山乙", "龙游丙"}),
        ({"team": "high_skill"}, {"江山乙"}),
        ({"tier": "C"}, {"龙游丙"}),
        ({"status": "departed"}, set()),
        ({"status": "active", "tier": "D"}, {"江山甲"}),
    ],
)
def test_talent_filters_match_the_list_page(as_role, params, expected):
    assert names(as_role("city_org_dept").get(f"{BASE}/talents/", params)) == expected


def test_talent_filter_by_enterprise_and_by_exact_id_number(as_role, world):
    city = as_role("city_org_dept")

    assert names(city.get(f"{BASE}/talents/", {"enterprise": world.enterprise_b.pk})) == {"龙游丙"}
    assert names(city.get(f"{BASE}/talents/", {"q": id_number_of(world.talent_a2)})) == {"江山乙"}
    assert names(city.get(f"{BASE}/talents/", {"q": id_number_of(world.talent_a2).lower()})) == {"江山乙"}


def test_searching_the_other_countys_talent_by_exact_id_number_finds_nothing(as_role, world):
    response = as_role("county_org_dept").get(f"{BASE}/talents/", {"q": id_number_of(world.talent_b)})

    assert response.json() == {"items": [], "next_cursor": None}


# Cursor pagination ---------------------------------------------------------------------------


def test_cursor_pagination_walks_every_talent_exactly_once_newest_first(as_role, world):
    for n in range(23):
        factories.make_talent(world.county_a, name=f"分页{n:02d}")
    client = as_role("county_org_dept")
    seen, cursor, pages = [], "", 0
    while True:
        page = client.get(f"{BASE}/talents/", {"limit": 5, "cursor": cursor}).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    expected = list(Talent.objects.filter(region=world.county_a).order_by("-id").values_list("pk", flat=True))
    assert seen == expected and len(seen) == 25 and len(set(seen)) == 25
    assert pages == 5


def test_cursor_is_base64_of_the_last_id_and_a_row_added_meanwhile_does_not_shift_the_walk(as_role, world):
    for n in range(3):
        factories.make_talent(world.county_a, name=f"游标{n}")
    client = as_role("county_org_dept")
    first = client.get(f"{BASE}/talents/", {"limit": 2}).json()
    last_id = first["items"][-1]["id"]
    assert base64.urlsafe_b64decode(first["next_cursor"] + "==").decode() == str(last_id)

    factories.make_talent(world.county_a, name="游标新增")  # newest: would shift an offset page
    second = client.get(f"{BASE}/talents/", {"limit": 2, "cursor": first["next_cursor"]}).json()

    assert all(item["id"] < last_id for item in second["items"]) and len(second["items"]) == 2


def test_enterprise_platform_and_academician_lists_are_cursor_paginated_too(as_role, world):
    for n in range(4):
        factories.make_enterprise(world.county_a, name=f"分页企业{n}")
    client = as_role("county_org_dept")
    first = client.get(f"{BASE}/enterprises/", {"limit": 3}).json()
    second = client.get(f"{BASE}/enterprises/", {"limit": 3, "cursor": first["next_cursor"]}).json()

    walked = [item["name"] for item in first["items"] + second["items"]]
    assert sorted(walked) == sorted(["江山天蓬测试集团", *[f"分页企业{n}" for n in range(4)]])
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 201}, "limit"), ({"limit": 0}, "limit"), ({"cursor": "not-a-cursor!"}, "cursor")],
)
def test_bad_limit_or_cursor_is_422_in_both_languages(as_role, params, field):
    response = as_role("city_org_dept").get(f"{BASE}/talents/", params)

    assert response.status_code == 422
    [problem] = response.json()["details"]
    assert problem["field"] == field and problem["message_zh"] and problem["message_en"]
    assert problem["message_zh"] != problem["message_en"]


def test_a_limit_of_200_is_accepted(as_role):
    assert as_role("city_org_dept").get(f"{BASE}/talents/", {"limit": 200}).status_code == 200


# Token authentication ------------------------------------------------------------------------


def test_no_token_is_401(world):
    response = Client().get(f"{BASE}/talents/")

    assert response.status_code == 401 and "江山甲" not in response.content.decode()


def test_revoked_token_is_401_and_an_unknown_token_too(world):
    token, key = ApiToken.issue(world.users["city_org_dept"])
    assert Client(headers={"Authorization": f"Bearer {key}"}).get(f"{BASE}/talents/").status_code == 200

    token.revoked = True
    token.save()

    assert Client(headers={"Authorization": f"Bearer {key}"}).get(f"{BASE}/talents/").status_code == 401
    assert Client(headers={"Authorization": "Bearer rc_unknown"}).get(f"{BASE}/talents/").status_code == 401


def test_token_of_a_deactivated_user_is_401(world):
    user = world.users["county_org_dept"]
    client = token_client(user)
    user.is_active = False
    user.save()

    assert client.get(f"{BASE}/talents/").status_code == 401


def test_token_acts_as_its_user_and_records_its_use(world):
    token, key = ApiToken.issue(world.users["enterprise"])
    response = Client(headers={"Authorization": f"Bearer {key}"}).get(f"{BASE}/talents/")

    assert names(response) == {"江山甲"}  # the enterprise sees its own employee only
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_browser_session_also_authenticates(client, world):
    client.force_login(world.users["county_org_dept"])

    assert names(client.get(f"{BASE}/talents/")) == {"江山甲", "江山乙"}


# Reveal --------------------------------------------------------------------------------------


def test_reveal_returns_the_full_id_number_and_audits_who_what_when(as_role, world):
    before = AuditEntry.objects.count()
    response = as_role("county_org_dept").post(f"{BASE}/talents/{world.talent_a.pk}/reveal/id_number")

    assert response.json() == {"field": "id_number", "value": id_number_of(world.talent_a)}
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert entry.action == "pii.reveal" and entry.actor_id == world.users["county_org_dept"].pk
    assert entry.object_type == "registry.talent" and entry.object_id == str(world.talent_a.pk)
    assert entry.detail == {"field": "id_number"} and entry.region_code == "330881"
    assert entry.ip == "127.0.0.1" and (dt.datetime.now(dt.UTC) - entry.at).total_seconds() < 60
    assert id_number_of(world.talent_a) not in json.dumps(entry.detail)


def test_reveal_of_the_phone_and_by_the_talent_themself(as_role, world):
    response = as_role("talent").post(f"{BASE}/talents/{world.talent_a.pk}/reveal/phone")

    assert response.json() == {"field": "phone", "value": "13800001234"}


@pytest.mark.parametrize(
    ("role", "talent_attr", "status"),
    [
        ("department", "talent_a", 403),  # in scope, no right to reveal
        ("enterprise", "talent_a", 403),  # own employee, no right to reveal
        ("county_org_dept", "talent_b", 404),  # out of scope: not even its existence
        ("talent", "talent_a2", 404),
        ("reviewer", "talent_a", 404),
    ],
)
def test_reveal_is_refused_without_the_right_and_unknown_out_of_scope(
    as_role, world, role, talent_attr, status
):
    talent = getattr(world, talent_attr)
    before = AuditEntry.objects.filter(action="pii.reveal").count()

    response = as_role(role).post(f"{BASE}/talents/{talent.pk}/reveal/id_number")

    assert response.status_code == status
    assert id_number_of(talent) not in response.content.decode()
    assert AuditEntry.objects.filter(action="pii.reveal").count() == before


def test_reveal_of_an_unknown_field_is_404(as_role, world):
    assert as_role("city_org_dept").post(f"{BASE}/talents/{world.talent_a.pk}/reveal/name").status_code == 404


# Writes --------------------------------------------------------------------------------------


def test_register_talent_creates_it_sealed_and_audited(as_role, world):
    payload = talent_payload(world)

    response = post(as_role("county_org_dept"), f"{BASE}/talents/", payload)

    assert response.status_code == 201
    created = response.json()
    talent = Talent.objects.get(pk=created["id"])
    assert created["name"] == "江山新登记" and created["birth_year"] == 1990 and "birth_date" not in created
    assert created["gender"] == "female" and created["employer"]["name"] == "江山天蓬测试集团"
    assert created["id_number_masked"] == payload["id_number"][:2] + "*" * 16
    assert payload["id_number"] not in response.content.decode()
    assert id_number_of(talent) == payload["id_number"]
    assert AuditEntry.objects.filter(action="talent.register", object_id=str(talent.pk)).exists()


def test_register_with_an_id_number_already_in_scope_updates_that_talent(as_role, world):
    payload = talent_payload(world, id_number=id_number_of(world.talent_a2), name="江山乙（更名）", tier="C")
    county = as_role("county_org_dept")

    first = post(county, f"{BASE}/talents/", payload)
    again = post(county, f"{BASE}/talents/", payload)

    assert first.status_code == 200 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"] == world.talent_a2.pk
    world.talent_a2.refresh_from_db()
    assert world.talent_a2.name == "江山乙（更名）" and world.talent_a2.tier == "C"
    assert Talent.objects.count() == 3


def test_register_with_an_id_number_registered_in_another_county_is_refused_not_updated(as_role, world):
    payload = talent_payload(world, id_number=id_number_of(world.talent_b), name="冒名")

    response = post(as_role("county_org_dept"), f"{BASE}/talents/", payload)

    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "id_number"
    world.talent_b.refresh_from_db()
    assert world.talent_b.name == "龙游丙"


def test_validation_errors_list_every_problem_in_chinese_and_english(as_role, world):
    payload = talent_payload(
        world, id_number="330881199003070021", team="astronauts", region="330825", phone="12345"
    )

    response = post(as_role("county_org_dept"), f"{BASE}/talents/", payload)

    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "validation_failed"
    assert error["message_zh"] == "输入有误" and error["message_en"] == "Invalid input"
    problems = {p["field"]: p for p in error["details"]}
    assert set(problems) == {"id_number", "team", "region", "phone"}
    assert problems["id_number"]["message_zh"] == "身份证号校验位不正确"
    assert problems["id_number"]["message_en"] == "ID number check digit is wrong"
    assert "astronauts" in problems["team"]["message_en"] and "人才队伍无效" in problems["team"]["message_zh"]
    assert "outside your scope" in problems["region"]["message_en"]
    assert Talent.objects.count() == 3


def test_error_message_follows_the_requested_language(as_role, world):
    response = as_role("county_org_dept").get(
        f"{BASE}/talents/{world.talent_b.pk}", headers={"Accept-Language": "en"}
    )

    assert response.json()["message"] == "Not found"


def test_idempotency_key_returns_the_first_result_and_writes_once(as_role, world):
    county = as_role("county_org_dept")
    payload = talent_payload(world)

    first = post(county, f"{BASE}/talents/", payload, **{"Idempotency-Key": "batch-7-row-1"})
    retry = post(county, f"{BASE}/talents/", payload, **{"Idempotency-Key": "batch-7-row-1"})

    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    assert Talent.objects.filter(name="江山新登记").count() == 1
    assert AuditEntry.objects.filter(action="talent.register").count() == 1
    assert AuditEntry.objects.filter(action="talent.update").count() == 0


def test_idempotency_key_reused_for_a_different_request_is_refused(as_role, world):
    county = as_role("county_org_dept")
    post(county, f"{BASE}/talents/", talent_payload(world), **{"Idempotency-Key": "k1"})

    other = talent_payload(world, name="另一个人", id_number=factories.make_id_number("330881"))
    response = post(county, f"{BASE}/talents/", other, **{"Idempotency-Key": "k1"})

    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "Idempotency-Key"
    assert not Talent.objects.filter(name="另一个人").exists()


def test_idempotency_keys_are_per_caller(world):
    payload = talent_payload(world)
    post(
        token_client(world.users["county_org_dept"]), f"{BASE}/talents/", payload, **{"Idempotency-Key": "k"}
    )

    city = token_client(world.users["city_org_dept"])
    response = post(city, f"{BASE}/talents/", payload, **{"Idempotency-Key": "k"})

    assert response.status_code == 200  # a new key for the city: the ID number is in its scope, an upsert


def test_patch_changes_only_the_given_fields_and_keeps_the_id_number(as_role, world):
    number = id_number_of(world.talent_a)

    response = patch(as_role("county_org_dept"), f"{BASE}/talents/{world.talent_a.pk}", {"tier": "B"})

    assert response.status_code == 200
    assert response.json()["tier"] == "B" and response.json()["name"] == "江山甲"
    world.talent_a.refresh_from_db()
    assert world.talent_a.tier == "B" and id_number_of(world.talent_a) == number
    assert world.talent_a.current_employer == world.enterprise_a and world.talent_a.team == "professional"
    update = AuditEntry.objects.filter(action="talent.update").get()
    assert update.detail["before"]["tier"] == "D" and update.detail["after"]["tier"] == "B"


def test_patch_cannot_move_a_talent_out_of_the_officers_county(as_role, world):
    response = patch(as_role("county_org_dept"), f"{BASE}/talents/{world.talent_a.pk}", {"region": "330825"})

    assert response.status_code == 422 and response.json()["details"][0]["field"] == "region"


@pytest.mark.parametrize(
    ("role", "talent_attr", "status"),
    [("department", "talent_a", 403), ("enterprise", "talent_a", 403), ("county_org_dept", "talent_b", 404)],
)
def test_patch_refused_without_the_right_or_out_of_scope(as_role, world, role, talent_attr, status):
    talent = getattr(world, talent_attr)

    response = patch(as_role(role), f"{BASE}/talents/{talent.pk}", {"name": "改名"})

    assert response.status_code == status
    talent.refresh_from_db()
    assert talent.name != "改名"


def test_register_enterprise_and_refuse_a_duplicate_or_invalid_credit_code(as_role, world):
    county = as_role("county_org_dept")
    payload = {
        "credit_code": "91330881MA2DK1234X",
        "name": "江山新材料有限公司",
        "region": "330881",
        "industry": "chemicals",
        "size": "small",
        "is_high_tech": True,
    }

    created = post(county, f"{BASE}/enterprises/", payload)
    duplicate = post(county, f"{BASE}/enterprises/", payload)
    invalid = post(county, f"{BASE}/enterprises/", {**payload, "credit_code": "91330881MA2DK1234Y"})

    assert created.status_code == 201 and created.json()["is_high_tech"] is True
    assert Enterprise.objects.get(credit_code="91330881MA2DK1234X").name == "江山新材料有限公司"
    assert duplicate.status_code == 422 and duplicate.json()["details"][0]["field"] == "credit_code"
    problem = invalid.json()["details"][0]
    assert invalid.status_code == 422 and problem["field"] == "credit_code"
    assert problem["message_zh"] and problem["message_en"] and problem["message_zh"] != problem["message_en"]


def test_register_enterprise_with_the_same_idempotency_key_returns_the_first(as_role, world):
    county = as_role("county_org_dept")
    payload = {
        "credit_code": "91330881MA2DK1234X",
        "name": "江山幂等企业",
        "region": "330881",
        "industry": "services",
        "size": "micro",
    }

    first = post(county, f"{BASE}/enterprises/", payload, **{"Idempotency-Key": "e-1"})
    retry = post(county, f"{BASE}/enterprises/", payload, **{"Idempotency-Key": "e-1"})

    assert first.status_code == retry.status_code == 201 and first.json() == retry.json()


def test_department_may_not_register_an_enterprise(as_role, world):
    payload = {
        "credit_code": "91330881MA2DK1234X",
        "name": "不应登记",
        "region": "330881",
        "industry": "services",
        "size": "micro",
    }

    response = post(as_role("department"), f"{BASE}/enterprises/", payload)

    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not Enterprise.objects.filter(name="不应登记").exists()


# OpenAPI -------------------------------------------------------------------------------------


def test_openapi_schema_and_docs_page_render_with_the_registry_endpoints(client, world):
    schema = client.get("/api/openapi.json")
    docs = client.get("/api/docs")

    assert schema.status_code == 200 and docs.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/registry/talents/",
        "/api/registry/talents/{talent_id}",
        "/api/registry/talents/{talent_id}/reveal/{field}",
        "/api/registry/enterprises/",
        "/api/registry/platforms/{platform_id}",
        "/api/registry/academicians/",
    ):
        assert path in paths
    assert "patch" in paths["/api/registry/talents/{talent_id}"]
    page = docs.content.decode()
    assert "swagger-ui-bundle.js" in page and "/api/openapi.json" in page
    assert "cdn." not in page and "https://" not in page  # served locally: no network at run time
    bundle = re.search(r'src="/static/([^"]*swagger-ui-bundle\.js)"', page).group(1)
    assert finders.find(bundle) is not None  # collected by collectstatic, served by whitenoise


@pytest.mark.parametrize(
    ("name", "message_zh", "message_en"),
    [
        ("长" * 101, "姓名过长（最多100个字符）", "at most 100 characters"),
        ("江山\x00新登记", "空字符", "NUL character"),
    ],
)
def test_register_talent_refuses_an_overlong_or_nul_name_and_writes_nothing(
    as_role, world, name, message_zh, message_en
):
    before = Talent.objects.count()
    response = post(as_role("county_org_dept"), f"{BASE}/talents/", talent_payload(world, name=name))
    assert response.status_code == 422, response.content
    [detail] = response.json()["details"]
    assert detail["field"] == "name"
    assert message_zh in detail["message_zh"] and message_en in detail["message_en"]
    assert Talent.objects.count() == before


def test_register_talent_refuses_nul_in_other_text_fields(as_role, world):
    response = post(as_role("county_org_dept"), f"{BASE}/talents/", talent_payload(world, tier="D\x00"))
    assert response.status_code == 422, response.content
    assert any(d["field"] == "tier" and "NUL" in d["message_en"] for d in response.json()["details"])


@pytest.mark.parametrize(
    ("name", "message_en"),
    [("企" * 201, "at most 200 characters"), ("衢州\x00有限公司", "NUL character")],
)
def test_register_enterprise_refuses_an_overlong_or_nul_name_and_writes_nothing(as_role, name, message_en):
    before = Enterprise.objects.count()
    payload = {
        "credit_code": factories.make_credit_code(),
        "name": name,
        "region": "330881",
        "industry": "manufacturing",
        "size": "small",
    }
    response = post(as_role("county_org_dept"), f"{BASE}/enterprises/", payload)
    assert response.status_code == 422, response.content
    [detail] = response.json()["details"]
    assert detail["field"] == "name" and message_en in detail["message_en"]
    assert Enterprise.objects.count() == before
