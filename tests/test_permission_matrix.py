"""The permission matrix: every role against every registry list, detail, search, export, count and API.

What each role may see is written out below by hand from the rules of the issue, not computed by the code
under test. Each (role, endpoint) pair is its own test case; each asserts both what is shown and what is
refused: out-of-scope objects are 404, and their names never appear in a page, a count, a search, an
export or an API response.
"""

import datetime as dt
import io
import json
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


# Achievements (成果) ----------------------------------------------------------------------------------

# Scoped by their region and their linked employer: achievement_a (Jiangshan, held by talent_a, linked to
# enterprise_a), achievement_b (Longyou, held by talent_b). A talent sees their own on their record's page
# (tests/registry/test_achievements.py), never in the list.
ACHIEVEMENTS = {
    "city_org_dept": {"achievement_a", "achievement_b"},
    "county_org_dept": {"achievement_a"},
    "department": {"achievement_a"},
    "enterprise": {"achievement_a"},
    "talent": set(),
    "reviewer": set(),
    "provider": set(),
    "superuser": {"achievement_a", "achievement_b"},
}
# The edit page: 200 in scope with the right to edit the registry, 403 in scope without it, 404 out of scope
ACHIEVEMENT_EDIT = {
    "city_org_dept": {"achievement_a": 200, "achievement_b": 200},
    "county_org_dept": {"achievement_a": 200, "achievement_b": 404},
    "department": {"achievement_a": 403, "achievement_b": 404},
    "enterprise": {"achievement_a": 403, "achievement_b": 404},
    "talent": {"achievement_a": 404, "achievement_b": 404},
    "reviewer": {"achievement_a": 404, "achievement_b": 404},
    "provider": {"achievement_a": 404, "achievement_b": 404},
    "superuser": {"achievement_a": 200, "achievement_b": 200},
}
ACHIEVEMENT_CREATORS = {"city_org_dept", "county_org_dept", "superuser"}


@pytest.fixture
def achievements(world):
    from tests import factories

    return {
        "achievement_a": factories.make_achievement(
            world.talent_a, title="江山甲的发明专利", reference="ZL-A", enterprise=world.enterprise_a
        ),
        "achievement_b": factories.make_achievement(
            world.talent_b, title="龙游丙的发明专利", reference="ZL-B"
        ),
    }


@pytest.mark.parametrize(("role", "channel"), cases("ui", "api"))
def test_achievement_lists_hold_exactly_the_roles_scope(world, objects, achievements, role, channel):
    expected = ACHIEVEMENTS[role]
    if channel == "ui":
        response = ui_client(world, role).get(reverse("registry:achievement_list"))
        text = response.content.decode()
        shown = {int(pk) for pk in re.findall(r'<tr data-achievement-id="(\d+)"', text)}
    else:
        response = api_client(world, role).get(f"{API}/achievements/", {"limit": 200})
        text = json.dumps(response.json(), ensure_ascii=False)
        shown = {item["id"] for item in response.json()["items"]}
    assert response.status_code == 200
    assert shown == {achievements[key].pk for key in expected}
    for key, achievement in achievements.items():
        assert (achievement.title in text) == (key in expected), key
    assert_nothing_forbidden(role, objects, text)


@pytest.mark.parametrize("role", ROLES)
def test_achievement_edit_page_and_api_detail_follow_right_and_scope(world, objects, achievements, role):
    ui, api = ui_client(world, role), api_client(world, role)
    for key, status in sorted(ACHIEVEMENT_EDIT[role].items()):
        achievement = achievements[key]
        response = ui.get(reverse("registry:achievement_edit", args=[achievement.pk]))
        assert response.status_code == status, key
        detail = api.get(f"{API}/achievements/{achievement.pk}")
        assert detail.status_code == (200 if key in ACHIEVEMENTS[role] else 404), key
        if status == 404:
            shown = response.content.decode() + json.dumps(detail.json(), ensure_ascii=False)
            assert achievement.title not in shown


@pytest.mark.parametrize("role", ROLES)
def test_only_org_officers_record_achievements_through_the_api(world, objects, role):
    payload = {
        "kind": "award",
        "title": "矩阵测试奖项",
        "achieved_on": "2022-01-01",
        "holders": [world.talent_a.pk],
    }

    response = api_client(world, role).post(
        f"{API}/achievements/", json.dumps(payload), content_type="application/json"
    )

    assert response.status_code == (201 if role in ACHIEVEMENT_CREATORS else 403)


# Evaluation (人才评价) -----------------------------------------------------------------------------------

# The evaluation world, on top of the registry's: schemes (city published, city CTO published, a city draft,
# a Jiangshan draft, a Longyou published), rounds (the city's recognition round, the city's CTO round,
# Longyou's round), cases (case_a: talent_a on a panel; case_a2: talent_a2 on public notice; case_b:
# talent_b on Longyou's notice; cto_a / cto_b: the CTO round's recognized cases, each appointed), experts
# (the reviewer's own in the city pool, one Jiangshan, one Longyou), panels (the reviewer holds an active
# seat on case_a's and a recused one on case_b's), objections (one on each notice) and appointments.
# Issue 14 point 9: an expert sees only assigned cases, an enterprise only its own, the public only the
# notice. Out of scope is 404 and leaks no name; a page the role has no right to is 403.
EVERY_SCHEME = {"scheme_city", "scheme_cto", "scheme_city_draft", "scheme_a_draft", "scheme_b"}
EVERY_ROUND = {"round_city", "round_cto", "round_b"}
EVERY_CASE = {"case_a", "case_a2", "case_b", "cto_a", "cto_b"}
EVERY_EXPERT = {"expert_city", "expert_a", "expert_b"}
# drafts only for the organization officers who manage their region; published schemes apply downward
SCHEMES_SEEN = {
    "city_org_dept": EVERY_SCHEME,
    "county_org_dept": {"scheme_city", "scheme_cto", "scheme_a_draft"},
    "department": {"scheme_city", "scheme_cto"},
    "enterprise": {"scheme_city", "scheme_cto"},
    "talent": {"scheme_city", "scheme_cto"},
    "reviewer": set(),
    "provider": None,  # None: the page is refused (403); the API answers an empty list
    "superuser": EVERY_SCHEME,
}
# the rounds of one's region, those holding a case one sees, and (applicants) those open where one lives
ROUNDS_SEEN = {
    "city_org_dept": EVERY_ROUND,
    "county_org_dept": {"round_city", "round_cto"},
    "department": {"round_city", "round_cto"},
    "enterprise": {"round_city", "round_cto"},
    "talent": {"round_city", "round_cto"},
    "reviewer": {"round_city"},
    "provider": None,
    "superuser": EVERY_ROUND,
}
CASES_SEEN = {
    "city_org_dept": EVERY_CASE,
    "county_org_dept": {"case_a", "case_a2", "cto_a"},  # its county's talents, in the city's rounds too
    "department": {"case_a", "case_a2", "cto_a"},  # browses its region's evaluations (no right to act)
    "enterprise": {"case_a", "cto_a"},  # its employees' cases
    "talent": {"case_a", "cto_a"},  # their own
    "reviewer": {"case_a"},  # the active seat only: the recused seat on case_b gives nothing
    "provider": set(),
    "superuser": EVERY_CASE,
}
EXPERTS_SEEN = {
    "city_org_dept": EVERY_EXPERT,
    "county_org_dept": {"expert_a"},
    "department": None,
    "enterprise": None,
    "talent": None,
    "reviewer": None,
    "provider": None,
    "superuser": EVERY_EXPERT,
}
REVIEWS_SEEN = {role: None for role in ROLES} | {"reviewer": {"case_a"}}
OBJECTIONS_SEEN = {role: None for role in ROLES} | {
    "city_org_dept": {"objection_a2", "objection_b"},
    "county_org_dept": {"objection_a2"},
    "superuser": {"objection_a2", "objection_b"},
}
APPOINTMENTS_SEEN = {
    "city_org_dept": {"appointment_a", "appointment_b"},
    "county_org_dept": {"appointment_a"},
    "department": {"appointment_a"},
    "enterprise": {"appointment_a"},
    "talent": {"appointment_a"},
    "reviewer": set(),
    "provider": None,
    "superuser": {"appointment_a", "appointment_b"},
}
# The panel page is for the round's organizers: case_a and case_b are the city's and Longyou's rounds'.
PANEL_PAGE = {
    "city_org_dept": {"case_a": 200, "case_b": 200},
    "county_org_dept": {"case_a": 403, "case_b": 404},
    "department": {"case_a": 403, "case_b": 404},
    "enterprise": {"case_a": 403, "case_b": 404},
    "talent": {"case_a": 403, "case_b": 404},
    "reviewer": {"case_a": 403, "case_b": 404},
    "provider": {"case_a": 404, "case_b": 404},
    "superuser": {"case_a": 200, "case_b": 200},
}
EVAL_API = "/api/evaluation"
SCORE_A2, SCORE_B = "81.37", "93.29"  # never on the public notice


