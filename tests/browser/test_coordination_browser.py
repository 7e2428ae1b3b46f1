"""Target responsibility in a real browser, as people walk it: the city sets Jiangshan's targets for the
year (one registry indicator and one work item) and issues them; the county agrees; the county imports a
high-skill talent through the registry's Excel import, which moves the indicator; the city's mid-year check
shows the new progress, measured, never typed; the county self-assesses its work item with evidence; the
city scores the year, locks the result and issues the circular; the county's party secretary finds it in
the inbox and reads it (the message is then read).

Nothing moves the clock: the sheet is this year's, measured today.
"""

import datetime as dt
import io
import os

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rencai.coordination.circulars import leader_appoint
from rencai.coordination.models import Circular, LeaderPost, SheetState, TargetSheet
from rencai.core.models import Notification
from tests import factories
from tests.browser.conftest import login, screenshot_path
from tests.coordination.target_builders import make_indicator

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEWCOMER = "岑晓川"


@pytest.fixture
def person(chromium, live_server):
    """A signed-in browser of its own (cookies and all) for each person in the story."""
    contexts = []

    def sign_in(username: str):
        context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        login(page, live_server, username)
        return page

    yield sign_in
    for context in contexts:
        context.close()


@pytest.fixture
def secretary(world):
    """Jiangshan's party secretary, on record as the county's leader who receives circulars."""
    user = factories.make_user(
        "js_shuji", "county_org_dept", region=world.county_a, display_name="江山市委书记"
    )
    leader_appoint(
        actor=world.users["city_org_dept"],
        region=world.county_a,
        post=LeaderPost.SECRETARY,
        user=user,
        name="王书记",
    )
    return user


