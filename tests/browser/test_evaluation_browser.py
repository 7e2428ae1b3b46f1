"""The whole evaluation path in a real browser, as people walk it: an enterprise applies for its employee and
confirms with its own scores, the county passes first review, the city draws a panel (an expert of the
candidate's employer is excluded, with the reason), experts score on their own logins seeing masked data
and only their own points, the city closes the panel, passes second review and publishes the notice; the
public page (signed out) shows name, employer and result only and takes an objection, which the county
answers; after the notice period the city decides, the tier reaches the registry, and the next matching run
offers the talent a benefit of the new tier on 我的政策红利.

Time passes honestly: the services ask `django.utils.timezone.localdate()` for today (the live server runs
in this process), so the test sets the day the story happens on, and later the day after the notice ends.
"""

import datetime as dt
import io
import os
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from rencai.evaluation.choices import CaseState, EvaluatorKind, ObjectionState
from rencai.evaluation.models import Case, Expert, ExpertField, Objection, PublicNotice, Seat
from rencai.registry.models import Achievement, AchievementHolder
from tests.browser.conftest import login, screenshot_path
from tests.evaluation.builders import TODAY, make_experts, make_round, make_scheme
from tests.onestop.builders import build_services

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (code, name, weight, rule): one computed indicator over the achievements, two scored ones
INDICATORS = [
    ("ip", "知识产权应用", 10, "talent.patents_granted * 50"),
    ("innovation", "创新贡献", 50, ""),
    ("team", "团队建设", 40, ""),
]
# Each expert's points, distinct to the hundredth, so that a page showing another's score would be caught
POINTS = ["96.25", "95.75", "94.50", "97.25"]


@pytest.fixture
def clock(monkeypatch):
    """The services' today: `set(day)` moves it (a value passed to localdate is still converted)."""
    real = timezone.localdate
    state = {"today": TODAY}

    def localdate(*args, **kwargs):
        return real(*args, **kwargs) if args or kwargs.get("value") is not None else state["today"]

    monkeypatch.setattr(timezone, "localdate", localdate)
    return state


@pytest.fixture
def person(chromium, live_server):
    """A signed-in browser of its own (cookies and all) for each person in the story; `None` for the
    public, signed out."""
    contexts = []

    def sign_in(username: str | None):
        context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        if username is not None:
            login(page, live_server, username)
        return page

    yield sign_in
    for context in contexts:
        context.close()


@pytest.fixture
def evaluation(world, clock):
    """The demo policies, a published city scheme and a round open today, seven experts of the field with
    logins and one more employed by the candidate's enterprise, and the candidate's two granted patents."""
    build_services(world)
    city = world.regions["330800"]
    scheme = make_scheme(city, indicators=INDICATORS, tier_thresholds={"C": 90, "D": 75, "E": 60})
    round_ = make_round(scheme, city, opens_on=TODAY, name="2026年度衢州市人才认定（浏览器）")
    make_experts(city, 7, field="electronics")
    insider = Expert.objects.create(
        name="天蓬内部专家",
        region=city,
        evaluator_kind=EvaluatorKind.MARKET,
        employer=world.enterprise_a,
        employer_name=world.enterprise_a.name,
    )
    ExpertField.objects.create(expert=insider, field="electronics")
    for number in (1, 2):
        patent = Achievement.objects.create(
            kind="patent_granted",
            title=f"一种氟硅材料的制备方法（{number}）",
            reference=f"ZL2024BROWSER{number}",
            achieved_on=dt.date(2024, 5, number),
            enterprise=world.enterprise_a,
            region=world.county_a,
        )
        AchievementHolder.objects.create(achievement=patent, talent=world.talent_a, rank=1)
    return round_, insider


