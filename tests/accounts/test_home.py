"""The home page: figures that agree with the lists they open, a chart, each role's own work first."""

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rencai.onestop import services
from rencai.onestop.models import StepTask
from rencai.onestop.selectors import item_in_region
from rencai.onestop.verification import flush_verification_log, verify_card
from tests import factories
from tests.onestop.builders import build_services, in_progress_gold_card

pytestmark = pytest.mark.django_db


def home_of(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def chart_of(html: str) -> dict:
    found = re.search(r'<script id="talent-chart-data" type="application/json">(.*?)</script>', html)
    assert found, "no chart data on the page"
    return json.loads(found.group(1))


def listed_total(client: Client, link: str) -> int:
    html = client.get(link.replace("&amp;", "&")).content.decode()
    return int(re.search(r'data-total="(\d+)"', html).group(1))


@pytest.fixture
def departed(world):
    return factories.make_talent(
        world.county_a, name="江山已离", status="departed", departed_on=dt.date(2024, 6, 30)
    )


def test_the_talent_tile_names_who_left_and_each_figure_opens_a_list_of_exactly_that_many(world, departed):
    city = world.users["city_org_dept"]
    html = home_of(city)

    assert re.search(r'data-figure="talents">3<', html)
    assert "在册人才（在衢）" in html and "另有已离开 1 人" in html
    tile = re.search(r'href="([^"]+)" data-tile="talents"', html).group(1)
    note = re.search(r'href="([^"]+)" data-departed="1"', html).group(1)
    client = signed_in(city)
    assert tile.endswith("?status=active") and listed_total(client, tile) == 3
    assert note.endswith("?status=departed") and listed_total(client, note) == 1


def test_no_word_on_departures_when_nobody_left(world):
    html = home_of(world.users["city_org_dept"])

    assert "另有已离开" not in html and "data-departed" not in html


def test_the_city_sees_talents_by_county_and_each_bar_opens_its_county(world, departed):
    city = world.users["city_org_dept"]
    html = home_of(city)

    chart = chart_of(html)
    assert chart["title"] == "各县（市、区）在册人才"
    assert dict(zip(chart["labels"], chart["values"], strict=True)) == {"龙游县": 1, "江山市": 2}
    client = signed_in(city)
    for label, count, link in zip(chart["labels"], chart["values"], chart["links"], strict=True):
        assert listed_total(client, link) == count, label
    assert 'src="/static/vendor/echarts.min.js"' in html and 'src="/static/rencai/dashboard.js"' in html


def test_a_county_sees_its_talents_by_tier(world, departed):
    factories.make_talent(world.county_a, name="江山无类", tier="")
    county = world.users["county_org_dept"]
    chart = chart_of(home_of(county))

    assert chart["title"] == "各类别在册人才"
    # talent_a is tier D (the factory's), talent_a2 tier E; the one who left is not counted
    assert dict(zip(chart["labels"], chart["values"], strict=True)) == {
        "D类 市级高级人才": 1,
        "E类 基础人才": 1,
        "未分类": 1,
    }
    client = signed_in(county)
    assert listed_total(client, chart["links"][0]) == 1
    assert chart["links"][2] == ""  # no filter lists "no tier"


def test_a_talent_sees_no_registry_figures_but_a_link_to_their_own_record(world):
    html = home_of(world.users["talent"])

    assert "data-figure" not in html and "talent-chart-data" not in html
    assert f'href="/registry/talents/{world.talent_a.pk}/" data-own-record' in html


@pytest.fixture
def onestop(world):
    return build_services(world)


def gold_card_in_progress_of(onestop, username: str):
    """Another Jiangshan talent's gold-card application, accepted: its steps wait at the departments."""
    user = factories.make_user(username, "talent")
    factories.make_talent(onestop.world.county_a, name=username, account=user)
    for material_type in onestop.items["gold_card"].materials.all():
        services.add_material(actor=user, given=services.NewMaterial(material_type.code, "电子证照"))
    application = services.apply(actor=user, item=item_in_region("gold_card", onestop.world.county_a))
    services.accept(actor=onestop.window, application=application)
    return application


def test_a_department_officer_is_met_by_their_queue_before_the_registry(world, onestop):
    today = timezone.localdate()
    officer = world.users["department"]
    in_progress_gold_card(onestop)  # due in a few working days
    overdue = gold_card_in_progress_of(onestop, "overdue")
    StepTask.objects.filter(application=overdue, department=officer.department).update(
        opened_on=today - dt.timedelta(days=9), due_on=today - dt.timedelta(days=2)
    )
    due_today = gold_card_in_progress_of(onestop, "due_today")
    StepTask.objects.filter(application=due_today, department=officer.department).update(
        opened_on=today - dt.timedelta(days=5), due_on=today
    )

    html = home_of(officer)

    assert html.index('id="queue-panel"') < html.index('id="registry-panel"')
    figures = dict(re.findall(r'data-queue="(\w+)"><span class="figure">(\d+)<', html))
    assert figures == {"overdue": "1", "due_today": "1", "waiting": "3"}
    assert 'href="/services/steps/" data-queue="waiting"' in html and "进入部门待办" in html


def test_other_roles_have_no_queue_panel(world, onestop):
    in_progress_gold_card(onestop)
    for role in ("city_org_dept", "county_org_dept", "enterprise", "talent", "provider", "superuser"):
        assert 'id="queue-panel"' not in home_of(world.users[role]), role


def test_a_talent_reaches_their_gold_card_from_the_home_page_and_the_navigation(world, onestop):
    application = in_progress_gold_card(onestop)
    for task in application.steps.select_related("department"):
        officer = onestop.officers[task.department.kind]
        services.decide_step(actor=officer, task=task, approve=True)
    card = application.talent.gold_cards.get()
    talent = world.users["talent"]

    html = home_of(talent)

    assert html.index('id="card-panel"') < html.index('id="registry-panel"')
    assert f'href="/services/cards/{card.pk}/" data-show-card' in html and card.card_number in html
    assert "出示金卡（二维码）" in html
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)
    assert 'href="/services/cards/mine/"' in nav and "我的金卡" in nav
    assert signed_in(talent).get("/services/cards/mine/")["Location"] == f"/services/cards/{card.pk}/"


