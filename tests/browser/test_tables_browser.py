"""List tables in a real browser: short columns never break one character per line, a wide table scrolls
inside its wrapper instead of squeezing, and the policy list fits a 390-pixel phone as cards."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from rencai.policies.models import Policy, PolicyVersion
from tests.browser.conftest import login, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

# Cells (other than those meant to wrap, .long) whose text runs over more than one line
WRAPPED_CELLS = """table => [...table.querySelectorAll('th, td:not(.long)')].filter(cell => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    return tops.size > 1;
}).map(cell => cell.textContent.trim())"""


def page_overflows(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


@pytest.fixture
def long_policies(world):
    """Two policies with long names and a budget in the millions, as the city issues them."""
    for code, name in [
        ("settlement-subsidy", "衢州市高层次人才安家补贴（购房补贴与租房补贴）实施细则"),
        ("doctor-living-allowance", "衢州市引进博士研究生生活津贴发放办法"),
    ]:
        policy = Policy.objects.create(
            code=code,
            name=name,
            region=world.regions["330800"],
            kind="subsidy",
            budget_total=Decimal("1800000"),
        )
        PolicyVersion.objects.create(
            policy=policy,
            number=1,
            effective_from=dt.date(2017, 1, 1),
            eligibility_rule='talent.tier == "D"',
            amount_rule="30000",
            status="issued",
        )


def test_the_policy_list_fits_a_phone_as_cards_with_money_and_no_codes(
    page, live_server, world, long_policies
):
    page.set_viewport_size(PHONE)
    login(page, live_server, "city")

    page.goto(f"{live_server.url}/policies/")

    rows = page.locator("table.policies tr[data-policy]")
    expect(rows).to_have_count(2)
    page.screenshot(path=screenshot_path("policy-list-phone.png"), full_page=True)
    assert not page_overflows(page), "the policy list is wider than the phone"
    card = rows.filter(has_text="安家补贴")
    box = card.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    expect(card.locator("[data-budget]")).to_contain_text("0.00 元 / 1,800,000.00 元")
    label = card.locator("[data-budget]").evaluate("e => getComputedStyle(e, '::before').content")
    assert label == '"预算已用 / 剩余"'  # on a card each value says what it is
    expect(page.locator("table.policies")).not_to_contain_text("settlement-subsidy")
    expect(page.locator("table.policies")).not_to_contain_text("doctor-living-allowance")


def test_the_policy_list_on_a_laptop_keeps_short_columns_on_one_line(page, live_server, world, long_policies):
    login(page, live_server, "city")

    page.goto(f"{live_server.url}/policies/")

    expect(page.locator("table.policies tr[data-policy]")).to_have_count(2)
    assert page.eval_on_selector("table.policies", WRAPPED_CELLS) == []
    assert not page_overflows(page)


def test_a_narrow_talent_list_scrolls_in_its_frame_instead_of_breaking_its_columns(page, live_server, world):
    page.set_viewport_size(PHONE)
    login(page, live_server, "county")

    page.goto(f"{live_server.url}/registry/talents/")

    expect(page.locator("tr[data-talent-id]")).to_have_count(2)
    page.screenshot(path=screenshot_path("talent-list-phone.png"), full_page=True)
    assert page.eval_on_selector("table.talents", WRAPPED_CELLS) == []
    assert not page_overflows(page), "the page scrolls sideways: the table should scroll in its frame"
    frame = page.locator(".table-scroll").first
    assert frame.evaluate("e => e.scrollWidth > e.clientWidth")  # the table is wider, and scrolls


@pytest.mark.parametrize(
    "path", ["/registry/enterprises/", "/registry/platforms/", "/registry/academicians/"]
)
def test_other_registry_lists_keep_short_columns_on_one_line_on_a_phone(page, live_server, world, path):
    page.set_viewport_size(PHONE)
    login(page, live_server, "county")

    page.goto(f"{live_server.url}{path}")

    assert page.eval_on_selector(".table-scroll table", WRAPPED_CELLS) == []
    assert not page_overflows(page)
