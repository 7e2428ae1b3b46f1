"""The whole recruitment path in a real browser, as people walk it: an enterprise posts a demand, the county
publishes it (the public search then finds it), agency A refers a candidate with the candidate's consent,
agency B's referral of the same person is refused with the reason on the page (agency A never named), the
talent arrives through a registry import of an Excel file, the city's settle run confirms the placement
from the registry and pays the first instalment (shown on the rewards page), the county records in the
registry that the talent left the enterprise, and the next settle run cancels the second instalment.

Nothing moves the clock: the demand runs from today, the arrival is today, the first instalment is due on
arrival and the second twelve months on.
"""

import datetime as dt
import io
import os
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rencai.policies.models import Policy
from rencai.recruitment.choices import InstalmentState, PlacementState, ReferralState
from rencai.recruitment.models import Demand, Placement, Referral, RewardInstalment
from rencai.recruitment.services.rewards import reward_scheme_create
from rencai.registry.models import Talent
from tests import factories
from tests.browser.conftest import login, screenshot_path
from tests.recruitment.builders import make_agency, make_agency_user

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "氟硅材料中试工程师（浏览器）"
CANDIDATE = "柳青岚"
AGENCY_A, AGENCY_B = "衢州才聚测试猎头", "杭州猎英测试咨询"


@pytest.fixture
def person(chromium, live_server):
    """A signed-in browser of its own (cookies and all) for each person in the story."""
    contexts = []

    def sign_in(username: str):
        context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        login(page, live_server, username)
        return page

    yield sign_in
    for context in contexts:
        context.close()


@pytest.fixture
def recruitment(world):
    """Two agencies under contract with a login each, and the city's agency reward scheme paying half on
    arrival and half after twelve months from a funding policy with a budget."""
    today = timezone.localdate()
    contract = {
        "contract_starts": today - dt.timedelta(days=30),
        "contract_ends": today + dt.timedelta(days=365),
    }
    agency_a = make_agency(world.county_a, name=AGENCY_A, **contract)
    agency_b = make_agency(world.county_a, name=AGENCY_B, **contract)
    make_agency_user(agency_a, username="agent_a")
    make_agency_user(agency_b, username="agent_b")
    city = world.regions["330800"]
    fund = Policy.objects.create(
        code="agency-fund",
        name="引才中介服务资金",
        region=city,
        kind="reward",
        budget_total=Decimal("1000000"),
        budget_per_year=Decimal("500000"),
    )
    reward_scheme_create(
        actor=world.users["city_org_dept"],
        data={
            "code": "browser-agency-reward",
            "name": "中介机构引才奖励（浏览器）",
            "purpose": "agency_placement",
            "region": city,
            "policy": fund,
            "effective_from": dt.date(today.year, 1, 1),
            "amounts": {"D": "20000"},
            "stages": [[50, 0], [50, 12]],
            "months_required": 12,
            "exclusive_per_person": True,
        },
    )
    return agency_a, agency_b