@pytest.fixture
def evaluation(world, objects):
    from decimal import Decimal

    from django.utils import timezone

    from rencai.evaluation.choices import CaseState, Purpose, RoundState, SeatRole, SeatStatus
    from rencai.evaluation.models import Expert, Objection, Panel, PublicNotice, Seat
    from rencai.evaluation.services import cto
    from tests.evaluation.builders import make_case, make_round, make_scheme

    city, county_a, county_b = world.regions["330800"], world.county_a, world.county_b
    s = {
        "scheme_city": make_scheme(city, code="m-city", name="衢州市实绩认定方案"),
        "scheme_cto": make_scheme(
            city, code="m-cto", name="衢州市首席技术官方案", purpose=Purpose.CHIEF_TECH_OFFICER
        ),
        "scheme_city_draft": make_scheme(city, code="m-draft", name="衢州市年度考核方案草稿", publish=False),
        "scheme_a_draft": make_scheme(county_a, code="m-a", name="江山市自主评价方案草稿", publish=False),
        "scheme_b": make_scheme(county_b, code="m-b", name="龙游县实绩认定方案"),
    }
    s["round_city"] = make_round(s["scheme_city"], city, name="衢州市认定批次M")
    s["round_cto"] = make_round(s["scheme_cto"], city, name="衢州市首席技术官批次M", state=RoundState.CLOSED)
    s["round_b"] = make_round(s["scheme_b"], county_b, name="龙游县认定批次M")
    decided = {"state": CaseState.RECOGNIZED, "decided_at": timezone.now()}
    s["case_a"] = make_case(s["round_city"], world.talent_a, state=CaseState.PANEL)
    s["case_a2"] = make_case(
        s["round_city"],
        world.talent_a2,
        state=CaseState.NOTICE,
        result_tier="D",
        total_score=Decimal(SCORE_A2),
    )
    s["case_b"] = make_case(
        s["round_b"], world.talent_b, state=CaseState.NOTICE, result_tier="C", total_score=Decimal(SCORE_B)
    )
    s["cto_a"] = make_case(s["round_cto"], world.talent_a, enterprise=world.enterprise_a, **decided)
    s["cto_b"] = make_case(s["round_cto"], world.talent_b, enterprise=world.enterprise_b, **decided)
    s["expert_city"] = Expert.objects.create(
        name="评审专家王城",
        region=city,
        evaluator_kind="professional_body",
        employer_name="浙江大学",
        account=world.users["reviewer"],
    )
    s["expert_a"] = Expert.objects.create(
        name="江山专家周乙", region=county_a, evaluator_kind="market", employer_name="江山某研究院"
    )
    s["expert_b"] = Expert.objects.create(
        name="龙游专家吴丙", region=county_b, evaluator_kind="market", employer_name="龙游某研究院"
    )
    for case, status, state in (
        (s["case_a"], SeatStatus.ACTIVE, "scoring"),
        (s["case_b"], SeatStatus.RECUSED, "closed"),
    ):
        panel = Panel.objects.create(case=case, field=case.field, seed="matrix", size=5, state=state)
        Seat.objects.create(
            panel=panel, expert=s["expert_city"], position=1, role=SeatRole.MEMBER, status=status
        )
    for key, case, title, objector in (
        ("a2", s["case_a2"], "二〇二六年第一批人才认定结果公示", "异议人张某"),
        ("b", s["case_b"], "龙游县二〇二六年认定结果公示", "异议人李某"),
    ):
        notice = PublicNotice.objects.create(
            round=case.round, title=title, starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2026, 12, 7)
        )
        notice.cases.add(case)
        s[f"notice_{key}"] = notice
        s[f"objection_{key}"] = Objection.objects.create(
            notice=notice,
            case=case,
            point="achievement",
            objector_name=objector,
            objector_id_ciphertext="sealed",
            objector_id_index=f"index-{key}",
            objector_id_masked="330881********0020",
            phone_ciphertext="sealed",
            phone_masked="138****1234",
            statement="专利权属存疑",
            due_on=dt.date(2026, 12, 21),
        )
    city_officer = world.users["city_org_dept"]
    s["appointment_a"] = cto.appoint_from_case(actor=city_officer, case=s["cto_a"])
    s["appointment_b"] = cto.appoint_from_case(actor=city_officer, case=s["cto_b"])
    return s


def _name(evaluation, key) -> str:
    obj = evaluation[key]
    if key.startswith(("case_", "cto_")):
        return obj.talent.name
    if key.startswith("objection_"):
        return obj.objector_name
    if key.startswith("appointment_"):
        return obj.certificate_number
    return obj.name


def _ids(html: str, attribute: str) -> set[int]:
    return {int(pk) for pk in re.findall(rf'{attribute}="(\d+)"', html)}


def _keys(evaluation, keys) -> set[int]:
    return {evaluation[key].pk for key in keys}


def _unseen_talents(role: str, objects: dict) -> set[str]:
    """The talents none of whose cases the role sees: their names must appear on no evaluation page."""
    seen = {
        "case_a": "talent_a",
        "cto_a": "talent_a",
        "case_a2": "talent_a2",
        "case_b": "talent_b",
        "cto_b": "talent_b",
    }
    visible = {seen[key] for key in CASES_SEEN[role]}
    return {objects[key].name for key in ("talent_a", "talent_a2", "talent_b") if key not in visible}


