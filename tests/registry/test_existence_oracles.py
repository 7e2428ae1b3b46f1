"""Existence oracles: no answer may tell a county whether another county holds an ID number or a policy.

Registering an ID number that is already registered gets one answer on every path (the form, the API, the
import) whether the record is in the officer's county or another; the legitimate case, a talent moving
between counties, is the city's to handle (`services.transfer_talent`). An unknown policy and another
county's policy are refused alike.
"""

import io
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from rencai.accounts.models import ApiToken
from rencai.core import crypto
from rencai.core.models import AuditEntry, Notification
from rencai.policies.models import Policy
from rencai.registry import importers
from rencai.registry.models import Talent
from rencai.registry.services import ID_NUMBER_TAKEN
from tests import factories

TAKEN = {"message_zh": ID_NUMBER_TAKEN[0], "message_en": ID_NUMBER_TAKEN[1]}


def ui(user, language: str = "zh-hans") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def api(user) -> Client:
    _token, key = ApiToken.issue(user)
    return Client(headers={"Authorization": f"Bearer {key}"})


def post_json(client: Client, url: str, payload: dict, **headers):
    return client.post(url, json.dumps(payload), content_type="application/json", headers=headers)


def id_number_of(talent: Talent) -> str:
    return crypto.decrypt(talent.id_number_ciphertext)


def form_data(id_number: str, **overrides) -> dict:
    return {
        "name": "重复登记",
        "id_kind": "resident_id",
        "id_number": id_number,
        "nationality": "CN",
        "region": "330881",
        "team": "professional",
        "tier": "",
        "title_level": "",
        "skill_level": "0",
        "highest_degree": "master",
        "employer": "",
        "employment_type": "",
        "arrival_date": "2021-06-01",
        **overrides,
    }


def api_payload(id_number: str) -> dict:
    return {
        "name": "重复登记",
        "id_number": id_number,
        "region": "330881",
        "team": "professional",
        "arrival_date": "2021-06-01",
    }


def form_refusal(user, id_number: str, language: str = "zh-hans") -> list[str]:
    response = ui(user, language).post(reverse("registry:talent_create"), form_data(id_number))
    assert response.status_code == 200
    return response.context["form"].errors["id_number"]


