"""In real Chromium the Content-Security-Policy blocks nothing Rencai itself needs: the charts draw, the
confirm dialog asks, htmx validates rules — and the browser reports no violation on the way."""

import pytest

from tests.browser.conftest import login
from tests.onestop.builders import build_services, submitted_gold_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _violations(page) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return seen


def test_dashboard_charts_and_the_withdraw_confirm_work_under_the_policy(page, live_server, world):
    onestop = build_services(world)
    application = submitted_gold_card(onestop)
    violations = _violations(page)

    login(page, live_server, "talent")
    page.goto(f"{live_server.url}/services/applications/{application.pk}/")
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("button[data-confirm]")
    assert asked == ["撤回后该申请即终止办理，不能恢复；如仍需办理，须重新申请。确定撤回？"]
    application.refresh_from_db()
    assert application.state == "submitted"  # dismissed: nothing was withdrawn

    page.context.clear_cookies()
    login(page, live_server, "city")
    page.goto(f"{live_server.url}/services/dashboard/")
    page.wait_for_selector("#chart-departments canvas")
    page.goto(f"{live_server.url}/registry/talents/")
    assert violations == []