def _assert_no_unseen_talent(role: str, objects: dict, text: str) -> None:
    leaked = {name for name in _unseen_talents(role, objects) if name in text}
    assert not leaked, f"{role} was shown {leaked}"


# (url name, the table of what each role sees, the row attribute, the keys the page may show)
EVAL_LISTS = {
    "schemes": ("evaluation:scheme_list", SCHEMES_SEEN, None, EVERY_SCHEME),
    "rounds": ("evaluation:index", ROUNDS_SEEN, "data-round", EVERY_ROUND),
    "experts": ("evaluation:expert_list", EXPERTS_SEEN, "data-expert", EVERY_EXPERT),
    # (the CTO cases share their talents' names with case_a and case_b: the ids tell them apart)
    "reviews": ("evaluation:review_list", REVIEWS_SEEN, "data-case", {"case_a", "case_a2", "case_b"}),
    "objections": (
        "evaluation:objection_list",
        OBJECTIONS_SEEN,
        "data-objection",
        {"objection_a2", "objection_b"},
    ),
    "cto": (
        "evaluation:cto_register",
        APPOINTMENTS_SEEN,
        "data-appointment",
        {"appointment_a", "appointment_b"},
    ),
}


@pytest.mark.parametrize(("role", "page"), cases(*EVAL_LISTS))
def test_evaluation_list_pages_show_exactly_the_roles_scope(world, objects, evaluation, role, page):
    url_name, table, attribute, every = EVAL_LISTS[page]
    expected = table[role]

    response = ui_client(world, role).get(reverse(url_name))

    html = response.content.decode()
    if expected is None:
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        if attribute is not None:
            assert _ids(html, attribute) == _keys(evaluation, expected)
    for key in every:
        # the objections list names the applicant, never the objector
        name = evaluation[key].case.talent.name if key.startswith("objection_") else _name(evaluation, key)
        assert (name in html) == (expected is not None and key in expected), key
    _assert_no_unseen_talent(role, objects, html)


@pytest.mark.parametrize("role", ROLES)
def test_round_and_case_pages_open_in_scope_and_are_404_out_of_scope(world, objects, evaluation, role):
    client = ui_client(world, role)
    for key in sorted(EVERY_ROUND):
        response = client.get(reverse("evaluation:round_detail", args=[evaluation[key].pk]))
        html = response.content.decode()
        if key in (ROUNDS_SEEN[role] or set()):
            assert response.status_code == 200, key
            in_round = {k for k in EVERY_CASE if evaluation[k].round_id == evaluation[key].pk}
            assert _ids(html, "data-case") == _keys(evaluation, in_round & CASES_SEEN[role]), key
        else:
            assert response.status_code == 404, key
            assert evaluation[key].name not in html
        _assert_no_unseen_talent(role, objects, html)
    for key in sorted(EVERY_CASE):
        response = client.get(reverse("evaluation:case_detail", args=[evaluation[key].pk]))
        html = response.content.decode()
        assert response.status_code == (200 if key in CASES_SEEN[role] else 404), key
        _assert_no_unseen_talent(role, objects, html)
        if key not in CASES_SEEN[role]:
            assert evaluation[key].talent.name not in html


@pytest.mark.parametrize("role", ROLES)
def test_scheme_expert_objection_and_certificate_pages_follow_scope(world, objects, evaluation, role):
    client = ui_client(world, role)
    pages = (
        ("evaluation:scheme_detail", EVERY_SCHEME, SCHEMES_SEEN),
        ("evaluation:expert_detail", EVERY_EXPERT, EXPERTS_SEEN),
        ("evaluation:objection_detail", {"objection_a2", "objection_b"}, OBJECTIONS_SEEN),
        ("evaluation:cto_certificate", {"appointment_a", "appointment_b"}, APPOINTMENTS_SEEN),
    )
    for url_name, keys, table in pages:
        for key in sorted(keys):
            response = client.get(reverse(url_name, args=[evaluation[key].pk]))
            html = response.content.decode()
            if key in (table[role] or set()):
                assert response.status_code == 200, key
                assert _name(evaluation, key) in html, key
            else:
                assert response.status_code == 404, key
                assert _name(evaluation, key) not in html, key
            _assert_no_unseen_talent(role, objects, html)


@pytest.mark.parametrize("role", ROLES)
def test_the_panel_page_is_for_the_rounds_organizers(world, objects, evaluation, role):
    client = ui_client(world, role)
    for key, status in sorted(PANEL_PAGE[role].items()):
        response = client.get(reverse("evaluation:panel", args=[evaluation[key].pk]))
        assert response.status_code == status, key
        if status == 404:
            assert evaluation[key].talent.name not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_only_the_assigned_expert_opens_the_review_page(world, objects, evaluation, role):
    client = ui_client(world, role)
    for key in ("case_a", "case_b"):
        response = client.get(reverse("evaluation:review_case", args=[evaluation[key].pk]))
        # nobody but the seated expert learns that the case is on a panel at all
        expected = 200 if key in (REVIEWS_SEEN[role] or set()) else 404
        assert response.status_code == expected, key
        if expected != 200:
            assert evaluation[key].talent.name not in response.content.decode()


EVAL_API_LISTS = {
    "schemes": ("/schemes", SCHEMES_SEEN),
    "rounds": ("/rounds", ROUNDS_SEEN),
    "cases": ("/cases", CASES_SEEN),
    "reviews": ("/reviews", REVIEWS_SEEN),
    "objections": ("/objections", OBJECTIONS_SEEN),
    "cto": ("/cto/appointments", APPOINTMENTS_SEEN),
}


@pytest.mark.parametrize(("role", "endpoint"), cases(*EVAL_API_LISTS))
def test_evaluation_api_lists_hold_exactly_the_roles_scope(world, objects, evaluation, role, endpoint):
    path, table = EVAL_API_LISTS[endpoint]

    response = api_client(world, role).get(f"{EVAL_API}{path}")

    assert response.status_code == 200
    assert {item["id"] for item in response.json()} == _keys(evaluation, table[role] or set())
    _assert_no_unseen_talent(role, objects, json.dumps(response.json(), ensure_ascii=False))


