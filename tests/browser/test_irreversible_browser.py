"""Irreversible one-stop actions ask once, in a real browser, and say what happens (issue 13, point 13): a
department's rejection (approval does not ask), and an officer's revocation of a gold card."""

import pytest
from playwright.sync_api import expect

from rencai.onestop import services
from rencai.onestop.models import GoldCard, StepTask
from tests.browser.conftest import login
from tests.onestop.builders import build_services, in_progress_gold_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer_dialogs(page, accept: bool) -> list[str]:
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", answer)
    return asked


def test_a_rejection_asks_once_and_an_approval_does_not(page, live_server, world):
    onestop = build_services(world)
    application = in_progress_gold_card(onestop)
    hrss = application.steps.get(department__kind="hrss")

    login(page, live_server, "dept")
    asked = answer_dialogs(page, accept=False)
    page.goto(f"{live_server.url}/services/steps/{hrss.pk}/")
    page.check("input[name=decision][value=reject]")
    page.fill("textarea[name=reason]", "社保缴纳记录不足")
    page.click("#decide button[type=submit]")

    assert len(asked) == 1 and "终止该申请" in asked[0] and "不能撤销" in asked[0]
    expect(page.locator("textarea[name=reason]")).to_have_value("社保缴纳记录不足")  # dismissed: still here
    assert StepTask.objects.get(pk=hrss.pk).state == "pending"

    page.check("input[name=decision][value=approve]")
    page.click("#decide button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已办理")
    assert len(asked) == 1  # approving asked nothing
    assert StepTask.objects.get(pk=hrss.pk).state == "approved"


def test_revoking_a_card_says_it_stops_working_and_cannot_be_undone(page, live_server, world):
    onestop = build_services(world)
    application = in_progress_gold_card(onestop)
    for task in application.steps.all():
        services.decide_step(actor=onestop.officers[task.department.kind], task=task, approve=True)
    card = GoldCard.objects.get(talent=world.talent_a)

    login(page, live_server, "county")
    asked = answer_dialogs(page, accept=True)
    page.goto(f"{live_server.url}/services/cards/{card.pk}/")
    page.fill("textarea[name=reason]", "人才已调离衢州")
    page.click("button[name=revoke]")

    expect(page.locator("[data-revoked]")).to_contain_text("人才已调离衢州")
    assert len(asked) == 1 and "核验将失败" in asked[0] and "不能恢复" in asked[0]
