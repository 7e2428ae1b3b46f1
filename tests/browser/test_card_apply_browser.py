"""Applying in a real browser (issue 13, point 6): a card holder is told so before any form; a refused
form comes back with what was typed and names the file to choose again; an enterprise with 93 employees
finds one by typing part of the name (htmx), and without JavaScript through the plain search form."""

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from rencai.onestop import services
from rencai.onestop.models import Application, GoldCard
from tests import factories
from tests.browser.conftest import login, screenshot_path
from tests.onestop.builders import build_services, in_progress_gold_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_of_this_test(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_a_card_holder_is_told_before_any_form_and_reaches_the_card(page, live_server, world):
    onestop = build_services(world)
    application = in_progress_gold_card(onestop)
    for task in application.steps.all():
        services.decide_step(actor=onestop.officers[task.department.kind], task=task, approve=True)
    card = GoldCard.objects.get(talent=world.talent_a)

    login(page, live_server, "talent")
    page.goto(f"{live_server.url}/services/")
    page.click("article[data-item=gold_card] a.button")

    notice = page.locator("[data-blocked=card_held]")
    expect(notice).to_contain_text("已持有有效的人才金卡")
    expect(notice).to_contain_text(card.card_number)
    expect(page.locator("#apply-form")).to_have_count(0)
    expect(page.locator("input[type=file]")).to_have_count(0)
    expect(page.locator("#eligibility")).not_to_contain_text("符合申请条件")
    page.screenshot(path=screenshot_path("card-held-before-form.png"), full_page=True)
    notice.locator("a").click()
    expect(page.locator(".gold-card .number")).to_have_text(card.card_number)


def test_a_refused_form_keeps_what_was_typed_and_names_the_file_to_choose_again(
    page, live_server, world, tmp_path
):
    build_services(world)
    world.talent_a.tier = "C"
    world.talent_a.save()
    certificate = tmp_path / "人才认定书.pdf"
    certificate.write_bytes(b"%PDF-1.4\n%%EOF\n")

    login(page, live_server, "talent")
    page.goto(f"{live_server.url}/services/apply/education_voucher/")
    page.fill("input[name=child_name]", "   ")  # passes the browser's check, not the server's
    page.fill("input[name=ref_id_copy]", "电子证照 330881-ID")
    page.fill("input[name=ref_child_household]", "户口簿第 3 页")
    page.set_input_files("input[name=file_talent_certificate]", str(certificate))
    page.click("#apply-form button[type=submit]")

    expect(page.locator("[data-choose-again]")).to_contain_text("人才类别认定证明：人才认定书.pdf")
    expect(page.locator("input[name=ref_id_copy]")).to_have_value("电子证照 330881-ID")
    expect(page.locator("input[name=ref_child_household]")).to_have_value("户口簿第 3 页")
    assert not Application.objects.exists()
    page.screenshot(path=screenshot_path("apply-refused-kept.png"), full_page=True)

    # only what the notice names is done again
    page.fill("input[name=child_name]", "江小宇")
    page.set_input_files("input[name=file_talent_certificate]", str(certificate))
    page.click("#apply-form button[type=submit]")
    expect(page.locator("h1 [data-state]")).to_have_text("已提交")
    application = Application.objects.get()
    assert application.form_data == {"child_name": "江小宇"}
    given = {used.material_type.code: used.material for used in application.materials.all()}
    assert given["id_copy"].reference == "电子证照 330881-ID"
    assert given["talent_certificate"].display_name == "人才认定书.pdf"


@pytest.fixture
def ninety_three_employees(world):
    """enterprise_a employs talent_a and 92 more."""
    for n in range(92):
        factories.make_talent(world.county_a, name=f"员工{n:02d}号", current_employer=world.enterprise_a)


def test_an_enterprise_finds_its_employee_by_typing_part_of_the_name(
    page, live_server, world, ninety_three_employees
):
    build_services(world)

    login(page, live_server, "ent")
    page.goto(f"{live_server.url}/services/")
    expect(page.locator("[data-employee-total]")).to_have_attribute("data-employee-total", "93")
    expect(page.locator("li[data-employee]")).to_have_count(20)
    page.fill("#employee-q", "员工4")  # htmx asks the server as one types
    expect(page.locator("li[data-employee]")).to_have_count(10)
    page.fill("#employee-q", "员工47")
    expect(page.locator("li[data-employee]")).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/services/")  # the page stayed, the list changed
    page.screenshot(path=screenshot_path("employee-search.png"), full_page=True)
    page.click("li[data-employee] a")
    expect(page.locator("main")).to_contain_text("申请人：员工47号")
    expect(page.locator("article[data-item=gold_card] a.button")).to_be_visible()


def test_the_employee_search_works_without_javascript(chromium, live_server, world, ninety_three_employees):
    build_services(world)
    context = chromium.new_context(locale="zh-CN", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, live_server, "ent")
        page.goto(f"{live_server.url}/services/")
        page.fill("#employee-q", world.talent_a.name)
        page.click("#employee-picker button")
        expect(page).to_have_url(f"{live_server.url}/services/?q={quote(world.talent_a.name)}")
        expect(page.locator("li[data-employee]")).to_have_count(1)
        page.click("li[data-employee] a")
        expect(page.locator("main")).to_contain_text(f"申请人：{world.talent_a.name}")
    finally:
        context.close()