@pytest.mark.parametrize("role", ROLES)
def test_evaluation_api_details_are_404_out_of_scope(world, objects, evaluation, role):
    client = api_client(world, role)
    for key in sorted(EVERY_CASE):
        response = client.get(f"{EVAL_API}/cases/{evaluation[key].pk}")
        assert response.status_code == (200 if key in CASES_SEEN[role] else 404), key
        if response.status_code == 404:
            assert evaluation[key].talent.name not in json.dumps(response.json(), ensure_ascii=False)
    for key in sorted(EVERY_SCHEME):
        response = client.get(f"{EVAL_API}/schemes/{evaluation[key].pk}")
        assert response.status_code == (200 if key in (SCHEMES_SEEN[role] or set()) else 404), key
    for key in ("appointment_a", "appointment_b"):
        response = client.get(f"{EVAL_API}/cto/appointments/{evaluation[key].pk}")
        assert response.status_code == (200 if key in (APPOINTMENTS_SEEN[role] or set()) else 404), key


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_everyone_reads_the_public_notice_names_employers_and_results_only(world, objects, evaluation, role):
    client = Client() if role == "anonymous" else ui_client(world, role)
    for key, talent, employer in (
        ("a2", world.talent_a2, "—"),
        ("b", world.talent_b, world.enterprise_b.name),
    ):
        notice = evaluation[f"notice_{key}"]
        page = client.get(reverse("notice:detail", args=[notice.pk]))
        api = Client().get(f"{EVAL_API}/notices/{notice.pk}")
        for response in (page, api):
            text = (
                response.content.decode() if response is page else json.dumps(api.json(), ensure_ascii=False)
            )
            assert response.status_code == 200
            assert talent.name in text, response
            if response is page:
                assert employer in text
            # nothing but name, employer and result: no score, ID number, phone or objector
            assert SCORE_A2 not in text and SCORE_B not in text
            assert talent.id_number_masked not in text and id_number_of(talent) not in text
            assert "138****1234" not in text and evaluation[f"objection_{key}"].objector_name not in text
        assert set(api.json()["lines"][0]) == {"case_id", "name", "employer", "tier", "honour"}
    listing = client.get(reverse("notice:list")).content.decode()
    assert evaluation["notice_a2"].title in listing and evaluation["notice_b"].title in listing


@pytest.mark.parametrize("name", ["evaluation:index", "evaluation:scheme_list", "evaluation:cto_register"])
def test_anonymous_visitors_are_sent_to_sign_in_for_every_evaluation_page_but_the_notice(
    world, evaluation, name
):
    response = Client().get(reverse(name))

    assert response.status_code == 302 and "login" in response["Location"]
    for path in ("/cases", "/rounds", "/schemes", "/cto/appointments"):
        assert Client().get(f"{EVAL_API}{path}").status_code == 401


# Recruitment (招才引智) ---------------------------------------------------------------------------
# Two more roles: agent_a, an intermediary of agency A (Jiangshan) who also operates Jiangshan's station,
# and agent_b, of agency B (Longyou). Demands: demand_a / draft_a of enterprise_a (Jiangshan), demand_b /
# draft_b (submitted) of enterprise_b (Longyou). Referrals: referral_a (agency A → demand_a), referral_ab
# (agency B → demand_a), referral_b (agency B → demand_b), each of a candidate with a name no other text
# holds.
REC_ROLES = [*ROLES, "agent_a", "agent_b"]
EVERY_DEMAND = {"demand_a", "draft_a", "demand_b", "draft_b"}
EVERY_REFERRAL = {"referral_a", "referral_ab", "referral_b"}
JIANGSHAN_REC = {
    "demands": {"demand_a", "draft_a"},
    "referrals": {"referral_a", "referral_ab"},
    "stations": {"station_a"},
    "events": {"event_a"},
    "leads": {"lead_a"},
    "agencies": {"agency_a"},
}
ALL_REC = {
    "demands": EVERY_DEMAND,
    "referrals": EVERY_REFERRAL,
    "stations": {"station_a", "station_b"},
    "events": {"event_a", "event_b"},
    "leads": {"lead_a", "lead_b"},
    "agencies": {"agency_a", "agency_b"},
}
NOTHING_REC = {key: set() for key in ALL_REC}
REC_VISIBLE = {
    "city_org_dept": ALL_REC,  # the whole city
    "county_org_dept": JIANGSHAN_REC,  # its county
    "department": JIANGSHAN_REC | {"agencies": set()},  # its region; agencies are managed by the org depts
    "enterprise": {  # its own demands, the referrals to them, the events carrying them, its leads
        **NOTHING_REC,
        "demands": {"demand_a", "draft_a"},
        "referrals": {"referral_a", "referral_ab"},
        "events": {"event_a"},
        "leads": {"lead_a"},
    },
    "talent": NOTHING_REC,
    "reviewer": NOTHING_REC,
    "provider": NOTHING_REC,
    "superuser": ALL_REC,
    # an agency's user: its own referrals only; the station it operates, its events and leads
    "agent_a": {
        **NOTHING_REC,
        "referrals": {"referral_a"},
        "stations": {"station_a"},
        "events": {"event_a"},
        "leads": {"lead_a"},
    },
    "agent_b": {**NOTHING_REC, "referrals": {"referral_ab", "referral_b"}},
}
REC_LISTS = {  # list page, row attribute, the objects' group
    "demands": ("recruitment:demand_list", "data-demand"),
    "referrals": ("recruitment:referral_list", "data-referral"),
    "stations": ("recruitment:station_list", "data-station"),
    "events": ("recruitment:event_list", "data-event"),
    "leads": ("recruitment:lead_list", "data-lead"),
    "agencies": ("recruitment:agency_list", "data-agency"),
}
REC_DETAILS = {
    "demands": "recruitment:demand_detail",
    "referrals": "recruitment:referral_detail",
    "stations": "recruitment:station_detail",
    "events": "recruitment:event_detail",
    "agencies": "recruitment:agency_detail",
}
REC_API = "/api/recruitment"


@pytest.fixture
def recruitment(world):
    from tests.recruitment.builders import (
        make_agency,
        make_agency_user,
        make_candidate,
        make_demand,
        make_event,
        make_lead,
        make_referral,
        make_station,
    )

    a, b = world.county_a, world.county_b
    r: dict = {
        "demand_a": make_demand(world.enterprise_a, title="江山氟硅研发岗M"),
        "draft_a": make_demand(world.enterprise_a, state="draft", title="江山草稿岗位M"),
        "demand_b": make_demand(world.enterprise_b, title="龙游造纸研发岗M"),
        "draft_b": make_demand(world.enterprise_b, state="submitted", title="龙游待审岗位M"),
        "agency_a": make_agency(a, name="江山猎头甲M"),
        "agency_b": make_agency(b, name="龙游猎头乙M"),
    }
    agents = {
        "agent_a": make_agency_user(r["agency_a"], username="agent_a"),
        "agent_b": make_agency_user(r["agency_b"], username="agent_b"),
    }
    for key, agency, demand, name in (
        ("referral_a", "agency_a", "demand_a", "候选人甲M"),
        ("referral_ab", "agency_b", "demand_a", "候选人乙M"),
        ("referral_b", "agency_b", "demand_b", "候选人丙M"),
    ):
        r[key] = make_referral(r[agency], r[demand], make_candidate(r[demand].region, name=name))
    r["station_a"] = make_station(a, name="江山驻杭州工作站M", operators=[agents["agent_a"]])
    r["station_b"] = make_station(b, name="龙游驻上海工作站M", city="上海")
    # an event carries its demands' enterprises (as `event_create` does)
    for key, region, demand, name in (
        ("a", a, "demand_a", "江山杭州推介会M"),
        ("b", b, "demand_b", "龙游上海推介会M"),
    ):
        r[f"event_{key}"] = make_event(
            region,
            station=r[f"station_{key}"],
            demands=[r[demand]],
            enterprises=[r[demand].enterprise],
            name=name,
        )
    r["lead_a"] = make_lead(make_candidate(a, name="线索人甲M"), world.enterprise_a, event=r["event_a"])
    r["lead_b"] = make_lead(make_candidate(b, name="线索人乙M"), world.enterprise_b, event=r["event_b"])
    return r, agents