def _arrival_xlsx(world, id_number: str) -> bytes:
    """The registry's talent import, one row: the candidate, employed by the enterprise from today."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        [
            "姓名",
            "证件号码",
            "所在区划",
            "人才队伍",
            "人才类别",
            "最高学历",
            "工作单位统一社会信用代码",
            "来衢日期",
        ]
    )
    sheet.append(
        [
            CANDIDATE,
            id_number,
            "江山市",
            "专业技术人才",
            "D",
            "硕士",
            world.enterprise_a.credit_code,
            timezone.localdate().isoformat(),
        ]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_recruitment_from_a_demand_to_a_cancelled_second_instalment(person, live_server, world, recruitment):
    base = f"{live_server.url}/recruitment"
    id_number = factories.make_id_number("330881", dt.date(1991, 4, 12), male=False)
    expires = (timezone.localdate() + dt.timedelta(days=90)).isoformat()

    # 1. The enterprise posts a demand and sends it to the county.
    enterprise = person("ent")
    enterprise.goto(f"{base}/my/demands/new/")
    enterprise.fill("input[name=title]", TITLE)
    enterprise.select_option("select[name=team]", "professional")
    enterprise.select_option("select[name=tier_sought]", "D")
    enterprise.select_option("select[name=degree]", "master")
    enterprise.select_option("select[name=field]", "chemicals")
    enterprise.fill("input[name=headcount]", "2")
    enterprise.fill("input[name=salary_min]", "220000")
    enterprise.fill("input[name=salary_max]", "320000")
    enterprise.fill("input[name=expires_on]", expires)
    enterprise.fill("textarea[name=description]", "负责氟硅新材料中试线的工艺放大。")
    enterprise.click("main form button.primary")
    expect(enterprise.locator("h1 [data-state]")).to_have_text("草稿")
    demand = Demand.objects.get(title=TITLE)
    enterprise.click("[data-part=submit]")
    expect(enterprise.locator("h1 [data-state]")).to_have_text("待县级审核")

    # 2. The county publishes it; the public search (signed out) then finds it.
    county = person("county")
    county.goto(f"{base}/my/demands/{demand.pk}/")
    county.select_option("#review-form select[name=decision]", "approve")
    county.fill("#review-form textarea[name=comment]", "岗位信息完整，同意发布。")
    county.click("#review-form button.primary")
    county.goto(f"{base}/my/demands/{demand.pk}/")
    expect(county.locator("h1 [data-state]")).to_have_text("已发布")
    county.context.clear_cookies()
    county.goto(f"{base}/demands/?q=氟硅材料中试")
    expect(county.locator("main")).to_contain_text(TITLE)
    expect(county.locator("main")).to_contain_text(world.enterprise_a.name)
    login(county, live_server, "county")

    # 3. Agency A refers a candidate, with the candidate's consent.
    agent_a = person("agent_a")
    agent_a.goto(f"{base}/demands/{demand.pk}/refer/")
    expect(agent_a.locator("main")).to_contain_text(AGENCY_A)
    form = agent_a.locator("#referral-form")
    form.locator("input[name=name]").fill(CANDIDATE)
    form.locator("input[name=id_number]").fill(id_number)
    form.locator("input[name=phone]").fill("13957001234")
    form.locator("select[name=degree]").select_option("master")
    form.locator("select[name=field]").select_option("chemicals")
    form.locator("textarea[name=consent_statement]").fill("本人同意由衢州才聚推荐至该单位，并提供本人信息。")
    form.locator("input[name=consent_at]").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    form.locator("button.primary").click()
    expect(agent_a.locator("main")).to_contain_text(CANDIDATE)
    expect(agent_a.locator("main")).not_to_contain_text(id_number)  # masked
    referral = Referral.objects.get(agency=recruitment[0])
    assert referral.state == ReferralState.REFERRED

    # 4. Agency B's referral of the same person is refused, with the reason, without naming agency A.
    agent_b = person("agent_b")
    agent_b.goto(f"{base}/demands/{demand.pk}/refer/")
    form = agent_b.locator("#referral-form")
    form.locator("input[name=name]").fill(CANDIDATE)
    form.locator("input[name=id_number]").fill(id_number)
    form.locator("textarea[name=consent_statement]").fill("本人同意由杭州猎英推荐至该单位。")
    form.locator("input[name=consent_at]").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    form.locator("button.primary").click()
    expect(agent_b.locator("main")).to_contain_text("由其他机构推荐")
    expect(agent_b.locator("main")).not_to_contain_text(AGENCY_A)
    agent_b.screenshot(path=screenshot_path("recruitment-referral-refused.png"), full_page=True)
    assert Referral.objects.filter(agency=recruitment[1]).count() == 0
    agent_b.goto(f"{base}/referrals/")
    expect(agent_b.locator("main")).not_to_contain_text(CANDIDATE)

    # 5. The talent arrives: the county imports her registry record (employed by the enterprise).
    county.goto(f"{live_server.url}/registry/import/")
    county.select_option("select[name=kind]", "talents")
    county.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "到岗人才.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": _arrival_xlsx(world, id_number),
            }
        ],
    )
    county.click("form button[type=submit]")
    expect(county.locator("main")).to_contain_text("全部行校验通过，已导入。")
    expect(county.locator("table tbody tr")).to_contain_text(CANDIDATE)
    expect(county.locator("table tbody tr")).to_contain_text("新增")
    talent = Talent.objects.get(name=CANDIDATE)
    assert talent.current_employer_id == world.enterprise_a.pk

    # 6. The city settles: the registry confirms the placement (attributed to agency A's referral) and the
    #    first instalment is paid; the rewards page shows it.
    city = person("city")
    city.goto(f"{base}/rewards/")
    city.click("form[action$='/rewards/settle/'] button")
    expect(city.locator("main")).to_contain_text("结算完成")
    placement = Placement.objects.get(talent=talent)
    assert placement.state == PlacementState.CONFIRMED and placement.referral_id == referral.pk
    reward = placement.rewards.get()
    expect(city.locator("main")).to_contain_text(CANDIDATE)
    expect(city.locator("main")).to_contain_text(AGENCY_A)
    expect(city.locator(f"tr[data-reward='{reward.pk}']")).to_contain_text(CANDIDATE)
    city.goto(f"{base}/rewards/{reward.pk}/")
    expect(city.locator("tr[data-number='1']")).to_contain_text("已支付")
    expect(city.locator("tr[data-number='2']")).to_contain_text("待支付")
    city.screenshot(path=screenshot_path("recruitment-rewards-paid.png"), full_page=True)
    first, second = RewardInstalment.objects.filter(reward=reward).order_by("number")
    assert (first.state, second.state) == (InstalmentState.PAID, InstalmentState.SCHEDULED)
    assert first.amount == second.amount == Decimal("10000")

    # 7. She leaves early: the county edits her registry record (no longer employed by the enterprise).
    county.goto(f"{live_server.url}/registry/talents/{talent.pk}/edit/")
    county.select_option("select[name=employer]", "")
    # (the edit form shows the stored arrival date empty today: retyped, as the officer would)
    county.fill("input[name=arrival_date]", timezone.localdate().isoformat())
    county.click("main form button.primary")
    expect(county.locator("main")).to_contain_text(CANDIDATE)
    expect(county.locator("main")).not_to_contain_text("请修改下列标红的内容")
    talent.refresh_from_db()
    assert talent.current_employer_id is None

    # 8. The next settle run follows the registry: the second instalment is cancelled, the first stays paid.
    city.goto(f"{base}/rewards/")
    city.click("form[action$='/rewards/settle/'] button")
    expect(city.locator("main")).to_contain_text("结算完成")
    city.goto(f"{base}/rewards/{reward.pk}/")
    expect(city.locator("tr[data-number='1']")).to_contain_text("已支付")
    expect(city.locator("tr[data-number='2']")).to_contain_text("已取消")
    city.screenshot(path=screenshot_path("recruitment-second-instalment-cancelled.png"), full_page=True)
    placement.refresh_from_db()
    second.refresh_from_db()
    first.refresh_from_db()
    assert placement.state == PlacementState.LEFT_EARLY
    assert (first.state, second.state) == (InstalmentState.PAID, InstalmentState.CANCELLED)
