"""Long jobs in a real browser: the city officer runs matching and follows it to its summary without
reloading, and cannot start it twice; a county officer's large import shows its progress and then its
report. The task worker's own code runs the jobs, in this process."""

import csv
import datetime as dt
import io

import pytest
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import expect

from rencai.core.models import Job, JobKind
from rencai.policies.models import MatchRun, Policy, PolicyVersion
from rencai.registry.models import Talent
from tests import factories
from tests.browser.conftest import login, screenshot_path
from tests.core.test_jobs import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_run_matching_shows_the_job_until_its_summary_without_reload_and_cannot_start_twice(
    page, live_server, world
):
    policy = Policy.objects.create(
        code="tier-d", name="D 类补贴", region=world.regions["330800"], kind="subsidy"
    )
    PolicyVersion.objects.create(
        policy=policy,
        number=1,
        effective_from=dt.date(2017, 1, 1),
        eligibility_rule='talent.tier == "D"',
        amount_rule="1000",
        status="issued",
    )
    login(page, live_server, "city")
    page.goto(f"{live_server.url}/policies/")
    page.evaluate("window.sameDocument = true")  # gone if the page were reloaded

    page.click("#run-match")

    control = page.locator("#match-control")
    expect(control.locator("[data-job-state=queued]")).to_contain_text("排队中")
    expect(page.locator("#run-match")).to_be_disabled()
    expect(page.locator("#run-match")).to_have_text("匹配进行中")
    page.screenshot(path=screenshot_path("jobs-match-queued.png"), full_page=True)

    # a second start from the same page (a double click, another tab) meets the job under way
    status = page.evaluate(
        """async () => {
            const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
            const headers = {"X-CSRFToken": token};
            const response = await fetch("/policies/match/", {method: "POST", headers: headers});
            return response.status;
        }"""
    )
    assert status == 200  # followed the redirect back to the list
    assert Job.objects.count() == 1 and DBTaskResult.objects.count() == 1

    run_worker()

    expect(control.locator("[data-job-state=done]")).to_contain_text(
        "完成：新发要约 1，直接兑现 0，预算排队 0，待复核 0", timeout=5000
    )
    assert page.evaluate("window.sameDocument") is True
    assert MatchRun.objects.count() == 1
    page.screenshot(path=screenshot_path("jobs-match-done.png"), full_page=True)


def _talents_csv(count: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "所在地区", "人才队伍", "人才类别", "学历", "到衢日期"])
    for i in range(count):
        number = factories.make_id_number("330881", dt.date(1980, 1, 1) + dt.timedelta(days=i))
        writer.writerow([f"批量{i}", number, "江山市", "专业技术人才", "D", "硕士", "2020-05-01"])
    return out.getvalue().encode("utf-8")


def test_a_large_import_shows_its_progress_then_its_report(page, live_server, world, settings, tmp_path):
    settings.RENCAI_IMPORT_INLINE_BYTES = 1024  # this file is "large"
    settings.RENCAI_JOB_DIR = str(tmp_path / "jobs")
    login(page, live_server, "county")
    page.goto(f"{live_server.url}/registry/import/")

    page.select_option("select[name=kind]", "talents")
    page.set_input_files(
        "input[name=file]", files=[{"name": "人才.csv", "mimeType": "text/csv", "buffer": _talents_csv(300)}]
    )
    page.click("form button[type=submit]")

    job = Job.objects.get(kind=JobKind.IMPORT)
    page.wait_for_url(f"{live_server.url}/jobs/{job.pk}/")
    block = page.locator(f"[data-job='{job.pk}']")
    expect(block).to_have_attribute("data-job-state", "queued")
    expect(block.locator("progress")).to_be_visible()
    page.evaluate("window.sameDocument = true")

    run_worker()

    expect(block).to_have_attribute("data-job-state", "done", timeout=5000)
    expect(block).to_contain_text("完成：共 300 行：新增 300，更新 0，无变化 0，错误 0")
    assert page.evaluate("window.sameDocument") is True
    page.screenshot(path=screenshot_path("jobs-import-done.png"), full_page=True)
    assert Talent.objects.filter(name__startswith="批量").count() == 300

    page.click("[data-job-link]")
    expect(page.locator("h1")).to_contain_text("导入")
    assert "批量0" in page.content()


def test_the_simulation_export_says_it_is_calculating_and_a_second_click_sends_nothing(
    page, live_server, world
):
    policy = Policy.objects.create(
        code="sim", name="模拟政策", region=world.regions["330800"], kind="subsidy"
    )
    draft = PolicyVersion.objects.create(
        policy=policy, number=1, effective_from=dt.date(2017, 1, 1), eligibility_rule="true", amount_rule="1"
    )
    login(page, live_server, "city")
    page.goto(f"{live_server.url}/policies/versions/{draft.pk}/simulate/")
    exports = []
    page.on("request", lambda request: exports.append(request.url) if "export" in request.url else None)
    link = page.get_by_role("link", name="导出 Excel")

    with page.expect_download():
        link.click()
    busy = page.locator("a[data-busy]")
    expect(busy).to_have_text("计算中…")
    expect(busy).to_have_attribute("aria-disabled", "true")
    busy.click(force=True)  # a person clicking again: the link says it is disabled, Playwright believes it
    page.wait_for_timeout(500)

    assert len(exports) == 1
