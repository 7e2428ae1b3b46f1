"""The permission matrix: every role against every registry list, detail, search, export, count and API.

What each role may see is written out below by hand from the rules of the issue, not computed by the code
under test. Each (role, endpoint) pair is its own test case; each asserts both what is shown and what is
refused: out-of-scope objects are 404, and their names never appear in a page, a count, a search, an
export or an API response.
"""

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from rencai.accounts.models import ApiToken
from rencai.core import crypto
from rencai.core.models import AuditEntry
from rencai.registry.models import Academician, StationCooperation, TalentPlatform

ROLES = [
    "city_org_dept",
    "county_org_dept",
    "department",
    "enterprise",
    "talent",
    "reviewer",
    "provider",
    "superuser",
]
REGISTRIES = ["talents", "enterprises", "platforms", "academicians"]

ALL = {
    "talents": {"talent_a", "talent_a2", "talent_b"},
    "enterprises": {"enterprise_a", "enterprise_b"},
    "platforms": {"platform_a", "platform_b"},
    "academicians": {"academician_a", "academician_b"},
}
NOTHING = {registry: set() for registry in REGISTRIES}
JIANGSHAN = {
    "talents": {"talent_a", "talent_a2"},
    "enterprises": {"enterprise_a"},
    "platforms": {"platform_a"},
    "academicians": {"academician_a"},
}

# Who sees what. County A is Jiangshan (talent_a employed by enterprise_a and holding the talent account,
# talent_a2, platform_a hosted by enterprise_a, academician_a); county B is Longyou (the *_b objects).
VISIBLE = {
    "city_org_dept": ALL,  # the whole city
    "county_org_dept": JIANGSHAN,  # its county
    "department": JIANGSHAN,  # its region
    "enterprise": {  # itself, its employees and the platforms it hosts
        "talents": {"talent_a"},
        "enterprises": {"enterprise_a"},
        "platforms": {"platform_a"},
        "academicians": set(),
    },
    "talent": {"talents": {"talent_a"}, "enterprises": set(), "platforms": set(), "academicians": set()},
    "reviewer": NOTHING,
    "provider": NOTHING,
    "superuser": ALL,
}
# Names a role meets inside a record it may see although it may not open them: a talent's own record names
# their employer; a host enterprise's station lists the academician who works there.
ALSO_NAMED = {"talent": {"enterprise_a"}, "enterprise": {"academician_a"}}
EXPORTS = {"city_org_dept", "county_org_dept", "department", "enterprise", "superuser"}
# The home page tiles: active talents, enterprises, platforms in scope (a talent sees none: a link to their
# own record instead).
HOME_FIGURES = {
    "city_org_dept": {"talents": 3, "enterprises": 2, "platforms": 2},
    "county_org_dept": {"talents": 2, "enterprises": 1, "platforms": 1},
    "department": {"talents": 2, "enterprises": 1, "platforms": 1},
    "enterprise": {"talents": 1, "enterprises": 1, "platforms": 1},
    "talent": {},
    "reviewer": {},
    "provider": {},
    "superuser": {"talents": 3, "enterprises": 2, "platforms": 2},
}
# Revealing talent_a's / talent_b's full ID number: 200, 403 (in scope, no right) or 404 (out of scope).
REVEAL = {
    "city_org_dept": {"talent_a": 200, "talent_b": 200},
    "county_org_dept": {"talent_a": 200, "talent_b": 404},
    "department": {"talent_a": 403, "talent_b": 404},
    "enterprise": {"talent_a": 403, "talent_b": 404},
    "talent": {"talent_a": 200, "talent_b": 404},
    "reviewer": {"talent_a": 404, "talent_b": 404},
    "provider": {"talent_a": 404, "talent_b": 404},
    "superuser": {"talent_a": 200, "talent_b": 200},
}

UI_LIST = {registry: f"registry:{registry[:-1]}_list" for registry in REGISTRIES}
UI_DETAIL = {registry: f"registry:{registry[:-1]}_detail" for registry in REGISTRIES}
UI_EXPORT = {registry: f"registry:{registry[:-1]}_export" for registry in REGISTRIES}
ROW_ID = {registry: f"data-{registry[:-1]}-id" for registry in REGISTRIES}
API = "/api/registry"


