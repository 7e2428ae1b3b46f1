"""The analytics API: the same figures as the pages, scoped the same way, errors in both languages."""

import datetime as dt

import pytest
from django.test import Client

from rencai.accounts.models import ApiToken
from tests.analytics.dashboard_world import (
    DAY,
    JIANGSHAN,
    KECHENG,
    LONGYOU,
    build_city,
    clear_caches,
    present_on,
)

API = "/api/analytics"


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def city(world):
    return build_city(world)


def api_for(user) -> Client:
    _token, key = ApiToken.issue(user)
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_the_indicator_list_names_each_indicator_and_its_breakdowns(city):
    body = api_for(city.users["city_org_dept"]).get(f"{API}/indicators").json()
    by_code = {row["code"]: row for row in body}
    assert set(by_code) == {"talents_total", "enterprise_mgmt_share"}
    assert by_code["enterprise_mgmt_share"]["unit"] == "%"
    assert "region" in by_code["talents_total"]["breakdowns"]


def test_a_figure_by_county_equals_the_orm(city):
    body = (
        api_for(city.users["city_org_dept"])
        .get(f"{API}/indicators/talents_total/figure", {"day": DAY.isoformat(), "by": "region"})
        .json()
    )
    assert body["total"]["numerator"] == present_on(DAY)
    cells = {cell["key"]: cell for cell in body["cells"]}
    assert cells[KECHENG]["numerator"] == present_on(DAY, region__code=KECHENG) == 12
    assert cells[KECHENG]["suppressed"] is False


def test_below_the_city_small_cells_are_null_and_marked_suppressed(city):
    body = (
        api_for(city.users["county_org_dept"])
        .get(f"{API}/indicators/talents_total/figure", {"day": DAY.isoformat()})
        .json()
    )
    assert body["total"] == {
        "key": "",
        "label": "江山市",
        "numerator": None,
        "denominator": None,
        "value": None,
        "suppressed": True,
    }


def test_a_county_asking_for_another_county_is_404_naming_nothing(city):
    client = api_for(city.users["county_org_dept"])
    response = client.get(f"{API}/indicators/talents_total/figure", {"region": LONGYOU})
    assert response.status_code == 404
    assert "龙游" not in response.content.decode()
    assert client.get(f"{API}/indicators/talents_total/figure", {"region": JIANGSHAN}).status_code == 200
    assert client.get(f"{API}/dashboard", {"region": LONGYOU}).status_code == 404


def test_a_wrong_day_and_breakdown_are_refused_with_both_problems(city):
    response = api_for(city.users["city_org_dept"]).get(
        f"{API}/indicators/talents_total/figure", {"day": "2026-02-30", "by": "shoe_size"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert {problem["field"] for problem in body["details"]} == {"day", "by"}
    assert all(problem["message_zh"] and problem["message_en"] for problem in body["details"])


def test_the_series_has_a_cell_per_month_end(city):
    body = (
        api_for(city.users["city_org_dept"])
        .get(f"{API}/indicators/talents_total/series", {"start": "2016-01-01", "end": "2016-12-31"})
        .json()
    )
    assert [cell["key"] for cell in body["cells"]][:2] == ["2016-01-31", "2016-02-29"]
    assert len(body["cells"]) == 12
    for cell in body["cells"]:
        assert cell["numerator"] == present_on(dt.date.fromisoformat(cell["key"]))


def test_the_comparison_ranks_the_six_counties(city):
    body = (
        api_for(city.users["county_org_dept"])
        .get(f"{API}/indicators/talents_total/comparison", {"day": DAY.isoformat()})
        .json()
    )
    assert [row["rank"] for row in body["ranking"]] == [1, 2, 3, 4, 5, 6]
    assert body["ranking"][0]["cell"]["key"] == KECHENG
    assert body["ranking"][0]["cell"]["numerator"] == 12


def test_the_dashboard_holds_headline_comparison_trends_and_structure(city):
    body = api_for(city.users["city_org_dept"]).get(f"{API}/dashboard", {"day": DAY.isoformat()}).json()
    assert body["region"] == "330800"
    assert [figure["indicator"] for figure in body["headline"]] == ["talents_total", "enterprise_mgmt_share"]
    assert body["headline"][0]["total"]["numerator"] == present_on(DAY)
    assert set(body["comparison"]) == {"talents_total", "enterprise_mgmt_share"}
    assert body["trends"]["talents_total"][0]["key"] == "2015-01-31"


@pytest.mark.parametrize("role", ["enterprise", "talent", "reviewer", "provider"])
def test_roles_outside_government_are_refused(city, role):
    response = api_for(city.users[role]).get(f"{API}/dashboard")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_callers_are_401(city):
    assert Client().get(f"{API}/indicators").status_code == 401
