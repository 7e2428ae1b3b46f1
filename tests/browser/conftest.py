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

from tests.factories import PASSWORD

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
    """Sign in through the login form as a person would, and wait for the home page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