def _rec_user(world, agents, role):
    return agents[role] if role in agents else world.users[role]


def _rec_client(world, agents, role) -> Client:
    client = Client()
    client.force_login(_rec_user(world, agents, role))
    return client


def _rec_name(r: dict, key: str) -> str:
    obj = r[key]
    if key.startswith("referral_"):
        return obj.candidate.name
    if key.startswith("lead_"):
        return obj.candidate.name
    return obj.title if key.startswith(("demand_", "draft_")) else obj.name


def _assert_no_unseen(r: dict, role: str, text: str) -> None:
    seen = set().union(*REC_VISIBLE[role].values())
    # a referral the role sees names the agency that made it
    seen |= {f"agency_{key.split('_')[1][-1]}" for key in REC_VISIBLE[role]["referrals"]}
    # an event (or its lead) the role sees names the station that runs it
    seen |= {f"station_{key[-1]}" for key in REC_VISIBLE[role]["events"] | REC_VISIBLE[role]["leads"]}
    # a published demand is public: its title may appear anywhere (an event carries it)
    public = {"demand_a", "demand_b"}
    leaked = {key for key in r if key not in seen | public and _rec_name(r, key) in text}
    assert not leaked, f"{role} was shown {leaked}"


@pytest.mark.parametrize("role", REC_ROLES)
def test_recruitment_lists_show_exactly_the_roles_scope(world, recruitment, role):
    r, agents = recruitment
    client = _rec_client(world, agents, role)
    for group, (url_name, attribute) in REC_LISTS.items():
        expected = REC_VISIBLE[role][group]

        response = client.get(reverse(url_name))

        html = response.content.decode()
        assert response.status_code in ((200,) if expected else (200, 403)), group
        assert _ids(html, attribute) == {r[key].pk for key in expected}, group
        _assert_no_unseen(r, role, html)


@pytest.mark.parametrize("role", REC_ROLES)
def test_recruitment_details_open_in_scope_and_are_404_out_of_scope(world, recruitment, role):
    r, agents = recruitment
    client = _rec_client(world, agents, role)
    for group in REC_DETAILS:
        _details_follow_scope(r, client, role, group)


def _details_follow_scope(r: dict, client: Client, role: str, group: str) -> None:
    every = {
        key
        for key in r
        if key.split("_")[0] == group[:-1] or (group == "demands" and key.startswith("draft_"))
    }
    for key in sorted(every):
        response = client.get(reverse(REC_DETAILS[group], args=[r[key].pk]))
        html = response.content.decode()
        if key in REC_VISIBLE[role][group]:
            assert response.status_code == 200, key
            assert _rec_name(r, key) in html, key
        else:
            # agencies are pages of the org departments: others are refused the page itself (403)
            assert response.status_code in ((403, 404) if group == "agencies" else (404,)), key
            assert _rec_name(r, key) not in html, key
        _assert_no_unseen(r, role, html)


@pytest.mark.parametrize("role", [*REC_ROLES, "anonymous"])
def test_everyone_finds_published_demands_only_and_a_draft_is_404(world, recruitment, role):
    r, agents = recruitment
    client = Client() if role == "anonymous" else _rec_client(world, agents, role)

    page = client.get(reverse("recruitment:demand_search")).content.decode()
    api = Client().get(f"{REC_API}/demands")

    assert _ids(page, "data-demand") == {r["demand_a"].pk, r["demand_b"].pk}
    assert {item["id"] for item in api.json()} == {r["demand_a"].pk, r["demand_b"].pk}
    for key in ("draft_a", "draft_b"):
        assert _rec_name(r, key) not in page
        assert client.get(reverse("recruitment:demand_public", args=[r[key].pk])).status_code == 404
        assert Client().get(f"{REC_API}/demands/{r[key].pk}").status_code == 404
    for key in EVERY_REFERRAL:  # no candidate of a referral is named on the public pages
        assert _rec_name(r, key) not in page


@pytest.mark.parametrize("role", ROLES)
def test_recruitment_api_lists_hold_exactly_the_roles_scope(world, recruitment, role):
    r, _agents = recruitment
    client = api_client(world, role)
    for path, group in (
        ("/demands/mine", "demands"),
        ("/referrals", "referrals"),
        ("/stations", "stations"),
        ("/events", "events"),
        ("/leads", "leads"),
    ):
        response = client.get(f"{REC_API}{path}")
        expected = {r[key].pk for key in REC_VISIBLE[role][group]}
        if response.status_code == 403:
            assert not expected, path
            continue
        assert response.status_code == 200, path
        assert {item["id"] for item in response.json()} == expected, path
        _assert_no_unseen(r, role, json.dumps(response.json(), ensure_ascii=False))
    for key in sorted(EVERY_REFERRAL):
        response = client.get(f"{REC_API}/referrals/{r[key].pk}")
        assert response.status_code in ((200,) if key in REC_VISIBLE[role]["referrals"] else (403, 404)), key
        if response.status_code != 200:
            assert _rec_name(r, key) not in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in_for_recruitment_pages_but_the_public_search(
    world, recruitment
):
    for name in ("recruitment:demand_list", "recruitment:referral_list", "recruitment:lead_list"):
        response = Client().get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]
    for path in ("/referrals", "/demands/mine", "/leads"):
        assert Client().get(f"{REC_API}{path}").status_code == 401
    assert Client().get(reverse("recruitment:demand_search")).status_code == 200


# Placements and rewards: placement_a (talent_a at enterprise_a, Jiangshan) rewarded to agency A
# (reward_a) and to enterprise_a as a platform enterprise (reward_pa); placement_b (talent_b at
# enterprise_b, Longyou) rewarded to agency B (reward_b).
PLACEMENTS_SEEN = {
    "city_org_dept": {"placement_a", "placement_b"},
    "county_org_dept": {"placement_a"},
    "department": {"placement_a"},
    "enterprise": {"placement_a"},  # its own arrivals
    "talent": set(),  # a talent has no recruitment pages (BROWSE_RECRUITMENT)
    "reviewer": set(),
    "provider": set(),
    "superuser": {"placement_a", "placement_b"},
    "agent_a": set(),
    "agent_b": set(),
}
REWARDS_SEEN = {
    "city_org_dept": {"reward_a", "reward_pa", "reward_b"},
    "county_org_dept": {"reward_a", "reward_pa"},
    "department": {"reward_a", "reward_pa"},
    "enterprise": {"reward_pa"},  # its own reward, not the agency's fee for its employee
    "talent": set(),
    "reviewer": set(),
    "provider": set(),
    "superuser": {"reward_a", "reward_pa", "reward_b"},
    "agent_a": {"reward_a"},  # an agency its own rewards
    "agent_b": {"reward_b"},
}


