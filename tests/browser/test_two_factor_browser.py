"""The second factor in a real browser: a county officer enrols an authenticator at the first sign-in (QR code
and secret, a real TOTP code), keeps the recovery codes, and types a fresh code at the next sign-in."""

import base64
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from rencai.accounts import two_factor
from tests.browser.conftest import screenshot_path
from tests.factories import PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def type_password(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_officer_enrols_an_authenticator_then_signs_in_with_a_code(page, live_server, world):
    officer = world.users["county_org_dept"]

    type_password(page, live_server, "county")
    page.wait_for_url(f"{live_server.url}/accounts/2fa/setup/**")
    expect(page.locator("figure.qr svg")).to_be_visible()
    secret = page.inner_text("[data-totp-secret]").replace(" ", "")
    page.screenshot(path=screenshot_path("two-factor-setup.png"), full_page=True)
    totp = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8)))
    totp.time = time.time()
    page.fill("input[name=code]", f"{totp.token():06d}")
    page.click("button[type=submit].primary")

    page.wait_for_url(f"{live_server.url}/accounts/2fa/recovery-codes/**")
    expect(page.locator("[data-recovery-code]")).to_have_count(10)
    page.click("[data-continue]")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("h1")).to_contain_text("您好")

    page.locator("form[action='/accounts/logout/'] button").first.click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    type_password(page, live_server, "county")
    page.wait_for_url(f"{live_server.url}/accounts/2fa/verify/**")
    page.goto(f"{live_server.url}/registry/talents/")  # every page waits for the second factor
    page.wait_for_url(f"{live_server.url}/accounts/2fa/verify/**")
    page.fill("input[name=code]", totp_code(two_factor.authenticator_of(officer)))
    page.click("button[type=submit].primary")

    page.wait_for_url(f"{live_server.url}/registry/talents/")
    expect(page.locator("tr[data-talent-id]")).to_have_count(2)