def cases(*endpoints):
    return [pytest.param(role, endpoint, id=f"{role}-{endpoint}") for role in ROLES for endpoint in endpoints]


@pytest.fixture
def objects(world):
    """The world's objects by their key in the tables above, with names no other text contains."""
    TalentPlatform.objects.filter(pk=world.platform_a.pk).update(name="江山院士专家工作站")
    TalentPlatform.objects.filter(pk=world.platform_b.pk).update(name="龙游杭州人才飞地")
    academician_a = Academician.objects.create(
        name="徐甲院士", academy="cae", field="化工", affiliation="浙江大学", region=world.county_a
    )
    academician_b = Academician.objects.create(
        name="徐乙院士", academy="cas", field="造纸", affiliation="华南理工大学", region=world.county_b
    )
    platform_a = TalentPlatform.objects.get(pk=world.platform_a.pk)
    platform_b = TalentPlatform.objects.get(pk=world.platform_b.pk)
    # academician_a works at a station in each county: the Longyou one must stay hidden from Jiangshan
    for station, year in ((platform_a, 2016), (platform_b, 2019)):
        StationCooperation.objects.create(
            academician=academician_a, station=station, started_on=dt.date(year, 1, 1), team_size=4
        )
    return {
        "talent_a": world.talent_a,
        "talent_a2": world.talent_a2,
        "talent_b": world.talent_b,
        "enterprise_a": world.enterprise_a,
        "enterprise_b": world.enterprise_b,
        "platform_a": platform_a,
        "platform_b": platform_b,
        "academician_a": academician_a,
        "academician_b": academician_b,
    }


def visible_keys(role: str) -> set[str]:
    return set().union(*VISIBLE[role].values())


def forbidden_names(role: str, objects: dict) -> set[str]:
    allowed = visible_keys(role) | ALSO_NAMED.get(role, set())
    return {obj.name for key, obj in objects.items() if key not in allowed}


def assert_nothing_forbidden(role: str, objects: dict, text: str) -> None:
    leaked = {name for name in forbidden_names(role, objects) if name in text}
    assert not leaked, f"{role} was shown {leaked}"


def ui_client(world, role) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def api_client(world, role) -> Client:
    _token, key = ApiToken.issue(world.users[role])
    return Client(headers={"Authorization": f"Bearer {key}"})


def row_ids(html: str, registry: str) -> set[int]:
    return {int(pk) for pk in re.findall(rf'<tr {ROW_ID[registry]}="(\d+)"', html)}


def sheet_text(response) -> set[str]:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return {str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row}


def id_number_of(talent) -> str:
    return crypto.decrypt(talent.id_number_ciphertext)


# Lists, details, exports ---------------------------------------------------------------------


@pytest.mark.parametrize(("role", "registry"), cases(*REGISTRIES))
def test_ui_list_shows_exactly_the_roles_scope(world, objects, role, registry):
    expected = VISIBLE[role][registry]

    response = ui_client(world, role).get(reverse(UI_LIST[registry]))

    assert response.status_code == 200
    html = response.content.decode()
    assert row_ids(html, registry) == {objects[key].pk for key in expected}
    for key in ALL[registry]:
        assert (objects[key].name in html) == (key in expected), key
    total = re.search(r'data-total="(\d+)"', html)
    assert (int(total.group(1)) if total else 0) == len(expected)
    assert_nothing_forbidden(role, objects, html)


@pytest.mark.parametrize(("role", "registry"), cases(*REGISTRIES))
def test_ui_detail_opens_in_scope_and_is_404_out_of_scope(world, objects, role, registry):
    client = ui_client(world, role)
    for key in sorted(ALL[registry]):
        obj = objects[key]
        response = client.get(reverse(UI_DETAIL[registry], args=[obj.pk]))
        html = response.content.decode()
        if key in VISIBLE[role][registry]:
            assert response.status_code == 200, key
            assert obj.name in html
            assert_nothing_forbidden(role, objects, html)
        else:
            assert response.status_code == 404, key
            assert obj.name not in html


