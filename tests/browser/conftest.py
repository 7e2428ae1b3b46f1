"""Browser-test fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Use in a test module:

    pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

    def test_something(page, live_server, world):
        login(page, live_server, "county")
        ...
        page.screenshot(path=screenshot_path("my-page.png"), full_page=True)
"""

import os
from pathlib import Path

import pytest

from rencai.core import access
from tests.factories import PASSWORD, give_authenticator, totp_code

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls next to a running loop
# unless told the caller knows what it does (the test thread only reads and the server runs in its own).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("RENCAI_CHROMIUM", "/usr/bin/chromium")
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"


def screenshot_path(name: str) -> str:
    """Where a browser test saves a screenshot: `test-results/<name>` at the repository root."""
    RESULTS_DIR.mkdir(exist_ok=True)
    return str(RESULTS_DIR / name)


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole run (a new, isolated context per test)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh page (own cookies, Chinese locale, laptop-sized window); failures time out after 10 s."""
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def login(page, live_server, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form as a person would, and wait for the home page. A privileged account
    (officer, reviewer, administrator) then types the code its authenticator shows (a real TOTP device,
    given to it here if it has none)."""
    from rencai.accounts.models import User

    user = User.objects.get(username=username)
    device = give_authenticator(user) if access.is_privileged(user) else None
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    if device is not None:
        page.wait_for_url(f"{live_server.url}/accounts/2fa/verify/**")
        page.fill("input[name=code]", totp_code(device))
        page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")
