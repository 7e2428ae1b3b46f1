"""The target pages and API: the year walked through the forms and buttons, and through the API."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rencai.accounts.models import ApiToken
from rencai.coordination.models import Section, SheetState, TargetSheet
from tests import factories
from tests.coordination.target_builders import YEAR, make_indicator, sheet_with_items

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> Client:
    _token, key = ApiToken.issue(user)
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_the_year_through_the_pages(world):
    city, county = _client(world.users["city_org_dept"]), _client(world.users["county_org_dept"])
    make_indicator()
    response = city.post(
        "/coordination/targets/new/",
        {"year": YEAR, "unit": f"region-{world.county_a.pk}", "bonus_cap": "5", "deduction_cap": "10"},
    )
    sheet = TargetSheet.objects.get(year=YEAR, region=world.county_a)
    assert response["Location"] == f"/coordination/targets/{sheet.pk}/"
    page = city.get(response["Location"]).content.decode()
    assert 'name="measured_value"' not in page and 'name="points"' not in page  # never typed in
    base = f"/coordination/targets/{sheet.pk}"
    city.post(
        f"{base}/items/",
        {
            "section": "indicators",
            "title": "高技能人才",
            "max_points": "70",
            "indicator_code": "high_skill_total",
            "baseline": "1",
            "target_value": "2",
        },
    )
    city.post(f"{base}/items/", {"section": "targets", "title": "人才驿站", "max_points": "30"})
    assert sheet.items.count() == 2
    city.post(f"{base}/move/", {"to": "issued"})
    county.post(f"{base}/move/", {"to": "agreed", "comment": "同意"})
    factories.make_talent(world.county_a, team="high_skill", arrival_date=dt.date(YEAR, 2, 1))
    city.post(f"{base}/move/", {"to": "midyear", "comment": "年中检查"})
    page = county.get(f"{base}/").content.decode()
    row = re.search(r'<tr data-item="\d+" data-code="high_skill_total">.*?</tr>', page, re.S).group(0)
    assert '<td class="num measured" data-label="实测值">2</td>' in row
    assert "100%" in row
    work = sheet.items.get(section=Section.TARGETS)
    upload = SimpleUploadedFile("驿站照片.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    county.post(
        f"/coordination/targets/items/{work.pk}/assess/",
        {"claimed_points": "28", "evidence": "驿站运行良好", "evidence_file": upload},
    )
    county.post(f"{base}/move/", {"to": "self_assessed", "comment": "完成全年任务"})
    evidence = city.get(f"/coordination/targets/items/{work.pk}/evidence/")
    assert evidence.status_code == 200 and b"".join(evidence.streaming_content) == b"%PDF-1.4 evidence"
    refused = county.post(f"/coordination/targets/items/{work.pk}/score/", {"points": "30"}, follow=True)
    assert "只有市委组织部可以下达和审定目标责任考核" in refused.content.decode()
    city.post(f"/coordination/targets/items/{work.pk}/score/", {"points": "27", "comment": "良好"})
    city.post(f"{base}/move/", {"to": "scored"})
    city.post(f"{base}/move/", {"to": "locked"})
    sheet.refresh_from_db()
    assert sheet.state == SheetState.LOCKED
    assert str(sheet.total) == "97.00"
    page = county.get(f"{base}/").content.decode()
    assert 'id="move-form"' not in page and "97.00" in page


def test_the_year_through_the_api(world):
    city, county = _api(world.users["city_org_dept"]), _api(world.users["county_org_dept"])
    make_indicator()
    created = city.post(
        "/api/coordination/targets",
        {"year": YEAR, "region": world.county_a.code},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    sheet_id = created.json()["id"]
    items = f"/api/coordination/targets/{sheet_id}/items"
    indicator = city.post(
        items,
        {
            "section": "indicators",
            "title": "高技能人才",
            "max_points": "50",
            "indicator_code": "high_skill_total",
            "baseline": "0",
            "target_value": "2",
        },
        content_type="application/json",
    )
    assert indicator.status_code == 201, indicator.content
    short = city.post(
        f"/api/coordination/targets/{sheet_id}/move", {"to": "issued"}, content_type="application/json"
    )
    assert short.status_code == 422
    assert short.json()["details"][0]["field"] == "items"
    work = city.post(
        items, {"section": "targets", "title": "驿站", "max_points": "50"}, content_type="application/json"
    )
    for client, to in ((city, "issued"), (county, "agreed"), (city, "midyear")):
        moved = client.post(
            f"/api/coordination/targets/{sheet_id}/move", {"to": to}, content_type="application/json"
        )
        assert moved.status_code == 200, moved.content
    detail = county.get(f"/api/coordination/targets/{sheet_id}").json()
    measured = next(item for item in detail["items"] if item["section"] == "indicators")
    assert measured["measured"] == "1" or float(measured["measured"]) == 1.0
    assert float(measured["points"]) == 25.0
    claim = county.post(
        f"/api/coordination/targets/items/{work.json()['id']}/claim",
        {"claimed_points": "45", "evidence": "已建成"},
        content_type="application/json",
    )
    assert claim.status_code == 200, claim.content
    again = county.post(
        f"/api/coordination/targets/{sheet_id}/move", {"to": "agreed"}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"


def test_the_home_page_shows_the_sheets_waiting_for_each_side(world):
    from rencai.coordination.services import targets as services

    city_user, county_user = world.users["city_org_dept"], world.users["county_org_dept"]
    sheet = sheet_with_items(city_user, region=world.county_a)
    services.sheet_issue(actor=city_user, sheet=sheet)
    county_home = _client(county_user).get("/").content.decode()
    assert 'data-figure="issued">待确认目标 1 份' in county_home
    assert 'id="targets-panel"' not in _client(world.users["enterprise"]).get("/").content.decode()
    services.sheet_agree(actor=county_user, sheet=sheet)
    assert 'data-figure="agreed">待年中检查 1 份' in _client(city_user).get("/").content.decode()
    assert 'id="targets-panel"' not in _client(county_user).get("/").content.decode()


def test_the_city_records_a_circular_recipient_and_the_previous_holder_stops_receiving(world):
    from rencai.coordination.models import Leader

    city = _client(world.users["city_org_dept"])
    old = factories.make_user("old_shuji", "county_org_dept", region=world.county_a)
    new = factories.make_user("new_shuji", "county_org_dept", region=world.county_a)
    for user, name in ((old, "前任书记"), (new, "现任书记")):
        response = city.post(
            "/coordination/targets/leaders/",
            {"unit": f"region-{world.county_a.pk}", "post": "secretary", "user": user.pk, "name": name},
        )
        assert response.status_code == 302, response.content.decode()
    assert list(Leader.objects.filter(active=True).values_list("name", flat=True)) == ["现任书记"]
    assert Leader.objects.get(name="前任书记").active is False
    county = _client(world.users["county_org_dept"])
    page = county.get("/coordination/targets/leaders/").content.decode()
    assert "现任书记" in page and 'id="leader-form"' not in page
    refused = county.post(
        "/coordination/targets/leaders/",
        {"unit": f"region-{world.county_a.pk}", "post": "org_head", "user": new.pk, "name": "李部长"},
    )
    assert refused.status_code == 403
    assert not Leader.objects.filter(name="李部长").exists()
    other = factories.make_user("ly_officer", "county_org_dept", region=world.county_b)
    assert "现任书记" not in _client(other).get("/coordination/targets/leaders/").content.decode()