def import_refusal(user, id_number: str) -> dict:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "身份证号", "所在地区", "人才队伍", "到衢日期"])
    sheet.append(["重复登记", id_number, "江山市", "专业技术人才", "2021-06-01"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = importers.import_file(
        actor=user, kind="talents", filename="人才.xlsx", data=buffer.getvalue(), accept_partial=True
    )
    (row,) = batch.rows
    assert row["status"] == "rejected"
    (reason,) = row["reasons"]
    return {"message_zh": reason["message_zh"], "message_en": reason["message_en"]}


# -- one answer for an ID number that is already registered --------------------------------------------------


def test_form_api_and_import_answer_another_countys_id_number_with_the_same_words(world):
    county, foreign = world.users["county_org_dept"], id_number_of(world.talent_b)

    on_form = form_refusal(county, foreign)
    on_form_en = form_refusal(county, foreign, "en")
    response = post_json(api(county), "/api/registry/talents/", api_payload(foreign))
    on_import = import_refusal(county, foreign)

    assert on_form == [TAKEN["message_zh"]] and on_form_en == [TAKEN["message_en"]]
    assert response.status_code == 422
    assert response.json()["details"] == [{"field": "id_number", **TAKEN}]
    assert on_import == TAKEN
    assert "权限范围" not in json.dumps([on_form, response.json(), on_import], ensure_ascii=False)
    world.talent_b.refresh_from_db()
    assert world.talent_b.name == "龙游丙" and Talent.objects.count() == 3


def test_the_form_answers_a_duplicate_in_scope_and_out_of_scope_with_the_same_words(world):
    county = world.users["county_org_dept"]

    in_scope = form_refusal(county, id_number_of(world.talent_a2))
    out_of_scope = form_refusal(county, id_number_of(world.talent_b))

    assert in_scope == out_of_scope == [TAKEN["message_zh"]]


def test_the_form_runs_the_same_queries_for_a_duplicate_in_and_out_of_scope(world):
    """Not in the words, not in the work: the scoped look-up that links a visible record runs for both."""
    client = ui(world.users["county_org_dept"])
    client.get(reverse("registry:talent_create"))  # the session's first page settles handled messages
    counts, pages = [], []
    for talent in (world.talent_a2, world.talent_b):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(reverse("registry:talent_create"), form_data(id_number_of(talent)))
        counts.append(len(queries))
        pages.append(response.content.decode())

    assert counts[0] == counts[1]
    # Only the record the officer may see anyway is linked
    assert f'data-registered="{world.talent_a2.pk}"' in pages[0]
    assert "data-registered" not in pages[1] and "龙游丙" not in pages[1]


def test_changing_a_talents_id_number_to_another_countys_gets_the_same_words(world):
    county = world.users["county_org_dept"]
    url = f"/api/registry/talents/{world.talent_a2.pk}"

    response = api(county).patch(
        url, json.dumps({"id_number": id_number_of(world.talent_b)}), content_type="application/json"
    )

    assert response.status_code == 422
    assert response.json()["details"] == [{"field": "id_number", **TAKEN}]


# -- the city moves a talent between counties ----------------------------------------------------------------


@pytest.fixture
def longyou_officer(world):
    return factories.make_user("longyou", "county_org_dept", region=world.county_b)


def transfer(user, talent: Talent, region: str = "330881", reason: str = "调入江山工作", *, key: str = ""):
    headers = {"Idempotency-Key": key} if key else {}
    url = f"/api/registry/talents/{talent.pk}/transfer"
    return post_json(api(user), url, {"region": region, "reason": reason}, **headers)


def test_the_city_moves_a_talent_audited_and_tells_both_counties(world, longyou_officer):
    city, jiangshan = world.users["city_org_dept"], world.users["county_org_dept"]
    talent = world.talent_b

    response = transfer(city, talent)

    assert response.status_code == 200, response.content
    assert response.json()["region"]["code"] == "330881"
    talent.refresh_from_db()
    assert talent.region == world.county_a
    entry = AuditEntry.objects.get(action="talent.transfer", object_id=str(talent.pk))
    assert entry.actor_id == city.pk and entry.region_code == "330881"
    assert entry.detail["from_region"] == "330825" and entry.detail["to_region"] == "330881"
    assert entry.detail["reason"] == "调入江山工作" and "region_id" in entry.detail["changed"]
    assert entry.detail["before"]["region_id"] == world.county_b.pk
    told = Notification.objects.filter(kind="registry.transfer")
    assert {n.recipient_id for n in told} == {jiangshan.pk, longyou_officer.pk}
    assert all("龙游丙" in n.subject for n in told)
    # The record now belongs to Jiangshan: its officer sees it, Longyou's no longer does
    assert api(jiangshan).get(f"/api/registry/talents/{talent.pk}").status_code == 200
    assert api(longyou_officer).get(f"/api/registry/talents/{talent.pk}").status_code == 404


def test_a_retried_move_with_the_same_key_moves_once(world):
    city = world.users["city_org_dept"]

    first = transfer(city, world.talent_b, key="move-1")
    again = transfer(city, world.talent_b, key="move-1")

    assert first.status_code == again.status_code == 200
    assert AuditEntry.objects.filter(action="talent.transfer").count() == 1


@pytest.mark.parametrize(
    ("region", "reason", "field"),
    [("330825", "调动", "region"), ("999999", "调动", "region"), ("330881", "  ", "reason")],
)
def test_a_move_needs_another_known_region_and_a_reason(world, region, reason, field):
    response = transfer(world.users["city_org_dept"], world.talent_b, region, reason)

    assert response.status_code == 422
    assert [p["field"] for p in response.json()["details"]] == [field]
    world.talent_b.refresh_from_db()
    assert world.talent_b.region == world.county_b
    assert not AuditEntry.objects.filter(action="talent.transfer").exists()


@pytest.mark.parametrize(
    ("role", "talent_key", "status"),
    [
        ("county_org_dept", "talent_a2", 403),  # its own county's talent: the city's right
        ("county_org_dept", "talent_b", 404),  # another county's: not admitted to exist
        ("department", "talent_a2", 403),
        ("enterprise", "talent_a", 403),
        ("talent", "talent_a", 403),
        ("reviewer", "talent_a", 404),
    ],
)
def test_only_the_city_may_move_a_talent(world, role, talent_key, status):
    talent = getattr(world, talent_key)
    before = talent.region_id

    target = "330881" if talent.region_id == world.county_b.pk else "330825"

    response = transfer(world.users[role], talent, target)
    page = ui(world.users[role]).get(reverse("registry:talent_transfer", args=[talent.pk]))

    assert response.status_code == page.status_code == status
    assert response.json()["code"] == ("permission_denied" if status == 403 else "not_found")
    talent.refresh_from_db()
    assert talent.region_id == before
    assert not AuditEntry.objects.filter(action="talent.transfer").exists()


def test_the_city_moves_a_talent_through_the_page(world):
    client = ui(world.users["city_org_dept"])
    url = reverse("registry:talent_transfer", args=[world.talent_b.pk])
    detail = client.get(reverse("registry:talent_detail", args=[world.talent_b.pk])).content.decode()
    assert url in detail

    form = client.get(url)
    response = client.post(url, {"region": "330881", "reason": "调入江山工作"})

    assert form.status_code == 200 and 'value="330825"' not in form.content.decode()  # not where it is
    assert response.status_code == 302
    world.talent_b.refresh_from_db()
    assert world.talent_b.region == world.county_a
    county_detail = ui(world.users["county_org_dept"]).get(
        reverse("registry:talent_detail", args=[world.talent_a.pk])
    )
    assert reverse("registry:talent_transfer", args=[world.talent_a.pk]) not in county_detail.content.decode()


def test_a_moving_talent_is_registered_through_the_city_then_updated_by_the_new_county(world):
    county, foreign = world.users["county_org_dept"], id_number_of(world.talent_b)
    refused = post_json(api(county), "/api/registry/talents/", api_payload(foreign) | {"name": "龙游丙"})
    assert refused.status_code == 422

    assert transfer(world.users["city_org_dept"], world.talent_b).status_code == 200
    updated = post_json(api(county), "/api/registry/talents/", api_payload(foreign) | {"name": "龙游丙"})

    assert updated.status_code == 200 and updated.json()["id"] == world.talent_b.pk


# -- policies: an unknown code and another county's answer alike ---------------------------------------------


@pytest.fixture
def longyou_policy(world):
    return Policy.objects.create(
        code="ly-talent-housing", name="龙游人才安居补贴", region=world.county_b, kind="subsidy"
    )


def item_body(policy: str) -> dict:
    return {
        "region": "330881",
        "code": "js-new-item",
        "name": "江山新事项",
        "outcome": "payment",
        "policy": policy,
        "steps": [],
    }


def test_an_unknown_and_another_countys_policy_code_are_refused_alike(world, longyou_policy):
    client = api(world.users["county_org_dept"])
    answers = []
    for code in (longyou_policy.code, "no-such-policy-xx"):
        response = post_json(client, "/api/services/items", item_body(code))
        answers.append((response.status_code, response.content.decode().replace(code, "<code>")))

    assert answers[0] == answers[1]
    assert answers[0][0] == 422 and "龙游" not in answers[0][1]


def main_of(response) -> str:
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")]


def test_an_unknown_and_another_countys_policy_are_the_same_404(world, longyou_policy):
    unknown = Policy.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    client, page = api(world.users["county_org_dept"]), ui(world.users["county_org_dept"])
    for suffix in ("", "/versions", "/entitlements"):
        foreign = client.get(f"/api/policies/{longyou_policy.pk}{suffix}")
        missing = client.get(f"/api/policies/{unknown}{suffix}")
        assert foreign.status_code == missing.status_code == 404, suffix
        assert foreign.json() == missing.json(), suffix
    foreign_page = page.get(reverse("policies:policy_detail", args=[longyou_policy.pk]))
    missing_page = page.get(reverse("policies:policy_detail", args=[unknown]))
    assert foreign_page.status_code == missing_page.status_code == 404
    assert main_of(foreign_page) == main_of(missing_page)  # the rest holds a fresh CSRF token and the path
