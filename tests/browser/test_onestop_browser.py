"""The one-stop path in a real browser, as people walk it: a talent applies for the gold card with a material
missing, the window returns it with one notice, the talent completes it, two departments approve in parallel,
the card is issued, a provider verifies its QR token, an officer revokes the card and the check then fails."""

import os

import pytest
from playwright.sync_api import expect

from rencai.onestop.models import Application, CardVerification, CorrectionNotice, GoldCard
from tests.browser.conftest import login, screenshot_path
from tests.onestop.builders import build_services

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def person(chromium, live_server):
    """A signed-in browser of its own (cookies and all) for each person in the story."""
    contexts = []

    def sign_in(username: str, *, mobile: bool = False):
        viewport = {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900}
        context = chromium.new_context(locale="zh-CN", viewport=viewport)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        login(page, live_server, username)
        return page

    yield sign_in
    for context in contexts:
        context.close()


def test_gold_card_from_application_to_revocation(person, live_server, world):
    onestop = build_services(world)
    base = f"{live_server.url}/services"

    # 1. The talent applies with one form: gives two materials, leaves the talent certificate out.
    talent = person("talent", mobile=True)
    talent.goto(f"{base}/")
    talent.click("article[data-item=gold_card] a.button")
    expect(talent.locator("[data-eligibility=yes]")).to_contain_text("符合申请条件")
    expect(talent.locator("[data-missing]")).to_have_count(3)
    talent.fill("input[name=ref_id_copy]", "电子证照 330881-ID")
    talent.fill("input[name=ref_photo]", "照片 2026-11")
    talent.click("#apply-form button[type=submit]")
    expect(talent.locator("h1 [data-state]")).to_have_text("已提交")
    application = Application.objects.get(talent=world.talent_a)

    # 2. The window officer returns it once, with the one notice listing what is missing.
    window = person("county")
    window.goto(f"{base}/window/")
    window.click(f"tr[data-application='{application.pk}'] a")
    expect(window.locator("[data-material=talent_certificate]")).to_have_attribute("data-present", "no")
    window.click("button[name=accept]")
    expect(window.locator(".messages")).to_contain_text("材料不齐")
    # the checklist comes with the missing material already ticked; the officer adds what else is wrong
    expect(window.locator("select[name=problem_talent_certificate]")).to_have_value("missing")
    window.select_option("select[name=problem_photo]", "wrong")
    window.fill("input[name=note_photo]", "需白底证件照")
    window.fill("textarea[name=note]", "请补齐后在线提交，无需到窗口")
    window.click("button[name=return]")
    expect(window.locator("[data-notice]")).to_contain_text("人才类别认定证明")
    expect(window.locator("#return-form")).to_have_count(0)  # one notice, no second return
    notice = CorrectionNotice.objects.get(application=application)
    assert {item["material_type"] for item in notice.items} == {"talent_certificate", "photo"}

    # 3. The talent sees the whole notice at once and completes it online.
    talent.goto(f"{base}/mine/")
    notice_box = talent.locator(f"article[data-application='{application.pk}'] [data-notice]")
    expect(notice_box).to_contain_text("人才类别认定证明")
    expect(notice_box).to_contain_text("需白底证件照")
    notice_box.locator("a.button").click()
    talent.fill("input[name=ref_talent_certificate]", "衢人才认〔2019〕D-0142")
    talent.fill("input[name=ref_photo]", "白底照片 2026-11")
    talent.click("#resubmit button[type=submit]")
    expect(talent.locator("h1 [data-state]")).to_have_text("补正后提交")

    # 4. The same officer accepts; both departments' steps open at once.
    window.goto(f"{base}/window/")
    window.click(f"tr[data-application='{application.pk}'] a")
    window.click("button[name=accept]")
    expect(window.locator("h1 [data-state]")).to_have_text("部门办理中")
    expect(window.locator("tr[data-step-state=pending]")).to_have_count(2)

    # 5. Two departments approve in parallel, each from its own queue.
    for username in ("dept", onestop.officers["org"].username):
        officer = person(username)
        officer.goto(f"{base}/steps/")
        officer.locator("tr[data-task] a.button").first.click()
        officer.check("input[name=decision][value=approve]")
        officer.click("#decide button[type=submit]")
        expect(officer.locator(".messages")).to_contain_text("已办理")
    application.refresh_from_db()
    assert application.state == "completed"

    # 6. The card is issued: the talent opens it on the phone and the QR code carries the signed token.
    talent.goto(f"{base}/mine/")
    expect(talent.locator(f"article[data-application='{application.pk}']")).to_contain_text("已办结")
    talent.goto(f"{base}/cards/mine/")
    card = GoldCard.objects.get(talent=world.talent_a)
    expect(talent.locator(".gold-card .number")).to_have_text(card.card_number)
    expect(talent.locator(".gold-card [data-qr] svg")).to_be_visible()
    expect(talent.locator("[data-unread]")).to_be_visible()  # the card's issue reached the talent's inbox
    token = talent.locator("[data-token]").text_content().strip()
    talent.screenshot(path=screenshot_path("onestop-card.png"), full_page=True)

    # 7. A provider pastes the scanned token: valid.
    provider = person("provider")
    provider.goto(f"{base}/provider/")
    provider.fill("textarea[name=token]", token)
    provider.click("button[name=verify]")
    expect(provider.locator("[data-result]")).to_have_attribute("data-result", "ok")
    expect(provider.locator("#verify")).to_contain_text(card.card_number)

    # 8. An officer revokes the card with a reason.
    window.goto(f"{base}/cards/?q={card.card_number}")
    window.click(f"tr[data-card='{card.card_number}'] a")
    window.fill("textarea[name=reason]", "人才已调离衢州")
    window.once("dialog", lambda dialog: dialog.accept())  # it asks once: the card stops working for good
    window.click("button[name=revoke]")
    expect(window.locator("[data-revoked]")).to_contain_text("人才已调离衢州")

    # 9. The same token now fails verification, and the provider's log shows both checks.
    provider.goto(f"{base}/provider/")
    provider.fill("textarea[name=token]", token)
    provider.click("button[name=verify]")
    expect(provider.locator("[data-result]")).to_have_attribute("data-result", "revoked")
    expect(provider.locator("[data-result]")).to_contain_text("人才金卡已注销")
    expect(provider.locator("tr[data-log]")).to_have_count(2)
    expect(provider.locator("tr[data-log=revoked]")).to_contain_text("已注销")
    expect(provider.locator("tr[data-log=ok]")).to_contain_text("有效")
    provider.screenshot(path=screenshot_path("onestop-browser.png"), full_page=True)
    assert list(CardVerification.objects.order_by("verified_at").values_list("result", flat=True)) == [
        "ok",
        "revoked",
    ]
