"""The analytics pages in Chromium: the city page draws its charts (the tile map holds the six counties),
the meeting-room screen draws dark with no navigation, the monthly report prints on A4 without the
navigation; the Content-Security-Policy blocks nothing on the way."""

import pytest

from tests.analytics.dashboard_world import DAY, build_city, clear_caches
from tests.browser.conftest import login, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city(world):
    clear_caches()
    build_city(world)
    yield world
    clear_caches()


def _violations(page) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return seen


def test_the_city_page_draws_the_tile_map_of_six_counties_and_the_trends(page, live_server, city):
    violations = _violations(page)
    login(page, live_server, "city")
    page.goto(f"{live_server.url}/analytics/?day={DAY.isoformat()}")
    page.wait_for_selector("#chart-map canvas")
    tiles = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-map')).getOption().series[0].data"
        ".map(t => t.name + ':' + t.text)"
    )
    assert sorted(tiles) == sorted(["柯城区:12", "衢江区:0", "常山县:0", "开化县:0", "龙游县:1", "江山市:2"])
    assert page.locator("#trends canvas").count() == 2  # one small chart per standard indicator
    assert int(page.get_attribute("body", "data-charts")) >= 3
    page.screenshot(path=screenshot_path("analytics-city.png"), full_page=True)
    assert violations == []


def test_the_screen_is_dark_without_navigation_and_draws(page, live_server, city):
    login(page, live_server, "city")
    page.goto(f"{live_server.url}/analytics/screen/")
    page.wait_for_selector("#chart-map canvas")
    assert page.locator("nav.mainnav").count() == 0
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(11, 21, 38)"
    cell = page.locator("table[data-table=ranking] td").first
    assert cell.evaluate("element => getComputedStyle(element).color") == "rgb(232, 237, 245)"
    page.wait_for_timeout(1500)  # the tiles grow in
    page.screenshot(path=screenshot_path("analytics-screen.png"))


def test_the_monthly_report_prints_on_a4_without_the_navigation(page, live_server, city):
    violations = _violations(page)
    login(page, live_server, "city")
    page.goto(f"{live_server.url}/analytics/report/2026-06/")
    assert page.locator("header.topbar").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    assert not page.locator(".report-nav").is_visible()
    assert page.locator("[data-issue]").inner_text().startswith("2026年第6期")
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    with open(screenshot_path("analytics-report.pdf"), "wb") as handle:
        handle.write(pdf)
    assert violations == []
