"""The demo walk (issue 13's acceptance): every demo account signs in, opens its home page, every entry of
its navigation and every page its home page links to, on a laptop and on a phone. No page answers 4xx/5xx,
the browser logs no error, and no page is wider than the screen.

The demo is built as `make demo` builds it (registry, policies, matching, services, offers), with the
fewest talents the demo allows, so that the walk runs in about a minute.
"""

import io
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command

from rencai.onestop.demo import DEPARTMENT_ACCOUNTS
from rencai.registry.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, MIN_TALENTS
from tests.browser.conftest import login, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACCOUNTS = [username for username, _role, _name in DEMO_ACCOUNTS] + [
    username for username, *_rest in DEPARTMENT_ACCOUNTS
]
SCREENS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def build_demo() -> None:
    out = io.StringIO()
    call_command("demo", "--talents", str(MIN_TALENTS), stdout=out)
    for command in ("demo_policies", "match", "demo_services", "offers"):
        call_command(command, stdout=out)


@dataclass
class Walk:
    """What went wrong on the way, one line per problem, naming the account, the screen and the page."""

    problems: list[str] = field(default_factory=list)
    pages: int = 0
    where: str = ""

    def listen(self, page) -> None:
        page.on("console", lambda m: self.note(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda error: self.note(f"script error: {error}"))
        page.on("response", lambda r: self.note(f"{r.status} {r.url}") if r.status >= 400 else None)

    def note(self, problem: str) -> None:
        self.problems.append(f"{self.where}: {problem}")


def visit(page, walk: Walk, url: str, screen: str) -> None:
    walk.where = f"{screen} {url}"
    response = page.goto(url)
    walk.pages += 1
    if response is None or response.status >= 400:
        return  # the response listener has noted it
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if widths[0] > widths[1]:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                 .slice(0, 3).map(e => e.tagName + '.' + e.className + (e.id ? '#' + e.id : ''))"""
        )
        walk.note(f"page {widths[0]}px wide on a {widths[1]}px screen ({', '.join(wide)})")
        page.screenshot(path=screenshot_path(f"walk-too-wide-{screen}-{len(walk.problems)}.png"))


# The chart's bars open the talent list under one filter each: the tiles' links already open that page
ONE_CLICK = "nav.mainnav a, main a[href^='/']:not(.chart-bars a)"


def pages_of(page, selector: str = ONE_CLICK) -> list[str]:
    """The home page, every navigation entry, and every page the home page's panels link to (tiles, the
    card, the queue, the account pages), each once: what a person signing in reaches in one click."""
    links = page.eval_on_selector_all(selector, "links => links.map(a => a.getAttribute('href'))")
    paths = ["/"]
    for href in links:
        path = href.split("#", 1)[0]
        if path not in paths:
            paths.append(path)
    return paths


def test_every_demo_account_walks_its_pages_on_a_laptop_and_a_phone_without_a_fault(page, live_server):
    build_demo()
    walk = Walk()
    walk.listen(page)
    for username in ACCOUNTS:
        page.set_viewport_size(SCREENS["desktop"])
        walk.where = f"{username} signing in"
        login(page, live_server, username, DEMO_PASSWORD)
        # Every page on the phone, where widths go wrong; the menu's pages again on the laptop (what fails
        # with a status or a script error fails on any screen, so the home page's other links once suffice)
        pages = {"desktop": pages_of(page, "nav.mainnav a"), "phone": pages_of(page)}
        for screen, size in SCREENS.items():
            page.set_viewport_size(size)
            for path in pages[screen]:
                visit(page, walk, f"{live_server.url}{path}", f"{username} {screen}")
        page.context.clear_cookies()

    assert walk.pages >= len(ACCOUNTS) * 2 * 2  # every account saw at least its home and its inbox twice
    assert walk.problems == [], "\n".join(walk.problems)