@pytest.mark.parametrize(("role", "registry"), cases(*REGISTRIES))
def test_export_holds_exactly_the_roles_scope_or_is_refused(world, objects, role, registry):
    response = ui_client(world, role).get(reverse(UI_EXPORT[registry]))

    if role not in EXPORTS:
        assert response.status_code == 403
        assert_nothing_forbidden(role, objects, response.content.decode())
        return
    assert response.status_code == 200
    cells = sheet_text(response)
    shown = {key for key in ALL[registry] if objects[key].name in cells}
    assert shown == VISIBLE[role][registry]
    assert_nothing_forbidden(role, objects, " ".join(cells))
    if registry == "talents":
        assert not {id_number_of(objects[key]) for key in ALL["talents"]} & cells


@pytest.mark.parametrize(("role", "registry"), cases(*REGISTRIES))
def test_api_list_holds_exactly_the_roles_scope(world, objects, role, registry):
    response = api_client(world, role).get(f"{API}/{registry}/", {"limit": 200})

    assert response.status_code == 200
    body = response.json()
    assert {item["id"] for item in body["items"]} == {objects[key].pk for key in VISIBLE[role][registry]}
    assert body["next_cursor"] is None
    assert_nothing_forbidden(role, objects, response.content.decode())


@pytest.mark.parametrize(("role", "registry"), cases(*REGISTRIES))
def test_api_detail_opens_in_scope_and_is_404_out_of_scope(world, objects, role, registry):
    client = api_client(world, role)
    for key in sorted(ALL[registry]):
        obj = objects[key]
        response = client.get(f"{API}/{registry}/{obj.pk}")
        if key in VISIBLE[role][registry]:
            assert response.status_code == 200, key
            assert response.json()["name"] == obj.name
            assert_nothing_forbidden(role, objects, response.content.decode())
        else:
            assert response.status_code == 404, key
            assert response.json()["code"] == "not_found" and obj.name not in response.content.decode()


# Searches and filters: the other county's talent is not found by name, by ID number or by filter ----


def _search(channel: str, client: Client, params: dict, objects: dict) -> str:
    """The text of what a search returned: the rows of the list page, the API items or the export's cells."""
    if channel == "ui":
        response = client.get(reverse("registry:talent_list"), params)
        assert response.status_code == 200
        html = response.content.decode()
        for value in params.values():  # the search box, and an empty list's message, echo the query
            html = html.replace(f'value="{value}"', "").replace(f"“{value}”", "")
        total = re.search(r'data-total="(\d+)"', html)
        ids = row_ids(html, "talents")
        assert (int(total.group(1)) if total else 0) == len(ids)
        return " ".join(objects[key].name for key in ALL["talents"] if objects[key].pk in ids) + html
    if channel == "api":
        response = client.get(f"{API}/talents/", params)
        assert response.status_code == 200
        return " ".join(item["name"] for item in response.json()["items"])
    response = client.get(reverse("registry:talent_export"), params)
    assert response.status_code == 200
    return " ".join(sheet_text(response))


@pytest.mark.parametrize(("role", "channel"), cases("ui", "api", "export"))
def test_talent_search_by_name_id_number_and_filters_finds_only_the_roles_scope(
    world, objects, role, channel
):
    client = api_client(world, role) if channel == "api" else ui_client(world, role)
    if channel == "export" and role not in EXPORTS:
        assert client.get(reverse("registry:talent_export"), {"q": "龙游丙"}).status_code == 403
        return
    visible = VISIBLE[role]["talents"]
    for key in sorted(ALL["talents"]):
        talent = objects[key]
        for query in (talent.name, id_number_of(talent), id_number_of(talent).lower()):
            found = _search(channel, client, {"q": query}, objects)
            assert (talent.name in found) == (key in visible), (key, "name" if query == talent.name else "id")
            assert_nothing_forbidden(role, objects, found)
    by_region = _search(channel, client, {"region": "330825"}, objects)
    by_employer = _search(channel, client, {"enterprise": objects["enterprise_b"].pk}, objects)
    assert ("龙游丙" in by_region) == ("talent_b" in visible)
    assert ("龙游丙" in by_employer) == ("talent_b" in visible)
    for text in (by_region, by_employer):
        assert_nothing_forbidden(role, objects, text)