def _talent_xlsx(id_number: str) -> bytes:
    """The registry's talent import, one row: a high-skill talent arriving in Jiangshan today."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "证件号码", "所在区划", "人才队伍", "人才类别", "最高学历", "来衢日期"])
    sheet.append([NEWCOMER, id_number, "江山市", "高技能人才", "E", "专科", timezone.localdate().isoformat()])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_county_target_from_setting_to_the_circular_read(person, live_server, world, secretary):
    base = f"{live_server.url}/coordination/targets"
    make_indicator()  # 高技能人才总量: Jiangshan has one (the world's talent_a2)
    year = timezone.localdate().year

    # 1. The city sets Jiangshan's targets and issues them.
    city = person("city")
    city.goto(f"{base}/new/")
    city.fill("input[name=year]", str(year))
    city.select_option("select[name=unit]", f"region-{world.county_a.pk}")
    city.click("#sheet-form button.primary")
    expect(city.locator("#sheet-state")).to_have_text("草拟")
    sheet = TargetSheet.objects.get(year=year, region=world.county_a)
    form = city.locator("#item-form")
    form.locator("select[name=section]").select_option("indicators")
    form.locator("input[name=title]").fill("高技能人才增长")
    form.locator("input[name=max_points]").fill("60")
    form.locator("select[name=indicator_code]").select_option("high_skill_total")
    form.locator("input[name=baseline]").fill("1")
    form.locator("input[name=target_value]").fill("2")
    form.locator("button.primary").click()
    expect(city.locator("main")).to_contain_text("考核项目已添加")
    form = city.locator("#item-form")
    form.locator("select[name=section]").select_option("targets")
    form.locator("input[name=title]").fill("建成江山人才驿站")
    form.locator("input[name=max_points]").fill("40")
    form.locator("button.primary").click()
    expect(city.locator("main")).to_contain_text("合计：100.00 分")
    city.click("#move-issued")
    expect(city.locator("#sheet-state")).to_have_text("已下达")

    # 2. The county agrees at the start of the year.
    county = person("county")
    county.goto(f"{base}/{sheet.pk}/")
    county.fill("#move-form textarea[name=comment]", "同意年度目标")
    county.click("#move-agreed")
    expect(county.locator("#sheet-state")).to_have_text("已确认")
    indicator_row = county.locator("tr[data-code=high_skill_total]")
    expect(indicator_row.locator(".measured")).to_have_text("1")
    expect(indicator_row.locator(".progress")).to_have_text("0%")

    # 3. A high-skill talent arrives: the county imports the record through the registry import page.
    id_number = factories.make_id_number("330881", dt.date(1994, 8, 3), male=True)
    county.goto(f"{live_server.url}/registry/import/")
    county.select_option("select[name=kind]", "talents")
    county.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "新到人才.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": _talent_xlsx(id_number),
            }
        ],
    )
    county.click("form button[type=submit]")
    expect(county.locator("main")).to_contain_text("全部行校验通过，已导入。")
    expect(county.locator("table tbody tr")).to_contain_text(NEWCOMER)

    # 4. The city's mid-year check: the indicator is measured again from the registry — target reached.
    city.goto(f"{base}/{sheet.pk}/")
    expect(city.locator("tr[data-code=high_skill_total] .measured")).to_have_text("2")
    city.fill("#move-form textarea[name=comment]", "上半年高技能人才目标已完成")
    city.click("#move-midyear")
    expect(city.locator("#sheet-state")).to_have_text("已年中检查")
    county.goto(f"{base}/{sheet.pk}/")
    indicator_row = county.locator("tr[data-code=high_skill_total]")
    expect(indicator_row.locator(".measured")).to_have_text("2")
    expect(indicator_row.locator(".progress")).to_have_text("100%")
    expect(indicator_row.locator(".points")).to_contain_text("60.00")
    expect(county.locator("main")).to_contain_text("上半年高技能人才目标已完成")
    assert county.locator("input[name=measured_value]").count() == 0  # never typed in
    county.screenshot(path=screenshot_path("coordination-midyear.png"), full_page=True)

    # 5. The county self-assesses its work item with evidence, and submits.
    assess = county.locator("form.assess-form")
    assess.locator("input[name=claimed_points]").fill("38")
    assess.locator("textarea[name=evidence]").fill("驿站于5月挂牌，已服务人才260人次")
    assess.locator("input[name=evidence_file]").set_input_files(
        files=[{"name": "驿站挂牌.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 yizhan"}]
    )
    assess.locator("button").click()
    expect(county.locator("main")).to_contain_text("自评已保存")
    county.fill("#move-form textarea[name=comment]", "全面完成年度目标")
    county.click("#move-self_assessed")
    expect(county.locator("#sheet-state")).to_have_text("已自评")
    # the county cannot score its own work
    expect(county.locator("form.score-form")).to_have_count(0)

    # 6. The city scores the year, locks the result and issues the circular.
    city.goto(f"{base}/{sheet.pk}/")
    score = city.locator("form.score-form")
    score.locator("input[name=points]").fill("36")
    score.locator("input[name=comment]").fill("驿站运行良好，台账略欠完整")
    score.locator("button").click()
    expect(city.locator("main")).to_contain_text("评分已保存")
    city.click("#move-scored")
    expect(city.locator("#sheet-state")).to_have_text("已评分")
    expect(city.locator("#sheet-total")).to_have_text("96.00")
    city.click("#move-locked")
    expect(city.locator("#sheet-state")).to_have_text("已审定")
    expect(city.locator("#move-form")).to_have_count(0)
    city.goto(f"{base}/?year={year}")
    city.click("#issue-circular")
    expect(city.locator("#ranking-counties")).to_contain_text("江山市")
    expect(city.locator("#ranking-counties")).to_contain_text("96.00")
    circular = Circular.objects.get(year=year)
    assert TargetSheet.objects.get(pk=sheet.pk).state == SheetState.LOCKED

    # 7. The county's party secretary finds the circular in the inbox and reads it.
    reader = person("js_shuji")  # a county officer: the sheet's issue reached them too
    expect(reader.locator("[data-unread]")).to_have_text("2")
    reader.goto(f"{live_server.url}/inbox/")
    message = reader.locator("article.notification.unread", has_text=circular.title)
    expect(message).to_contain_text("排名第 1 位")
    message.locator("button.primary").click()
    expect(reader.locator("#circular h1")).to_have_text(circular.title)
    expect(reader.locator("#ranking-counties tr[data-rank='1']")).to_contain_text("96.00")
    with reader.expect_download() as download:
        reader.click("#circular-excel")
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert [cell for cell in next(book.worksheets[0].iter_rows(min_row=3, values_only=True))][:3] == [
        1,
        "江山市",
        96,
    ]
    reader.screenshot(path=screenshot_path("coordination-circular.png"), full_page=True)
    notification = Notification.objects.get(
        recipient=secretary, link=f"/coordination/targets/circulars/{circular.pk}/"
    )
    assert notification.read_at is not None
    reader.goto(f"{live_server.url}/inbox/")
    expect(reader.locator("[data-unread]")).to_have_text("1")  # the sheet's issue is still unread
