"""The home page in real Chromium: the talents chart draws and opens the list it counts; the first Tab stop
of a page is the skip link, which shows itself and lands on the main content."""

import pytest

from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_city_chart_draws_talents_by_county_and_a_bar_opens_that_county(page, live_server, world):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.emulate_media(reduced_motion="reduce")  # the bars stand still (dashboard.js honours the wish)
    login(page, live_server, "city")

    page.wait_for_selector("#chart-talents canvas")
    labels = page.evaluate("JSON.parse(document.getElementById('talent-chart-data').textContent).labels")
    assert labels == ["龙游县", "江山市"]
    # ECharts draws on a canvas: click just inside the end of the second bar (Jiangshan, 2 talents), once
    # the chart answers for that point
    end_of_bar = """() => {
        const chart = echarts.getInstanceByDom(document.getElementById('chart-talents'));
        const [x, y] = chart.convertToPixel({seriesIndex: 0}, [2, 1]);
        const hover = chart.getZr().handler.findHover(x - 4, y);
        return hover && hover.target ? [x - 4, y] : null;
    }"""
    at = page.wait_for_function(end_of_bar).json_value()
    box = page.locator("#chart-talents").bounding_box()
    page.mouse.click(box["x"] + at[0], box["y"] + at[1])
    page.wait_for_url(lambda url: url.endswith("/registry/talents/?status=active&region=330881"))
    assert page.locator("[data-total]").get_attribute("data-total") == "2"
    assert errors == []


def test_the_skip_link_is_the_first_tab_stop_and_moves_to_the_main_content(page, live_server, world):
    login(page, live_server, "county")
    page.goto(f"{live_server.url}/registry/talents/")

    page.keyboard.press("Tab")

    focused = page.evaluate("[document.activeElement.className, document.activeElement.textContent]")
    assert focused == ["skip-link", "跳到主要内容"]
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0  # on screen while focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    # the next Tab reaches the search box (it took 15 through the menu before), not the menu again
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.querySelector('main').contains(document.activeElement), document.activeElement.name]"
    )
    assert focused == [True, "q"]


def test_the_skip_link_is_off_screen_until_focused(page, live_server, world):
    login(page, live_server, "talent")

    box = page.locator(".skip-link").bounding_box()

    assert box is None or box["y"] + box["height"] <= 0