@pytest.fixture
def rewarded(world, recruitment):
    import datetime as dt
    from decimal import Decimal

    from rencai.policies.models import Policy
    from rencai.recruitment.models import Reward, RewardScheme
    from tests.recruitment.builders import make_placement

    r, _agents = recruitment
    city = world.regions["330800"]
    policy = Policy.objects.create(
        code="m-fund", name="引才资金M", region=city, kind="reward", budget_total=Decimal(10**7)
    )
    schemes = {
        purpose: RewardScheme.objects.create(
            code=f"m-{purpose}",
            name=f"奖励方案{purpose}",
            purpose=purpose,
            region=city,
            policy=policy,
            effective_from=dt.date(2026, 1, 1),
            amounts={"": "10000", "C": "50000"},
        )
        for purpose in ("agency_placement", "platform_enterprise")
    }
    p = {
        "placement_a": make_placement(world.talent_a, world.enterprise_a),
        "placement_b": make_placement(world.talent_b, world.enterprise_b),
    }
    for key, placement, purpose, beneficiary in (
        ("reward_a", "placement_a", "agency_placement", {"agency": r["agency_a"]}),
        ("reward_pa", "placement_a", "platform_enterprise", {"enterprise": world.enterprise_a}),
        ("reward_b", "placement_b", "agency_placement", {"agency": r["agency_b"]}),
    ):
        p[key] = Reward.objects.create(
            scheme=schemes[purpose],
            placement=p[placement],
            purpose=purpose,
            year=2026,
            amount=Decimal("10000"),
            reservation_reference=f"m-{key}",
            **beneficiary,
        )
    return p


def _items(response) -> list:
    body = response.json()
    return body["items"] if isinstance(body, dict) else body


@pytest.mark.parametrize("role", REC_ROLES)
def test_placements_and_rewards_pages_and_api_follow_scope(world, recruitment, rewarded, role):
    _r, agents = recruitment
    client = _rec_client(world, agents, role)
    user = _rec_user(world, agents, role)
    talent_names = {"placement_a": world.talent_a.name, "placement_b": world.talent_b.name}
    seen_talents = {talent_names[key] for key in PLACEMENTS_SEEN[role]} | {
        rewarded[key].placement.talent.name for key in REWARDS_SEEN[role]
    }
    for url_name, attribute, table in (
        ("recruitment:placement_list", "data-placement", PLACEMENTS_SEEN),
        ("recruitment:reward_list", "data-reward", REWARDS_SEEN),
    ):
        response = client.get(reverse(url_name))
        html = response.content.decode()
        assert response.status_code in ((200,) if table[role] else (200, 403)), url_name
        assert _ids(html, attribute) == {rewarded[key].pk for key in table[role]}, url_name
        for name in set(talent_names.values()) - seen_talents:
            assert name not in html, (url_name, name)
    for key in ("reward_a", "reward_pa", "reward_b"):
        response = client.get(reverse("recruitment:reward_detail", args=[rewarded[key].pk]))
        from rencai.core.access import Action, may

        refused = (404,) if may(user, Action.BROWSE_RECRUITMENT) else (403, 404)
        assert response.status_code in ((200,) if key in REWARDS_SEEN[role] else refused), key
        if response.status_code != 200:
            assert rewarded[key].placement.talent.name not in response.content.decode(), key
    if user.role == "intermediary":
        return  # agencies work in the pages; their logins hold no API token
    api = api_client(world, role)
    for path, table in (("/placements", PLACEMENTS_SEEN), ("/rewards", REWARDS_SEEN)):
        response = api.get(f"{REC_API}{path}")
        if response.status_code == 403:
            assert not table[role], path
            continue
        assert {item["id"] for item in _items(response)} == {rewarded[key].pk for key in table[role]}, path
    for key in ("reward_a", "reward_pa", "reward_b"):
        response = api.get(f"{REC_API}/rewards/{rewarded[key].pk}")
        assert response.status_code in ((200,) if key in REWARDS_SEEN[role] else (403, 404)), key


# -- coordination: target sheets and circulars (目标责任制考核) ----------------------------------------------
# Sheets of the city itself, of Jiangshan (county A), of Longyou (county B) and of Jiangshan's HRSS bureau
# (the world's department). The city sees all; a county its own region's sheets (its own and its
# departments'); a department officer only their department's; the others have no coordination pages.
TARGET_SEEN = {
    "city_org_dept": {"city", "county_a", "county_b", "department"},
    "county_org_dept": {"county_a", "department"},
    "department": {"department"},
    "enterprise": set(),
    "talent": set(),
    "reviewer": set(),
    "provider": set(),
    "superuser": {"city", "county_a", "county_b", "department"},
}
# the circular is the city's and applies downward: every officer reads the published ranking
CIRCULAR_SEEN = {"city_org_dept", "county_org_dept", "department", "superuser"}


@pytest.fixture
def target_sheets(world):
    from rencai.coordination.models import Circular, TargetSheet

    department = world.users["department"].department
    sheets = {
        "city": TargetSheet.objects.create(year=2025, region=world.regions["330800"]),
        "county_a": TargetSheet.objects.create(year=2025, region=world.county_a),
        "county_b": TargetSheet.objects.create(year=2025, region=world.county_b),
        "department": TargetSheet.objects.create(year=2025, region=department.region, department=department),
    }
    circular = Circular.objects.create(year=2024, region=world.regions["330800"], title="2024年度考核通报")
    return sheets, circular


@pytest.mark.parametrize("role", ROLES)
def test_target_sheets_pages_and_api_follow_scope(world, target_sheets, role):
    sheets, circular = target_sheets
    client, api = ui_client(world, role), api_client(world, role)
    expected = {sheets[key].pk for key in TARGET_SEEN[role]}

    page = client.get(reverse("coordination:target_index") + "?year=2025")
    listed = api.get("/api/coordination/targets")

    html = page.content.decode()
    assert page.status_code == (200 if expected else 403)
    assert {int(pk) for pk in re.findall(r'<tr data-sheet="(\d+)"', html)} == expected
    if "county_b" not in TARGET_SEEN[role]:
        assert "龙游县" not in html
    assert listed.status_code == (200 if expected else 403)
    if expected:
        assert {item["id"] for item in listed.json()["items"]} == expected
    for key, sheet in sheets.items():
        detail = client.get(reverse("coordination:target_sheet", args=[sheet.pk]))
        by_api = api.get(f"/api/coordination/targets/{sheet.pk}")
        if key in TARGET_SEEN[role]:
            assert detail.status_code == 200 and by_api.status_code == 200, key
        else:
            assert detail.status_code in ((404,) if expected else (403, 404)), key
            assert by_api.status_code in ((404,) if expected else (403, 404)), key
            if key == "county_b":
                assert "龙游县" not in detail.content.decode() + by_api.content.decode()
    circular_page = client.get(reverse("coordination:target_circular", args=[circular.pk]))
    assert circular_page.status_code in ((200,) if role in CIRCULAR_SEEN else (403, 404))
    assert api.get("/api/coordination/circulars").status_code == (200 if role in CIRCULAR_SEEN else 403)
    leaders = client.get(reverse("coordination:target_leaders"))
    assert leaders.status_code == (200 if role in CIRCULAR_SEEN else 403)


