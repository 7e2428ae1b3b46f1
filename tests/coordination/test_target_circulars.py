"""The circular (通报): issued when the last county sheet is locked, ranking counties and departments,
reaching each county's secretary and organization head with the Excel link; reading it marks it read."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from rencai.coordination import circulars
from rencai.coordination.models import Circular, LeaderPost
from tests import factories
from tests.coordination.target_builders import YEAR, appoint_leaders, sheet_with_items, walk_to_locked

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(world):
    return world.users["city_org_dept"]


@pytest.fixture
def longyou(world):
    return factories.make_user("longyou", "county_org_dept", region=world.county_b)


@pytest.fixture
def leaders(world, city):
    secretary_a = factories.make_user("js-secretary", "county_org_dept", region=world.county_a)
    head_a = factories.make_user("js-orghead", "county_org_dept", region=world.county_a)
    secretary_b = factories.make_user("ly-secretary", "county_org_dept", region=world.county_b)
    head_b = factories.make_user("ly-orghead", "county_org_dept", region=world.county_b)
    appoint_leaders(city, world.county_a, secretary_a, head_a)
    appoint_leaders(city, world.county_b, secretary_b, head_b)
    return {"js": (secretary_a, head_a), "ly": (secretary_b, head_b)}


def _lock_both(world, city, longyou, *, points_a="36", points_b="30"):
    # county A: one more high-skill talent this year → indicator half-way (30 of 60)
    factories.make_talent(world.county_a, team="high_skill", arrival_date=dt.date(YEAR, 3, 1))
    sheet_a = sheet_with_items(city, region=world.county_a)
    sheet_b = sheet_with_items(city, region=world.county_b, baseline="1", target="2")
    walk_to_locked(sheet_a, city=city, unit=world.users["county_org_dept"], points=points_a)
    walk_to_locked(sheet_b, city=city, unit=longyou, points=points_b)
    # four of the six counties have no sheet: the circular waits for the city to issue it
    assert not Circular.objects.exists()
    circulars.circular_issue(actor=city, year=YEAR)
    return sheet_a, sheet_b


def test_locking_the_sheet_of_the_last_of_the_six_counties_issues_the_circular(world, city, regions):
    from rencai.core.models import Region, RegionLevel

    counties = list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("code"))
    assert len(counties) == 6
    superuser = world.users["superuser"]  # holds both sides' rights: one actor walks every sheet
    for index, region in enumerate(counties):
        walk_to_locked(
            sheet_with_items(city, region=region), city=city, unit=superuser, points=str(40 - index)
        )
        assert Circular.objects.exists() == (index == 5)
    ranking = Circular.objects.get(year=YEAR).ranking
    assert [row["rank"] for row in ranking] == [1, 2, 3, 4, 5, 6]
    assert ranking[0]["unit"] == counties[0].name


def test_the_circular_ranks_the_counties(world, city, longyou, leaders):
    _lock_both(world, city, longyou)
    circular = Circular.objects.get(year=YEAR)
    counties = [row for row in circular.ranking if row["kind"] == circulars.COUNTY]
    # A: 30 + 36 = 66; B: 60 × (1 − 1)/(2 − 1) = 0, + 30 = 30
    assert [(row["rank"], row["unit"], row["total"]) for row in counties] == [
        (1, "江山市", "66.00"),
        (2, "龙游县", "30.00"),
    ]


def test_the_circular_reaches_each_countys_secretary_and_organization_head_with_the_excel_link(
    world, city, longyou, leaders
):
    _lock_both(world, city, longyou)
    circular = Circular.objects.get(year=YEAR)
    secretary_a, head_a = leaders["js"]
    secretary_b, _head_b = leaders["ly"]
    message = secretary_a.notifications.get(kind=circulars.KIND_CIRCULAR)
    assert message.link == f"/coordination/targets/circulars/{circular.pk}/"
    assert f"/coordination/targets/circulars/{circular.pk}/excel/" in message.body
    assert "江山市" in message.body and "排名第 1 位" in message.body
    assert head_a.notifications.filter(kind=circulars.KIND_CIRCULAR).count() == 1
    assert "排名第 2 位" in secretary_b.notifications.get(kind=circulars.KIND_CIRCULAR).body
    # officers who hold no post get no circular
    assert not world.users["county_org_dept"].notifications.filter(kind=circulars.KIND_CIRCULAR).exists()


def test_reading_the_circular_marks_its_notification_read(world, city, longyou, leaders):
    _lock_both(world, city, longyou)
    secretary_a, _head = leaders["js"]
    message = secretary_a.notifications.get(kind=circulars.KIND_CIRCULAR)
    assert message.read_at is None
    client = Client()
    client.force_login(secretary_a)
    page = client.get(message.link)
    assert page.status_code == 200
    assert "龙游县" in page.content.decode()
    message.refresh_from_db()
    assert message.read_at is not None


def test_the_circular_excel_lists_the_ranking(world, city, longyou, leaders):
    _lock_both(world, city, longyou)
    circular = Circular.objects.get(year=YEAR)
    client = Client()
    client.force_login(leaders["ly"][0])
    response = client.get(f"/coordination/targets/circulars/{circular.pk}/excel/")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == circular.title
    assert rows[1][:3] == ("排名", "被考核单位", "总分")
    assert rows[2][:3] == (1, "江山市", 66)
    assert rows[3][1] == "龙游县"
    assert Decimal(str(rows[3][2])) == Decimal("30")


def test_an_explicit_circular_is_refused_while_a_county_sheet_is_open(world, city, longyou):
    sheet_a = sheet_with_items(city, region=world.county_a)
    walk_to_locked(sheet_a, city=city, unit=world.users["county_org_dept"])
    sheet_with_items(city, region=world.county_b)
    with pytest.raises(circulars.SheetsNotLocked) as error:
        circulars.circular_issue(actor=city, year=YEAR)
    assert "龙游县" in error.value.message_zh
    assert not Circular.objects.exists()


def test_a_county_cannot_issue_a_circular(world, city, longyou):
    from rencai.core.errors import PermissionDenied

    _lock_both(world, city, longyou)
    with pytest.raises(PermissionDenied):
        circulars.circular_issue(actor=longyou, year=YEAR)


def test_department_sheets_are_ranked_and_their_heads_told(world, city, longyou):
    dept_user = world.users["department"]
    head = factories.make_user(
        "hrss-head", "department", region=world.county_a, department=dept_user.department
    )
    circulars.leader_appoint(
        actor=city,
        region=world.county_a,
        department=dept_user.department,
        post=LeaderPost.DEPT_HEAD,
        user=head,
        name="赵局长",
    )
    walk_to_locked(sheet_with_items(city, department=dept_user.department), city=city, unit=dept_user)
    _lock_both(world, city, longyou)
    circular = Circular.objects.get(year=YEAR)
    departments = [row for row in circular.ranking if row["kind"] == circulars.DEPARTMENT]
    assert [(row["rank"], row["unit"]) for row in departments] == [(1, dept_user.department.name)]
    assert head.notifications.filter(kind=circulars.KIND_CIRCULAR).count() == 1
