"""A county officer redefines the city's gold card item for the county in a real browser: starts from the
city's item, makes a mistake in the steps table, reads the error on the row, fixes it and saves."""

import pytest
from playwright.sync_api import expect

from rencai.onestop.models import ServiceItem
from rencai.onestop.selectors import item_in_region
from tests.browser.conftest import login, screenshot_path
from tests.onestop.builders import build_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_redefines_the_city_item(page, live_server, world):
    onestop = build_services(world)
    login(page, live_server, "county")
    page.click("nav.mainnav >> text=服务事项")
    row = page.locator("tr[data-item-row=gold_card][data-region='330800']")
    expect(row).to_have_attribute("data-editable", "no")
    row.locator("a[data-override]").click()

    expect(page.locator("input[name=code]")).to_have_value("gold_card")
    expect(page.locator("input[name='steps-0-action']")).to_have_value("人才类别核验")
    page.fill("input[name=name]", "江山人才金卡申领")
    # a third, sequential step, but numbered 3 where 2 is meant
    page.select_option("select[name='steps-2-department_kind']", "finance")
    page.fill("input[name='steps-2-group']", "3")
    page.fill("input[name='steps-2-action']", "服务经费核定")
    page.fill("input[name='steps-2-sla_working_days']", "2")
    page.click("#item-form button[type=submit]")
    expect(page.locator("[data-errors]")).to_contain_text("办理顺序应从1开始连续编号")
    assert not ServiceItem.objects.filter(region=world.county_a).exists()

    page.fill("input[name='steps-2-group']", "2")
    page.click("#item-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("服务事项已保存")
    page.screenshot(path=screenshot_path("onestop-item-form.png"), full_page=True)

    local = item_in_region("gold_card", world.county_a)
    assert local.region == world.county_a and local.name == "江山人才金卡申领"
    assert sorted(local.steps.values_list("group", "department_kind")) == [
        (1, "hrss"),
        (1, "org"),
        (2, "finance"),
    ]
    assert item_in_region("gold_card", world.county_b) == onestop.items["gold_card"]
    page.goto(f"{live_server.url}/services/items/")
    expect(page.locator("tr[data-item-row=gold_card][data-region='330881'] [data-replaces]")).to_contain_text(
        "衢州市"
    )
