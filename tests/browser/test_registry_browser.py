"""The registry in a real browser: a county officer signs in, searches, opens a talent, reveals an ID number
(htmx, audited) and is refused another county's talent."""

import re

import pytest
from playwright.sync_api import expect

from rencai.core import crypto
from rencai.core.models import AuditEntry
from tests.browser.conftest import login, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_officer_searches_opens_reveals_and_is_refused_another_county(page, live_server, world):
    jiangshan, longyou = world.talent_a, world.talent_b
    full_id = crypto.decrypt(jiangshan.id_number_ciphertext)
    login(page, live_server, "county")

    page.goto(f"{live_server.url}/registry/talents/")
    # The stylesheet and htmx came from the static files, not a CDN.
    assert page.eval_on_selector(".topbar", "e => getComputedStyle(e).backgroundColor") == "rgb(183, 28, 28)"
    assert page.evaluate("typeof window.htmx") == "object"
    rows = page.locator("tr[data-talent-id]")
    expect(rows).to_have_count(2)
    expect(page.locator("table.talents")).not_to_contain_text("龙游丙")

    page.fill("input[name=q]", "江山甲")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"q=%E6%B1%9F%E5%B1%B1%E7%94%B2"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(jiangshan.id_number_masked)
    page.screenshot(path=screenshot_path("registry-browser-list.png"), full_page=True)
    page.click(f"tr[data-talent-id='{jiangshan.pk}'] a")

    page.wait_for_url(f"{live_server.url}/registry/talents/{jiangshan.pk}/")
    expect(page.locator("h1")).to_contain_text("江山甲")
    card = page.locator(f"section[data-talent-id='{jiangshan.pk}']")
    expect(card).to_contain_text("江山天蓬测试集团")
    expect(card).to_contain_text("专业技术人才")
    expect(page.locator("[data-masked=id_number]")).to_have_text(jiangshan.id_number_masked)
    assert full_id not in page.content()
    page.screenshot(path=screenshot_path("registry-browser.png"), full_page=True)

    page.click("button[data-reveal=id_number]")
    expect(page.locator("[data-revealed=id_number]")).to_have_text(full_id)
    entry = AuditEntry.objects.get(action="pii.reveal")
    assert (entry.actor_id, entry.object_id) == (world.users["county_org_dept"].pk, str(jiangshan.pk))

    response = page.goto(f"{live_server.url}/registry/talents/{longyou.pk}/")
    assert response.status == 404
    expect(page.locator("[data-error-code=not_found]")).to_contain_text("对象不存在或无权查看")
    assert "龙游丙" not in page.content()
    assert longyou.id_number_masked not in page.content()