def test_a_talent_without_a_card_is_shown_where_to_apply(world, onestop):
    html = home_of(world.users["talent"])

    assert "您还没有人才金卡。" in html and 'href="/services/"' in html


def test_a_providers_home_offers_verifying_cards_and_redeeming_vouchers(world, onestop):
    provider = world.users["provider"]
    verify_card(provider=provider, token="not-a-card-token")
    flush_verification_log()

    html = home_of(provider)

    assert 'href="/services/provider/#verify" data-counter="verify"' in html
    assert 'href="/services/provider/#redeem" data-counter="redeem"' in html
    assert 'data-checked-today="1"' in html and "今日已核验 1 次" in html


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("city_org_dept", True),
        ("county_org_dept", True),
        ("department", True),
        ("enterprise", True),
        ("provider", True),
        ("superuser", True),
        ("talent", False),
        ("reviewer", False),
    ],
)
def test_the_api_token_link_is_shown_only_to_roles_whose_systems_use_the_api(world, role, shown):
    html = home_of(world.users[role])

    assert ("API 令牌" in html) == shown
    assert "修改密码" in html


def test_the_skip_link_comes_before_the_navigation_and_targets_main(world):
    html = home_of(world.users["city_org_dept"])

    body = html[html.index("<body") :]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'class="skip-link" href="#main"' in first_link
    assert '<main class="page" id="main"' in html and "跳到主要内容" in html


def test_the_home_page_in_english(world, departed):
    client = signed_in(world.users["city_org_dept"])
    client.cookies["django_language"] = "en"

    html = client.get(reverse("home")).content.decode()

    assert "Registry at a glance" in html and "plus 1 who left" in html
    assert chart_of(html)["title"] == "Registered talents by county" and "Skip to main content" in html


def test_pages_without_an_icon_of_their_own_get_the_sites_icon_not_a_404(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301 and response["Location"] == "/static/rencai/favicon.svg"


@pytest.mark.django_db
def test_a_talent_account_not_linked_to_a_record_gets_a_home_with_nothing_counted(regions):
    user = factories.make_user("unlinked", "talent")
    client = Client()
    client.force_login(user)
    html = client.get("/").content.decode()
    assert 'id="policies-panel"' in html
    for key in ("offered", "under_way", "granted"):
        assert f'data-count="{key}">0<' in html