@pytest.mark.parametrize(("role", "channel"), cases("ui", "api"))
def test_enterprise_search_by_credit_code_finds_only_the_roles_scope(world, objects, role, channel):
    client = api_client(world, role) if channel == "api" else ui_client(world, role)
    for key in sorted(ALL["enterprises"]):
        enterprise = objects[key]
        if channel == "ui":
            found = client.get(
                reverse("registry:enterprise_list"), {"q": enterprise.credit_code}
            ).content.decode()
        else:
            items = client.get(f"{API}/enterprises/", {"q": enterprise.credit_code}).json()["items"]
            found = " ".join(item["name"] for item in items)
        assert (enterprise.name in found) == (key in VISIBLE[role]["enterprises"]), key


# Counts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_home_page_counts_only_the_roles_scope(world, objects, role):
    response = ui_client(world, role).get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    figures = {name: int(n) for name, n in re.findall(r'data-figure="(\w+)">(\d+)<', html)}
    assert figures == HOME_FIGURES[role]
    assert_nothing_forbidden(role, objects, html)


# Personal data -------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "channel"), cases("ui", "api"))
def test_reveal_of_a_full_id_number_follows_right_and_scope(world, objects, role, channel):
    client = api_client(world, role) if channel == "api" else ui_client(world, role)
    for key, status in sorted(REVEAL[role].items()):
        talent = objects[key]
        if channel == "api":
            url = f"{API}/talents/{talent.pk}/reveal/id_number"
        else:
            url = reverse("registry:talent_reveal", args=[talent.pk, "id_number"])
        reveals_before = AuditEntry.objects.filter(action="pii.reveal").count()

        response = client.post(url)

        assert response.status_code == status, key
        shown = id_number_of(talent) in response.content.decode()
        assert shown == (status == 200), key
        reveals = AuditEntry.objects.filter(action="pii.reveal").count() - reveals_before
        assert reveals == (1 if status == 200 else 0), key


# The Django admin ----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "model"), cases("talent", "enterprise", "academician", "importbatch"))
def test_only_the_superuser_reaches_the_registry_admin(world, objects, role, model):
    response = ui_client(world, role).get(f"/admin/registry/{model}/")

    if role == "superuser":
        assert response.status_code == 200
        if model == "talent":
            html = response.content.decode()
            assert all(objects[key].name in html for key in ALL["talents"])
            assert not any(id_number_of(objects[key]) in html for key in ALL["talents"])
    else:
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# Nobody signed in ----------------------------------------------------------------------------


@pytest.mark.parametrize("registry", REGISTRIES)
def test_anonymous_visitor_is_sent_to_sign_in_and_the_api_answers_401(world, objects, registry):
    client = Client()
    detail_pk = objects[sorted(ALL[registry])[0]].pk
    for url in (
        reverse(UI_LIST[registry]),
        reverse(UI_DETAIL[registry], args=[detail_pk]),
        reverse(UI_EXPORT[registry]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    for url in (f"{API}/{registry}/", f"{API}/{registry}/{detail_pk}"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert_nothing_forbidden("reviewer", objects, response.content.decode())


# A talent's benefits and eligibility (policies:talent_benefits) ------------------------------------

# 200 for an officer who sees the talent; 403 for a role that sees the talent but not the policies (an
# enterprise and its employee); 302 to their own page for the talent; 404 out of scope.
BENEFITS = {
    "city_org_dept": {"talent_a": 200, "talent_a2": 200, "talent_b": 200},
    "county_org_dept": {"talent_a": 200, "talent_a2": 200, "talent_b": 404},
    "department": {"talent_a": 200, "talent_a2": 200, "talent_b": 404},
    "enterprise": {"talent_a": 403, "talent_a2": 404, "talent_b": 404},
    "talent": {"talent_a": 302, "talent_a2": 404, "talent_b": 404},
    "reviewer": {"talent_a": 404, "talent_a2": 404, "talent_b": 404},
    "provider": {"talent_a": 404, "talent_a2": 404, "talent_b": 404},
    "superuser": {"talent_a": 200, "talent_a2": 200, "talent_b": 200},
}


@pytest.mark.parametrize("role", ROLES)
def test_a_talents_benefits_page_opens_in_scope_only(world, objects, role):
    client = ui_client(world, role)
    for key, status in sorted(BENEFITS[role].items()):
        response = client.get(reverse("policies:talent_benefits", args=[objects[key].pk]))
        assert response.status_code == status, key
        if status != 200:
            assert objects[key].name not in response.content.decode(), key
