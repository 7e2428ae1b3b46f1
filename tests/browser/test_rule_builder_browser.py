"""A county officer builds a policy's rule from rows in a real browser, never typing the rule language:
学历 不低于 硕士 且 年龄 不超过 35 且 所在县 属于 江山市, amounts by tier; the generated rule shows beside
the form as they go, the draft saves it, and issuing asks first and says what happens."""

import pytest
from playwright.sync_api import expect

from rencai.policies.models import Policy, PolicyVersion
from tests.browser.conftest import login, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settled(page) -> None:
    """Wait until htmx has no request out and has settled what it swapped in: a control drawn by a swap
    answers events only once settled (some 20 ms later), sooner than any person acts but not any test."""
    expect(page.locator(".htmx-request, .htmx-added, .htmx-settling, .htmx-swapping")).to_have_count(0)


RULE = 'talent.degree_level >= 3 && talent.age <= 35 && talent.region == "330881"'
AMOUNT = 'talent.tier == "A" ? 30000 : (talent.tier == "B" ? 20000 : 10000)'


def test_county_officer_builds_a_rule_from_rows_saves_and_issues_it(page, live_server, world):
    policy = Policy.objects.create(
        code="jiangshan-young-masters", name="江山市青年硕士补贴", region=world.county_a, kind="subsidy"
    )
    login(page, live_server, "county")
    page.goto(f"{live_server.url}/policies/{policy.pk}/")
    page.click("text=新建草稿版本")
    page.wait_for_load_state()  # htmx has taken over the page's controls

    expect(page.locator("#mode-form")).to_have_attribute("aria-pressed", "true")
    page.select_option("select[name=g0c0-field]", "degree")  # the row redraws with its comparison and values
    expect(page.locator("select[name=g0c0-op]")).to_have_value("at_least")
    settled(page)
    page.select_option("select[name=g0c0-value]", "master")

    page.click("#add-g0")
    settled(page)
    page.select_option("select[name=g0c1-field]", "age")
    settled(page)
    expect(page.locator("select[name=g0c1-op] option:checked")).to_have_text("不超过")
    page.fill("input[name=g0c1-value]", "35")

    page.click("#add-g0")
    settled(page)
    page.select_option("select[name=g0c2-field]", "region")
    settled(page)
    jiangshan = page.locator("tr[data-row=g0c2] label", has_text="江山市")
    expect(page.locator("tr[data-row=g0c2] .choices")).to_contain_text("龙游县")  # counties by name
    jiangshan.locator("input").check()

    page.select_option("#amount-by", "tier")
    settled(page)
    page.fill("#amount-v-A", "30000")
    page.fill("#amount-v-B", "20000")
    page.fill("#amount-other", "10000")

    # the rule the rows make, beside them, kept up to date as the officer goes
    expect(page.locator("[data-generated=eligibility_rule]")).to_have_text(RULE)
    expect(page.locator("[data-generated=amount_rule]")).to_have_text(AMOUNT)
    expect(page.locator("#rule-preview .rule-ok[data-field=eligibility_rule]")).to_contain_text("规则有效")
    page.screenshot(path=screenshot_path("policies-rule-builder.png"), full_page=True)

    page.click("#save-draft")
    expect(page.locator(".messages")).to_contain_text("已保存草稿第 1 版")
    draft = PolicyVersion.objects.get(policy=policy)
    assert (draft.status, draft.eligibility_rule, draft.amount_rule) == ("draft", RULE, AMOUNT)
    expect(page.locator("select[name=g0c2-field]")).to_have_value("region")  # the draft reopens as rows

    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("#issue-button")
    expect(page.locator("#issue-button")).to_be_visible()
    draft.refresh_from_db()
    assert draft.status == "draft" and "已发布的版本不能修改，只能由新版本替代或撤回" in asked[0]

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#issue-button")
    expect(page.locator(".messages")).to_contain_text("第 1 版已发布")
    draft.refresh_from_db()
    assert draft.status == "issued"
    row = page.locator("#versions tr[data-version='1']")
    expect(row).to_contain_text("学历 不低于 硕士 且 年龄 不超过 35 且 所在县（市、区） 属于 江山市")
    expect(row).to_contain_text("人才类别：A类 30,000.00 元")