def test_anonymous_visitors_are_sent_to_sign_in_for_target_pages(world, target_sheets):
    sheets, circular = target_sheets
    for url in (
        reverse("coordination:target_index"),
        reverse("coordination:target_sheet", args=[sheets["county_a"].pk]),
        reverse("coordination:target_circular", args=[circular.pk]),
    ):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert Client().get("/api/coordination/targets").status_code == 401


# Work lists and first secretaries' projects (职责清单与工作台账, 一把手项目) ---------------------------
# list_a: Jiangshan's human-resources bureau (the department user's own), list_a2: Jiangshan's education
# bureau, list_b: a Longyou bureau; one work item on each; project_a (Jiangshan) and project_b (Longyou).
# The city sees all, a county its own, a department its own list only (and no project); the others are
# refused the pages (403) and find no row (404).
WORKLIST_SEEN = {
    "city_org_dept": {"list_a", "list_a2", "list_b", "project_a", "project_b"},
    "county_org_dept": {"list_a", "list_a2", "project_a"},
    "department": {"list_a"},
    "enterprise": set(),
    "talent": set(),
    "reviewer": set(),
    "provider": set(),
    "superuser": {"list_a", "list_a2", "list_b", "project_a", "project_b"},
}
WORKLIST_READERS = {"city_org_dept", "county_org_dept", "department", "superuser"}


def _readable_text(response) -> str:
    """A page's HTML, or an API answer's JSON with its Chinese unescaped (so a leaked name is found)."""
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode()


WORKLIST_NAMES = {
    "list_a": "江山人社矩阵事项",
    "list_a2": "江山教育矩阵事项",
    "list_b": "龙游科技矩阵事项",
    "project_a": "江山书记矩阵项目",
    "project_b": "龙游书记矩阵项目",
}


@pytest.fixture
def worklists(world):
    from rencai.coordination.services import worklists as service
    from rencai.registry.models import Department

    city = world.users["city_org_dept"]
    education = Department.objects.create(region=world.county_a, kind="education", name="江山矩阵教育局")
    science = Department.objects.create(region=world.county_b, kind="science", name="龙游矩阵科技局")
    rows = {}
    for key, department in (
        ("list_a", world.users["department"].department),
        ("list_a2", education),
        ("list_b", science),
    ):
        worklist = service.worklist_create(actor=city, department=department, year=2017)
        item = service.work_item_create(
            actor=city, worklist=worklist, title=WORKLIST_NAMES[key], responsible="x"
        )
        rows[key] = (worklist, item)
    for key, region in (("project_a", world.county_a), ("project_b", world.county_b)):
        project = service.project_create(
            actor=city, region=region, year=2017, title=WORKLIST_NAMES[key], leader_name="书记"
        )
        rows[key] = (project, project)
    return rows


@pytest.mark.parametrize("role", ROLES)
def test_worklist_pages_and_api_follow_scope(world, worklists, role):
    client, api = ui_client(world, role), api_client(world, role)
    seen = WORKLIST_SEEN[role]

    index = client.get(reverse("coordination:worklist_index") + "?year=2017")
    assert index.status_code == (200 if role in WORKLIST_READERS else 403)
    html = index.content.decode()
    for key, name in WORKLIST_NAMES.items():
        if key.startswith("project"):
            assert (name in html) == (key in seen), key
        else:
            assert name not in html or key in seen, key
    for key, (row, item) in worklists.items():
        if key.startswith("project"):
            pages = [reverse("coordination:project_detail", args=[row.pk])]
            apis = [f"/api/coordination/projects/{row.pk}"]
        else:
            pages = [
                reverse("coordination:worklist_detail", args=[row.pk]),
                reverse("coordination:work_item_detail", args=[item.pk]),
            ]
            apis = [f"/api/coordination/worklists/{row.pk}", f"/api/coordination/work-items/{item.pk}"]
        for url in pages + apis:
            response = client.get(url) if url in pages else api.get(url)
            if key in seen:
                assert response.status_code == 200, (key, url)
                assert WORKLIST_NAMES[key] in _readable_text(response) or "worklists/" in url, (key, url)
            else:
                assert response.status_code in (403, 404), (key, url)
                assert WORKLIST_NAMES[key] not in _readable_text(response), (key, url)
    listed = {
        "worklists": api.get("/api/coordination/worklists?year=2017"),
        "work-items": api.get("/api/coordination/work-items?year=2017"),
        "projects": api.get("/api/coordination/projects?year=2017"),
    }
    if role in WORKLIST_READERS:
        lists = {k for k in seen if k.startswith("list")}
        assert {r["id"] for r in listed["worklists"].json()} == {worklists[k][0].pk for k in lists}
        assert {r["id"] for r in listed["work-items"].json()} == {worklists[k][1].pk for k in lists}
        projects = {worklists[k][0].pk for k in seen if k.startswith("project")}
        assert {r["id"] for r in listed["projects"].json()} == projects
    else:
        assert all(response.status_code == 403 for response in listed.values())


# Consultation on policy drafts (征求意见): consult_a on Jiangshan's draft (inviting the department and
# enterprise_a), consult_b on Longyou's draft. Officers see their region's and the city's rounds; an
# enterprise only a round it is invited to; the others are refused.
CONSULT_SEEN = {
    "city_org_dept": {"consult_a", "consult_b"},
    "county_org_dept": {"consult_a"},
    "department": {"consult_a"},
    "enterprise": {"consult_a"},
    "talent": set(),
    "reviewer": set(),
    "provider": set(),
    "superuser": {"consult_a", "consult_b"},
}
CONSULT_NAMES = {"consult_a": "江山矩阵征求意见稿", "consult_b": "龙游矩阵征求意见稿"}


@pytest.fixture
def consultations(world):
    from rencai.coordination.services import consultation as service
    from rencai.policies.models import Policy, PolicyVersion

    city = world.users["city_org_dept"]
    rows = {}
    for key, region, invited in (
        ("consult_a", world.county_a, {"enterprises": [world.enterprise_a]}),
        ("consult_b", world.county_b, {"enterprises": [world.enterprise_b]}),
    ):
        policy = Policy.objects.create(code=key, name=CONSULT_NAMES[key], region=region, kind="subsidy")
        version = PolicyVersion.objects.create(
            policy=policy,
            number=1,
            effective_from=dt.date(2030, 1, 1),
            eligibility_rule="true",
            status="draft",
        )
        rows[key] = service.consultation_open(
            actor=city, version=version, deadline=dt.date(2030, 1, 1), **invited
        )
    return rows


