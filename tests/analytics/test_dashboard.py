"""The analytics pages: the city lead's dashboard, the county page, the department page, the screen, the
indicator pages and the people behind a figure. Figures on the pages are checked against counts made here
with the ORM; scope (a county never sees another county's figures) and suppression ("<5" below the city)
against the world's users."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from rencai.analytics.models import Indicator
from rencai.core.models import AuditEntry
from rencai.core.regions import COUNTY_CODES
from rencai.registry.models import Talent
from tests.analytics.dashboard_world import (
    DAY,
    JIANGSHAN,
    KECHENG,
    LONGYOU,
    build_city,
    clear_caches,
    client_for,
    present_on,
)


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def city(world):
    return build_city(world)


def headline(html: str, code: str) -> str:
    match = re.search(rf'data-headline="{code}".*?data-value>([^<]*)<', html, re.S)
    assert match, f"no headline {code}"
    return match.group(1).strip()


def chart_data(html: str) -> dict:
    match = re.search(r'<script id="analytics-chart-data" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def test_city_dashboard_headline_figures_equal_the_registry_counts(city):
    html = (
        client_for(city.users["city_org_dept"])
        .get(reverse("analytics:dashboard"), {"day": DAY})
        .content.decode()
    )
    total = present_on(DAY)
    managers = present_on(DAY, team="enterprise_mgmt")
    assert total == 3 + 8 + 4  # the departed one left in 2020
    assert headline(html, "talents_total") == str(total)
    assert headline(html, "enterprise_mgmt_share") == f"{managers / total * 100:.1f}%"
    assert "参考值 13" in html


def test_city_dashboard_on_a_past_day_counts_who_was_there(city):
    day = dt.date(2016, 1, 31)  # before Kecheng's arrivals; the one who left later was there
    html = (
        client_for(city.users["city_org_dept"])
        .get(reverse("analytics:dashboard"), {"day": day})
        .content.decode()
    )
    assert headline(html, "talents_total") == str(present_on(day)) == "1"


def test_the_tile_map_places_the_six_counties(city):
    html = (
        client_for(city.users["city_org_dept"])
        .get(reverse("analytics:dashboard"), {"day": DAY})
        .content.decode()
    )
    tiles = chart_data(html)["map"]["tiles"]
    assert {tile["code"] for tile in tiles} == set(COUNTY_CODES)
    kecheng = next(tile for tile in tiles if tile["code"] == KECHENG)
    assert kecheng["text"] == "12" and kecheng["rank"] == 1
    assert (kecheng["x"], kecheng["y"]) == (1, 1)
    assert kecheng["url"] == reverse("analytics:county", args=[KECHENG])


def test_a_county_officers_map_links_only_their_own_county(city):
    html = client_for(city.users["county_org_dept"]).get(reverse("analytics:dashboard")).content.decode()
    links = {tile["code"]: tile["url"] for tile in chart_data(html)["map"]["tiles"]}
    assert links[JIANGSHAN] == reverse("analytics:county", args=[JIANGSHAN])
    assert {code for code, url in links.items() if url} == {JIANGSHAN}


def test_the_ranking_table_ranks_the_counties_by_value(city):
    html = (
        client_for(city.users["city_org_dept"])
        .get(reverse("analytics:dashboard"), {"day": DAY})
        .content.decode()
    )
    row = re.search(rf'<tr data-county="{KECHENG}">(.*?)</tr>', html, re.S).group(1)
    values = re.findall(r"data-value>([^<]*)<", row)
    assert values[0] == "12"  # talents_total: 8 + 4
    assert values[1] == f"{8 / 12 * 100:.1f}%"


def test_a_county_officer_sees_only_their_county_with_small_cells_suppressed(city):
    html = (
        client_for(city.users["county_org_dept"])
        .get(reverse("analytics:dashboard"), {"day": DAY})
        .content.decode()
    )
    assert "江山市人才工作统计看板" in html
    # Jiangshan has two talents present: fewer than five, so the total is "<5"
    assert headline(html, "talents_total") == "&lt;5"
    assert "江山甲" not in html and "龙游丙" not in html


def test_a_county_officer_sees_the_comparison_with_other_counties_suppressed_below_five(city):
    html = (
        client_for(city.users["county_org_dept"])
        .get(reverse("analytics:dashboard"), {"day": DAY})
        .content.decode()
    )
    kecheng = re.search(rf'<tr data-county="{KECHENG}">(.*?)</tr>', html, re.S).group(1)
    longyou = re.search(rf'<tr data-county="{LONGYOU}">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"data-value>([^<]*)<", kecheng)[0] == "12"
    assert re.findall(r"data-value>([^<]*)<", longyou)[0] == "&lt;5"


def test_the_city_sees_small_cells(city):
    html = (
        client_for(city.users["city_org_dept"])
        .get(reverse("analytics:county", args=[JIANGSHAN]), {"day": DAY})
        .content.decode()
    )
    assert headline(html, "talents_total") == str(present_on(DAY, region=city.county_a)) == "2"


def test_the_county_page_is_404_for_another_county(city):
    client = client_for(city.users["county_org_dept"])
    assert client.get(reverse("analytics:county", args=[JIANGSHAN]), {"day": DAY}).status_code == 200
    response = client.get(reverse("analytics:county", args=[LONGYOU]), {"day": DAY})
    assert response.status_code == 404
    assert "龙游" not in response.content.decode()


def test_a_department_officer_is_taken_to_the_department_page(city):
    client = client_for(city.users["department"])
    response = client.get(reverse("analytics:dashboard"))
    assert response.status_code == 302 and response["Location"] == reverse("analytics:department")
    html = client.get(reverse("analytics:department")).content.decode()
    assert "江山市人力资源和社会保障局" in html
    assert reverse("analytics:county", args=[JIANGSHAN]) in html


def test_the_department_page_counts_its_own_work_items_and_milestones(city):
    from django.utils import timezone

    from rencai.coordination.services import worklists as service

    officer = city.users["department"]
    today = timezone.localdate()
    worklist = service.worklist_create(actor=officer, department=officer.department, year=today.year)
    for title in ("人才政策宣讲", "人才公寓配建"):
        item = service.work_item_create(actor=officer, worklist=worklist, title=title, responsible="张三")
    service.milestone_add(
        actor=officer,
        tracked=item,
        title="开工",
        due_on=today - dt.timedelta(days=30),
        today=today - dt.timedelta(days=60),
    )
    html = client_for(officer).get(reverse("analytics:department")).content.decode()
    assert re.search(r'data-figure="work-items">(\d+)<', html).group(1) == "2"
    assert re.search(r'data-status="planned">(\d+)<', html).group(1) == "2"
    assert re.search(r'data-figure="milestones-overdue">(\d+)<', html).group(1) == "1"
    assert reverse("coordination:worklist_index") in html


def test_the_screen_has_no_navigation_and_refreshes_itself(city):
    html = client_for(city.users["city_org_dept"]).get(reverse("analytics:screen")).content.decode()
    assert 'http-equiv="refresh" content="300"' in html
    assert 'class="mainnav"' not in html and 'data-theme="dark"' in html
    assert headline(html, "talents_total") == str(present_on(dt.date.today()))


def test_a_wrong_day_is_named_and_today_shown(city):
    html = (
        client_for(city.users["city_org_dept"])
        .get(reverse("analytics:dashboard"), {"day": "2026-13-01"})
        .content.decode()
    )
    assert "data-wrong-filter" in html and "日期格式" in html


@pytest.mark.parametrize("role", ["enterprise", "talent", "reviewer", "provider"])
def test_roles_outside_government_are_refused_the_dashboard(city, role):
    assert client_for(city.users[role]).get(reverse("analytics:dashboard")).status_code == 403


# -- indicator pages ----------------------------------------------------------------------------------------


def test_indicator_breakdown_by_county_equals_the_orm_and_links_the_people(city):
    url = reverse("analytics:indicator_detail", args=["talents_total"])
    html = client_for(city.users["city_org_dept"]).get(url, {"day": DAY, "by": "region"}).content.decode()
    row = re.search(rf'<tr data-key="{KECHENG}"[^>]*>(.*?)</tr>', html, re.S).group(1)
    assert re.search(r"data-value>([^<]*)<", row).group(1) == str(present_on(DAY, region__code=KECHENG))
    people = re.search(r'href="([^"]+)" data-people', row).group(1).replace("&amp;", "&")
    listed = client_for(city.users["city_org_dept"]).get(people).content.decode()
    assert set(map(int, re.findall(r'data-talent-id="(\d+)"', listed))) == set(
        Talent.objects.filter(region__code=KECHENG).values_list("pk", flat=True)
    )


def test_a_county_officer_sees_lt5_with_a_note_and_no_link_to_those_people(city):
    url = reverse("analytics:indicator_detail", args=["talents_total"])
    html = client_for(city.users["county_org_dept"]).get(url, {"day": DAY, "by": "team"}).content.decode()
    assert "data-suppression-note" in html
    suppressed = re.findall(
        r'<tr data-key="([^"]*)" class="suppressed" data-suppressed>(.*?)</tr>', html, re.S
    )
    assert suppressed and all("data-people" not in row for _key, row in suppressed)
    assert all("&lt;5" in row for _key, row in suppressed)


def test_the_series_has_one_month_per_month_since_2015_and_matches_the_orm(city):
    url = reverse("analytics:indicator_detail", args=["talents_total"])
    html = client_for(city.users["city_org_dept"]).get(url, {"day": DAY}).content.decode()
    data = chart_data(html)["series"]
    assert data["months"][0] == "2015-01" and data["months"][-1] == "2026-06"
    assert len(data["months"]) == 12 * 11 + 6
    for month, value in zip(data["months"], data["values"], strict=True):
        year, number = map(int, month.split("-"))
        end = (dt.date(year, number, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        assert value == present_on(end), month


def test_a_breakdown_the_indicator_does_not_allow_is_named(city):
    Indicator.objects.filter(code="talents_total").update(breakdowns=["region", "team"])
    url = reverse("analytics:indicator_detail", args=["talents_total"])
    html = client_for(city.users["city_org_dept"]).get(url, {"day": DAY, "by": "gender"}).content.decode()
    assert "data-wrong-filter" in html


def test_the_people_list_is_audited_and_masked(city):
    url = reverse("analytics:people", args=["enterprise_mgmt_share"])
    response = client_for(city.users["city_org_dept"]).get(url, {"day": DAY, "part": "numerator"})
    html = response.content.decode()
    assert 'data-total="8"' in html
    talent = Talent.objects.filter(team="enterprise_mgmt").first()
    assert talent.id_number_masked in html
    entry = AuditEntry.objects.filter(action="analytics.people.view").latest("seq")
    assert entry.actor_id == city.users["city_org_dept"].pk
    assert talent.pk in entry.detail["talents"] and entry.detail["indicator"] == "enterprise_mgmt_share"


def test_a_county_officer_cannot_list_another_countys_people(city):
    url = reverse("analytics:people", args=["talents_total"])
    client = client_for(city.users["county_org_dept"])
    assert client.get(url, {"day": DAY, "region": LONGYOU}).status_code == 404
    html = client.get(url, {"day": DAY}).content.decode()
    assert set(map(int, re.findall(r'data-talent-id="(\d+)"', html))) == {city.talent_a.pk, city.talent_a2.pk}


def test_a_department_officer_may_not_see_the_people_behind_figures(city):
    url = reverse("analytics:people", args=["talents_total"])
    assert client_for(city.users["department"]).get(url, {"day": DAY}).status_code == 403


def test_the_catalogue_lists_the_indicators_with_their_value(city):
    html = (
        client_for(city.users["city_org_dept"])
        .get(reverse("analytics:catalogue"), {"day": DAY})
        .content.decode()
    )
    row = re.search(r'<tr data-indicator="talents_total">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r"data-value>([^<]*)<", row).group(1) == str(present_on(DAY))


# -- indicator maintenance ----------------------------------------------------------------------------------


def indicator_post(**overrides) -> dict:
    data = {
        "code": "high_skill_count",
        "name": "高技能人才数",
        "name_en": "High-skill talents",
        "category": "structure",
        "kind": "frame",
        "numerator": 'talent.team == "high_skill"',
        "denominator": "",
        "factor": "1",
        "unit": "人",
        "breakdowns": ["region", "team"],
        "higher_is_better": "on",
        "position": "5",
        "active": "on",
    }
    return {**data, **overrides}


def test_the_city_adds_an_indicator_and_its_figure_counts_the_registry(city):
    client = client_for(city.users["city_org_dept"])
    response = client.post(reverse("analytics:indicator_new"), indicator_post())
    assert response.status_code == 302
    indicator = Indicator.objects.get(code="high_skill_count")
    assert indicator.breakdowns == ["region", "team"]
    assert AuditEntry.objects.filter(
        action="analytics.indicator.create", object_id=str(indicator.pk)
    ).exists()
    html = client.get(response["Location"] + f"?day={DAY}").content.decode()
    assert re.search(r"data-total><span class=\"figure\" data-value>([^<]*)<", html).group(1) == str(
        present_on(DAY, team="high_skill")
    )


def test_a_bad_rule_is_refused_on_its_field_in_chinese_and_english(city):
    client = client_for(city.users["city_org_dept"])
    response = client.post(reverse("analytics:indicator_new"), indicator_post(numerator="talent.team =="))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-field-errors="numerator"' in html and "第1行" in html
    assert not Indicator.objects.filter(code="high_skill_count").exists()
    client.cookies["django_language"] = "en"
    english = client.post(
        reverse("analytics:indicator_new"), indicator_post(numerator="talent.team ==")
    ).content
    assert "Line 1, column" in english.decode()


def test_editing_keeps_the_code_and_is_audited_with_the_change(city):
    client = client_for(city.users["city_org_dept"])
    url = reverse("analytics:indicator_edit", args=["talents_total"])
    assert 'value="talents_total"' in client.get(url).content.decode()
    post = indicator_post(code="renamed", name="人才资源总量", numerator="true", unit="人")
    assert client.post(url, post).status_code == 302
    indicator = Indicator.objects.get(code="talents_total")
    assert indicator.name == "人才资源总量" and not Indicator.objects.filter(code="renamed").exists()
    entry = AuditEntry.objects.filter(action="analytics.indicator.change").latest("seq")
    assert entry.object_id == str(indicator.pk)


@pytest.mark.parametrize("role", ["county_org_dept", "department"])
def test_only_the_city_maintains_indicators(city, role):
    client = client_for(city.users[role])
    assert client.get(reverse("analytics:indicator_new")).status_code == 403
    assert client.post(reverse("analytics:indicator_new"), indicator_post()).status_code == 403
    assert not Indicator.objects.filter(code="high_skill_count").exists()


def test_the_dashboard_reads_in_english(city):
    client = client_for(city.users["city_org_dept"])
    client.cookies["django_language"] = "en"
    html = client.get(reverse("analytics:dashboard"), {"day": DAY}).content.decode()
    assert "Quzhou talent statistics" in html and "Headline figures (2026-06-30)" in html
    assert "County comparison and ranking" in html and "Talents (persons)" in html
    for chinese in ("主要指标", "县（市、区）比较与排名", "统计日期", "人才总量"):
        assert chinese not in html