def test_evaluation_from_application_to_a_benefit_of_the_new_tier(
    person, live_server, world, evaluation, clock
):
    round_, insider = evaluation
    base = f"{live_server.url}/evaluation"
    talent = world.talent_a

    # 0. Before: the education voucher (tiers A–C, or D with a doctorate) is among what she still lacks.
    mine = person("talent")
    mine.goto(f"{live_server.url}/policies/mine/")
    expect(mine.locator("#missing article[data-policy='education-voucher']")).to_have_count(1)

    # 1. The enterprise applies for its employee.
    enterprise = person("ent")
    enterprise.goto(f"{base}/apply/?talent={talent.pk}")
    expect(enterprise.locator("#apply-form")).to_contain_text(talent.name)
    enterprise.select_option("#apply-form select[name=round]", str(round_.pk))
    enterprise.select_option("#apply-form select[name=field]", "electronics")
    enterprise.fill(
        "#apply-form textarea[name=summary]", "主持氟硅新材料中试线建设，两项发明专利已在企业转化应用。"
    )
    enterprise.click("#apply-form button.primary")
    expect(enterprise.locator("h1 [data-state]")).to_have_text("已申报，待单位确认")
    case = Case.objects.get(round=round_, talent=talent)

    # 2. The employer confirms, with its own scores (企业自主评价).
    enterprise.fill("#confirm input[name=score_innovation]", "95")
    enterprise.fill("#confirm input[name=score_team]", "95")
    enterprise.click("#confirm button.primary")
    expect(enterprise.locator("h1 [data-state]")).to_have_text("单位已确认，待县级初审")

    # 3. The county passes first review: the computed indicator is worked out from the registry.
    county = person("county")
    county.goto(f"{base}/cases/{case.pk}/")
    county.check("#first-review input[name=passed][value=yes]")
    county.click("#first-review button.primary")
    expect(county.locator("h1 [data-state]")).to_have_text("初审通过，待专家评审")
    expect(county.locator("#scores")).to_contain_text("知识产权应用 100")

    # 4. The city draws the panel: the expert employed by the candidate's enterprise is excluded, with why.
    city = person("city")
    city.goto(f"{base}/cases/{case.pk}/panel/")
    city.click("button[data-busy]")
    expect(city.locator("tr[data-status=active]")).to_have_count(5)
    excluded = city.locator(f"li[data-excluded='{insider.pk}']")
    expect(excluded).to_contain_text("天蓬内部专家")
    expect(excluded).to_contain_text("同一单位")
    expect(city.locator("tbody")).not_to_contain_text("天蓬内部专家")
    city.screenshot(path=screenshot_path("evaluation-panel.png"), full_page=True)

    # 5. Four members score, each on their own login: masked personal data, their own points only.
    members = list(
        Seat.objects.filter(panel__case=case, status="active")
        .order_by("position")
        .values_list("expert__account__username", flat=True)
    )
    assert insider.pk not in set(Seat.objects.filter(panel__case=case).values_list("expert_id", flat=True))
    for n, (username, points) in enumerate(zip(members, POINTS, strict=False)):
        expert = person(username)
        expert.goto(f"{base}/reviews/")
        row = expert.locator(f"tr[data-case='{case.pk}']")
        expect(row).to_contain_text(talent.id_number_masked)
        expect(row).to_contain_text("待评分")
        row.locator("a").click()
        expect(expert.locator("main, body").first).to_contain_text(talent.id_number_masked)
        for earlier in POINTS[:n]:  # nobody sees another expert's score before the panel closes
            expect(expert.locator("body")).not_to_contain_text(earlier)
        expert.fill("#score-form input[name=points_innovation]", points)
        expert.fill("#score-form input[name=points_team]", points)
        expert.click("#score-form button.primary")
        expect(expert.locator("#score-form input[name=points_innovation]")).to_have_value(points)
        expect(expert.locator("#score-form button.primary")).to_have_text("修改评分")
        if n == 0:
            expert.screenshot(path=screenshot_path("evaluation-score.png"), full_page=True)
    assert "*" in talent.id_number_masked

    # 6. The city closes the panel: only now do the experts' points show, to the officers.
    city.goto(f"{base}/cases/{case.pk}/panel/")
    expect(city.locator("[data-progress]")).to_have_attribute("data-progress", "4/5")
    city.click("form[action$='/panel/close/'] button")
    expect(city.locator("main, body").first).to_contain_text("评审结果")
    expect(city.locator("table").last).to_contain_text("96.25")

    # 7. The city passes second review and publishes the notice.
    city.goto(f"{base}/cases/{case.pk}/")
    expect(city.locator("h1 [data-state]")).to_have_text("评审完成，待市级复审")
    city.check("#second-review input[name=passed][value=yes]")
    city.click("#second-review button.primary")
    expect(city.locator("h1 [data-state]")).to_have_text("复审通过，待公示")
    city.goto(f"{base}/rounds/{round_.pk}/")
    city.click("#round-actions button.primary")
    expect(city.locator(f"tr[data-case='{case.pk}']")).to_contain_text("公示中")
    notice = PublicNotice.objects.get(round=round_)
    case.refresh_from_db()

    # 8. The public notice, signed out: name, employer and result, nothing else.
    public = person(None)
    public.goto(f"{live_server.url}/notice/")
    public.click(f"a[href='/notice/{notice.pk}/']")
    line = public.locator("#notice-lines tbody tr")
    expect(line).to_have_count(1)
    expect(line).to_contain_text(talent.name)
    expect(line).to_contain_text(world.enterprise_a.name)
    expect(line).to_contain_text("C类人才")
    body = public.locator("body")
    expect(body).not_to_contain_text(talent.id_number_masked)
    expect(body).not_to_contain_text(str(case.total_score))
    expect(body).not_to_contain_text("电子信息")
    public.screenshot(path=screenshot_path("evaluation-notice.png"), full_page=True)

    # 9. An objection by real name, from the public page.
    public.click("a.button[href$='/object/']")
    public.select_option("select[name=case]", str(case.pk))
    public.select_option("select[name=point]", "achievement")
    public.fill("input[name=name]", "李明")
    public.fill("input[name=id_number]", "330881199003070020")
    public.fill("input[name=phone]", "13905701234")
    public.fill("textarea[name=statement]", "第二项专利的第一发明人另有其人，请核查。")
    public.click("form button.primary")
    expect(public.locator(".messages")).to_contain_text("异议已提交")
    objection = Objection.objects.get(case=case)

    # 10. The county officer it is assigned to answers it: dismissed, with the reasons.
    county.goto(f"{base}/objections/")
    county.click(f"a[href='/evaluation/objections/{objection.pk}/']")
    expect(county.locator("main, body").first).to_contain_text("第二项专利的第一发明人另有其人")
    county.check("input[name=upheld][value=no]")
    county.fill("textarea[name=answer]", "经核查专利证书，申报人为第一发明人，异议不成立。")
    county.click("form.card button.primary")
    expect(county.locator("h1 .state")).to_have_text("异议不成立")
    assert Objection.objects.get(pk=objection.pk).state == ObjectionState.DISMISSED

    # 11. Before the period ends the decision waits; the day after it ends, the city decides.
    city.goto(f"{base}/rounds/{round_.pk}/")
    city.click("form[action$='/decide/'] button")
    city.goto(f"{base}/cases/{case.pk}/")
    expect(city.locator("h1 [data-state]")).to_have_text("公示中")
    clock["today"] = notice.ends_on + dt.timedelta(days=1)
    city.goto(f"{base}/rounds/{round_.pk}/")
    city.click("form[action$='/decide/'] button")
    city.goto(f"{base}/cases/{case.pk}/")
    expect(city.locator("h1 [data-state]")).to_have_text("评价通过")
    expect(city.locator("[data-result]")).to_contain_text("C类")

    # 12. The tier is in the registry.
    city.goto(f"{live_server.url}/registry/talents/{talent.pk}/")
    expect(city.locator("h1 .badge")).to_have_text("C类 省级领军人才")
    talent.refresh_from_db()
    assert talent.tier == "C" and Case.objects.get(pk=case.pk).state == CaseState.RECOGNIZED

    # 13. The matching run turns the tier into benefits: the voucher is offered on 我的政策红利.
    call_command("match", stdout=io.StringIO())
    mine.goto(f"{live_server.url}/policies/mine/")
    expect(mine.locator("#missing article[data-policy='education-voucher']")).to_have_count(0)
    expect(mine.locator("article[data-policy='education-voucher']").first).to_be_visible()
    mine.screenshot(path=screenshot_path("evaluation-benefit.png"), full_page=True)
    assert case.total_score is not None and case.total_score >= Decimal(90)