@pytest.mark.parametrize("role", ROLES)
def test_consultation_pages_and_api_follow_scope(world, consultations, role):
    client, api = ui_client(world, role), api_client(world, role)
    seen = CONSULT_SEEN[role]

    page = client.get(reverse("coordination:consultation_list"))
    listed = api.get("/api/coordination/consultations")

    if role in {"talent", "reviewer", "provider"}:
        assert page.status_code == 403 and listed.status_code == 403
    else:
        assert page.status_code == 200
        assert {r["id"] for r in listed.json()} == {consultations[k].pk for k in seen}
    for key, consultation in consultations.items():
        detail = client.get(reverse("coordination:consultation_detail", args=[consultation.pk]))
        by_api = api.get(f"/api/coordination/consultations/{consultation.pk}")
        changes = client.get(reverse("coordination:consultation_changes", args=[consultation.version_id]))
        text = "".join(_readable_text(r) for r in (page, detail, by_api, changes))
        if key in seen:
            assert (detail.status_code, by_api.status_code, changes.status_code) == (200, 200, 200), key
        else:
            assert detail.status_code == 404 and changes.status_code == 404, key
            assert by_api.status_code in (403, 404), key
            assert CONSULT_NAMES[key] not in text, key


def test_anonymous_visitors_are_sent_to_sign_in_for_worklist_and_consultation_pages(
    world, worklists, consultations
):
    for url in (
        reverse("coordination:worklist_index"),
        reverse("coordination:worklist_detail", args=[worklists["list_a"][0].pk]),
        reverse("coordination:project_detail", args=[worklists["project_a"][0].pk]),
        reverse("coordination:consultation_list"),
        reverse("coordination:consultation_detail", args=[consultations["consult_a"].pk]),
    ):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert Client().get("/api/coordination/worklists").status_code == 401
    assert Client().get("/api/coordination/consultations").status_code == 401


# -- analytics (issue 16): dashboards, indicators, the people behind figures, report, downloads, API ---------
# The world's talents: Jiangshan talent_a and talent_a2, Longyou talent_b, all present on the day. A county's
# two talents are fewer than five: below the city its total shows "<5". 302 = taken to the department page.

ANALYTICS_DAY = "2026-06-30"
ANALYTICS_ROLES = [*ROLES, "anonymous"]
AN_PAGES = {
    "dashboard": ("analytics:dashboard", [], {}),
    "county_a": ("analytics:county", ["330881"], {}),
    "county_b": ("analytics:county", ["330825"], {}),
    "department": ("analytics:department", [], {}),
    "screen": ("analytics:screen", [], {}),
    "catalogue": ("analytics:catalogue", [], {}),
    "indicator": ("analytics:indicator_detail", ["talents_total"], {"by": "region"}),
    "indicator_b": ("analytics:indicator_detail", ["talents_total"], {"region": "330825"}),
    "people": ("analytics:people", ["talents_total"], {}),
    "people_b": ("analytics:people", ["talents_total"], {"region": "330825"}),
    "report": ("analytics:report", ["2026-06"], {}),
    "export": ("analytics:indicator_export", ["talents_total", "breakdown"], {"by": "region"}),
    "ranking_export": ("analytics:dashboard_export", ["ranking"], {}),
    "people_export": ("analytics:people_export", ["talents_total"], {}),
    "maintain": ("analytics:indicator_new", [], {}),
}
AN_API = {
    "api_indicators": ("/api/analytics/indicators", {}),
    "api_figure": ("/api/analytics/indicators/talents_total/figure", {"by": "region"}),
    "api_figure_b": ("/api/analytics/indicators/talents_total/figure", {"region": "330825"}),
    "api_series": ("/api/analytics/indicators/talents_total/series", {"start": "2026-01-01"}),
    "api_comparison": ("/api/analytics/indicators/talents_total/comparison", {}),
    "api_dashboard": ("/api/analytics/dashboard", {}),
    "api_dashboard_b": ("/api/analytics/dashboard", {"region": "330825"}),
}
_AN_ALL = set(AN_PAGES) | set(AN_API)
_AN_CITY = {name: 200 for name in _AN_ALL} | {"department": 404}
_AN_OUTSIDER = {name: 403 for name in _AN_ALL}
AN_STATUS = {
    "city_org_dept": _AN_CITY,
    "county_org_dept": _AN_CITY
    | {name: 404 for name in ("county_b", "indicator_b", "people_b", "api_figure_b", "api_dashboard_b")}
    | {"maintain": 403},
    "department": _AN_CITY
    | {name: 404 for name in ("county_b", "indicator_b", "api_figure_b", "api_dashboard_b")}
    | {name: 403 for name in ("people", "people_b", "people_export", "maintain")}
    | {"dashboard": 302, "department": 200},
    "enterprise": _AN_OUTSIDER,
    "talent": _AN_OUTSIDER,
    "reviewer": _AN_OUTSIDER,
    "provider": _AN_OUTSIDER,
    "superuser": _AN_CITY,
    "anonymous": {name: 302 for name in AN_PAGES} | {name: 401 for name in AN_API},
}
# The Jiangshan total on the dashboard and the people behind it, for those who see them
AN_TOTAL = {"city_org_dept": "3", "county_org_dept": "&lt;5", "superuser": "3"}
AN_PEOPLE = {
    "city_org_dept": {"talent_a", "talent_a2", "talent_b"},
    "county_org_dept": {"talent_a", "talent_a2"},
    "superuser": {"talent_a", "talent_a2", "talent_b"},
}


@pytest.fixture
def analytics_indicators(world):
    from tests.analytics.dashboard_world import clear_caches, make_indicators

    clear_caches()
    yield make_indicators()
    clear_caches()


@pytest.mark.parametrize("role", ANALYTICS_ROLES)
def test_analytics_pages_downloads_and_api_follow_right_and_scope(world, objects, analytics_indicators, role):
    client = Client() if role == "anonymous" else ui_client(world, role)
    api = Client() if role == "anonymous" else api_client(world, role)
    expected = AN_STATUS[role]
    for name, (url_name, args, params) in AN_PAGES.items():
        response = client.get(reverse(url_name, args=args), {"day": ANALYTICS_DAY, **params})
        assert response.status_code == expected[name], name
        if role == "anonymous":
            assert "/accounts/login/" in response["Location"], name
        if response.status_code == 404:
            assert "龙游" not in response.content.decode(), name
    for name, (path, params) in AN_API.items():
        response = api.get(path, {"day": ANALYTICS_DAY, **params} if "series" not in name else params)
        assert response.status_code == expected[name], name
        if response.status_code == 404:
            assert "龙游" not in response.content.decode(), name
    if role in AN_TOTAL:
        html = client.get(reverse("analytics:dashboard"), {"day": ANALYTICS_DAY}).content.decode()
        total = re.search(r'data-headline="talents_total".*?data-value>([^<]*)<', html, re.S).group(1)
        assert total == AN_TOTAL[role]
        people = client.get(reverse("analytics:people", args=["talents_total"]), {"day": ANALYTICS_DAY})
        listed = {int(pk) for pk in re.findall(r'data-talent-id="(\d+)"', people.content.decode())}
        assert listed == {objects[key].pk for key in AN_PEOPLE[role]}
        assert_nothing_forbidden(role, objects, people.content.decode())
