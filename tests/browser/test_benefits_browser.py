"""One benefit, one story, in a real browser: a talent confirms on 我的政策红利 and reads the same state on
我的办事; declines there through the confirmation dialog, and a stale 我的政策红利 tab can no longer send the
declined benefit to the education bureau's queue."""

import pytest
from playwright.sync_api import expect

from rencai.onestop import services
from rencai.onestop.models import Application, StepTask
from rencai.policies.matching import run_match
from rencai.policies.models import Entitlement
from tests.browser.conftest import login, screenshot_path
from tests.onestop.builders import build_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def offered(world):
    onestop = build_services(world)
    talent = world.talent_a
    talent.tier = "B"
    talent.save()
    run_match()
    services.offers_from_entitlements()
    return onestop


@pytest.fixture
def browser_of(chromium, live_server):
    """A signed-in browser context of its own for each person (or each tab of one person)."""
    contexts = []

    def open_as(username: str):
        context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        login(page, live_server, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def _line(page, policy_code: str):
    return page.locator(f"article[data-policy='{policy_code}']")


def test_confirm_on_one_page_the_same_state_on_the_other_and_decline_with_a_second_look(
    browser_of, live_server, offered
):
    talent = browser_of("talent")
    benefits_url, services_url = f"{live_server.url}/policies/mine/", f"{live_server.url}/services/mine/"

    # 1. Confirming the housing loan on 我的政策红利 sends it to the departments: 办理中, not 已兑现.
    talent.goto(benefits_url)
    loan = _line(talent, "housing-loan")
    expect(loan.locator("[data-benefit-state]")).to_have_text("待确认")
    loan.locator("button[data-answer=confirm]").click()
    expect(talent.locator(".messages")).to_contain_text("部门办理中")
    expect(loan.locator("[data-benefit-state]")).to_have_text("办理中")
    state_here = loan.locator("[data-benefit-state]").inner_text()
    detail_here = loan.locator("[data-detail]").inner_text()
    assert "已兑现" not in loan.inner_text()

    # 2. 我的办事 tells the same story in the same words.
    talent.goto(services_url)
    loan_there = _line(talent, "housing-loan")
    expect(loan_there.locator("[data-benefit-state]")).to_have_text(state_here)
    expect(loan_there.locator("[data-detail]")).to_have_text(detail_here)
    expect(loan_there.locator("[data-step=hrss]")).to_have_count(1)

    # A second tab still shows 我的政策红利 from before the voucher is declined.
    stale = browser_of("talent")
    stale.goto(benefits_url)
    expect(_line(stale, "education-voucher").locator("button[data-answer=confirm]")).to_be_visible()

    # 3. 放弃 asks first and says what happens; dismissing changes nothing.
    voucher = _line(talent, "education-voucher")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    talent.once("dialog", dismiss)
    voucher.locator("button[data-answer=decline]").click()
    expect(voucher.locator("[data-benefit-state]")).to_have_text("待确认")
    assert "退回政策预算" in asked[0] and "恢复领取" in asked[0]

    talent.once("dialog", lambda dialog: dialog.accept())
    voucher.locator("button[data-answer=decline]").click()
    expect(talent.locator(".messages")).to_contain_text("已放弃")
    expect(voucher.locator("[data-benefit-state]")).to_have_text("已放弃")
    expect(voucher.locator("button[data-answer=reclaim]")).to_be_visible()
    talent.screenshot(path=screenshot_path("benefits-declined.png"), full_page=True)

    # 4. The stale tab's confirm is refused; the education bureau's queue never gets the voucher.
    stale_voucher = _line(stale, "education-voucher")
    stale_voucher.locator("input[name=child_name]").fill("江小宇")
    stale_voucher.locator("button[data-answer=confirm]").click()
    expect(stale.locator(".messages")).to_contain_text("只有待确认的政策红利可以确认或放弃")
    expect(_line(stale, "education-voucher").locator("[data-benefit-state]")).to_have_text("已放弃")
    entitlement = Entitlement.objects.get(talent=offered.world.talent_a, policy__code="education-voucher")
    application = Application.objects.get(entitlement=entitlement)
    assert (application.state, entitlement.status) == ("withdrawn", "declined")
    assert not StepTask.objects.filter(application=application).exists()

    bureau = browser_of("js_education")
    bureau.goto(f"{live_server.url}/services/steps/")
    expect(bureau.locator("h1")).to_be_visible()
    assert offered.world.talent_a.name not in bureau.locator("main").inner_text()

    # 5. Undo: 恢复领取 offers it again, on both pages.
    talent.goto(benefits_url)
    _line(talent, "education-voucher").locator("button[data-answer=reclaim]").click()
    expect(_line(talent, "education-voucher").locator("[data-benefit-state]")).to_have_text("待确认")
    talent.goto(services_url)
    expect(_line(talent, "education-voucher").locator("[data-benefit-state]")).to_have_text("待确认")
