"""Policy pages: counts, inheritance, rule editor, issuing, simulation, explanations, benefits, matching."""

import io
import re
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from rencai.core.models import AuditEntry
from rencai.policies import services
from rencai.policies.matching import run_match
from rencai.policies.models import Decision, Entitlement, MatchRun, Policy, PolicyVersion
from tests import factories

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _login(client, user):
    client.force_login(user)
    return client


def _row(html: str, code: str) -> str:
    match = re.search(rf'<tr data-policy="{re.escape(code)}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {code}"
    return match.group(1)


def _count(fragment: str, status: str) -> int:
    return int(re.search(rf'data-count="{status}">(\d+)<', fragment).group(1))


def _page(client, user, name="policies:policy_list") -> str:
    return _login(client, user).get(reverse(name)).content.decode()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def longyou_officer(world):
    return factories.make_user("longyou", "county_org_dept", region=world.county_b)


@pytest.fixture
def settlement(world, issue):
    """A city settlement subsidy and Longyou's own version of it (override)."""
    city = issue("settlement", 'talent.degree == "master"', "50000", budget_total=Decimal("1000000"))
    longyou = issue("longyou-settlement", 'talent.degree == "master"', "80000", region=world.county_b)
    longyou.overrides = city
    longyou.save()
    return city, longyou


def test_policy_list_shows_the_matching_counts_and_budget_of_each_policy(client, world, issue):
    issue("tier-d", 'talent.tier == "D"', "1000", budget_total=Decimal("5000"))
    issue("tier-ce", 'talent.tier in ["C", "E"]', "100", is_proactive=True)
    run_match()

    html = _login(client, world.users["city_org_dept"]).get(reverse("policies:policy_list")).content.decode()

    tier_d, tier_ce = _row(html, "tier-d"), _row(html, "tier-ce")
    assert (_count(tier_d, "offered"), _count(tier_d, "granted")) == (1, 0)
    assert (_count(tier_ce, "offered"), _count(tier_ce, "granted")) == (0, 2)  # talent_a2 (E), talent_b (C)
    assert "1,000.00 元 / 4,000.00 元" in tier_d  # used / remaining, as officers write money
    assert _text(tier_d).count("tier-d") == 1  # in the name only: the code is a key, not for reading
    assert "第 1 版" in tier_d
    assert "运行匹配" in html


def test_county_officer_counts_only_talents_of_their_county(client, world, issue):
    issue("everyone", "true", "10", is_proactive=True)
    run_match()

    html = _page(client, world.users["county_org_dept"])

    assert _count(_row(html, "everyone"), "granted") == 2  # Jiangshan's talent_a and talent_a2, not talent_b


def test_longyou_officer_sees_the_override_instead_of_the_city_policy(settlement, longyou_officer, client):
    html = _page(client, longyou_officer)
    main_table = html.split('id="replaced"')[0]

    assert 'data-policy="longyou-settlement"' in main_table
    assert 'data-policy="settlement"' not in main_table
    assert 'data-replaced="settlement"' in html and "本地已替代的上级政策" in html


def test_jiangshan_officer_sees_the_city_policy_as_its_own(client, world, settlement):
    html = _page(client, world.users["county_org_dept"])

    assert 'data-policy="settlement"' in html
    assert "longyou-settlement" not in html and 'id="replaced"' not in html


def test_policy_detail_shows_the_budget_queue_in_tier_then_arrival_order(client, world, issue):
    import datetime as dt

    early_e = factories.make_talent(world.county_a, tier="E", arrival_date=dt.date(2010, 1, 1))
    late_c = factories.make_talent(world.county_a, tier="C", arrival_date=dt.date(2020, 1, 1))
    early_c = factories.make_talent(world.county_a, tier="C", arrival_date=dt.date(2012, 1, 1))
    policy = issue("small-budget", 'talent.tier in ["C", "E"]', "1000", budget_total=Decimal("1000"))
    run_match()

    html = (
        _login(client, world.users["city_org_dept"])
        .get(reverse("policies:policy_detail", args=[policy.pk]))
        .content.decode()
    )

    queue = html.split('id="queue"')[1].split("</section>")[0]
    queued = [int(pk) for pk in re.findall(r'data-queued="(\d+)"', queue)]
    # early_c (C, 2012) got the only offer; then tier C by arrival (talent_b 2018, late_c 2020), then E
    assert queued == [world.talent_b.pk, late_c.pk, early_e.pk, world.talent_a2.pk]
    assert Entitlement.objects.get(policy=policy, talent=early_c).status == "offered"


def test_rule_validation_reports_each_problem_with_line_column_and_chinese_message(client, world):
    response = _login(client, world.users["city_org_dept"]).post(
        reverse("policies:rule_validate"),
        {"field": "eligibility_rule", "eligibility_rule": 'talent.tier == "D"\n&& talent.agee > 3'},
    )
    html = response.content.decode()

    assert 'data-line="2"' in html and 'data-column="4"' in html
    assert "第2行第4列：未知变量 talent.agee，是否要写 talent.age？" in html


def test_rule_validation_of_a_valid_amount_rule_says_it_is_valid(client, world):
    response = _login(client, world.users["city_org_dept"]).post(
        reverse("policies:rule_validate"),
        {"field": "amount_rule", "amount_rule": 'talent.tier == "A" ? 30000 : 10000'},
    )
    assert "规则有效" in response.content.decode()


def test_rule_editor_lists_every_variable_with_chinese_label_and_live_validation(client, world, issue):
    policy = issue("edit-me", 'talent.tier == "D"', "1000")

    html = (
        _login(client, world.users["city_org_dept"])
        .get(reverse("policies:version_create", args=[policy.pk]) + "?mode=text")  # the form is the default
        .content.decode()
    )

    assert 'data-feature="talent.months_employed_locally"' in html and "在衢工作月数" in html
    assert 'hx-post="/policies/rules/validate/"' in html and "keyup changed delay:400ms" in html
    assert "talent.tier == &quot;D&quot;" in html  # prefilled from the version in force


def test_an_officer_drafts_and_issues_a_version_with_a_new_budget(client, world, issue):
    policy = issue("to-change", 'talent.tier == "D"', "1000", budget_total=Decimal("5000"))
    _login(client, world.users["city_org_dept"])

    response = client.post(
        reverse("policies:version_create", args=[policy.pk]),
        {
            "eligibility_rule": 'talent.tier in ["C", "D"]',
            "amount_rule": "2000",
            "effective_from": "2027-01-01",
            "budget_total": "9000",
            "then": "edit",
        },
    )
    draft = policy.versions.get(number=2)
    assert response.status_code == 302 and draft.status == "draft"

    client.post(reverse("policies:version_issue", args=[draft.pk]))

    draft.refresh_from_db()
    policy.refresh_from_db()
    assert draft.status == "issued" and policy.budget_total == Decimal("9000")
    assert str(policy.versions.get(number=1).effective_to) == "2026-12-31"


def test_an_invalid_rule_cannot_be_issued_from_the_editor(client, world, issue):
    policy = issue("broken", 'talent.tier == "D"', "1000")
    draft = services.draft_version(
        actor=world.users["city_org_dept"],
        policy=policy,
        eligibility_rule='talent.age > "forty"',
        amount_rule="1000",
        effective_from=policy.versions.get().effective_from.replace(year=2030),
    )

    response = _login(client, world.users["city_org_dept"]).post(
        reverse("policies:version_issue", args=[draft.pk]), follow=True
    )

    draft.refresh_from_db()
    assert draft.status == "draft"
    html = response.content.decode()
    assert "规则有误，不能发布" in html and "第1行第12列" in html


def test_department_officer_cannot_open_a_draft(client, world, issue):
    policy = issue("secret-draft", 'talent.tier == "D"')
    draft = PolicyVersion.objects.create(
        policy=policy, number=2, effective_from=policy.versions.get().effective_from, eligibility_rule="true"
    )
    _login(client, world.users["department"])
    response = client.get(reverse("policies:version_edit", args=[draft.pk]))
    assert response.status_code == 404


def _draft(policy, rule, amount="1000"):
    return PolicyVersion.objects.create(
        policy=policy,
        number=2,
        effective_from=policy.versions.get().effective_from.replace(year=2030),
        eligibility_rule=rule,
        amount_rule=amount,
    )


def _table_sizes():
    models = (PolicyVersion, Entitlement, Decision, MatchRun, AuditEntry)
    return tuple(model.objects.count() for model in models)


def test_simulation_page_shows_current_and_draft_counts_and_writes_nothing(client, world, issue):
    policy = issue("sim", 'talent.tier == "D"', "1000", budget_total=Decimal("1500"))
    draft = _draft(policy, 'talent.tier in ["D", "E", "C"]')
    run_match()
    _login(client, world.users["city_org_dept"])
    before = _table_sizes()

    html = client.get(reverse("policies:version_simulate", args=[draft.pk])).content.decode()

    assert _table_sizes() == before
    figures = dict(re.findall(r'data-figure="(\w+)">([\d.]+)<', html))
    assert figures["current_count"] == "1" and figures["draft_count"] == "3"
    assert figures["added"] == "2" and figures["removed"] == "0" and figures["draft_cost"] == "3000.00"
    assert 'data-budget="short"' in html  # 3000 needed, 1500 budget (1000 held by the current version)
    assert f'data-talent="{world.talent_a2.pk}"' in html and f'data-talent="{world.talent_b.pk}"' in html
    assert 'id="simulation-data"' in html and "vendor/echarts.min.js" in html
    assert re.search(r'data-region="330881"><td>江山市</td><td>1</td><td>2</td>', html)


def test_simulation_export_lists_added_and_removed_talents(client, world, issue):
    policy = issue("sim-x", 'talent.tier == "D"', "1000")
    draft = _draft(policy, 'talent.tier == "E"')

    response = _login(client, world.users["city_org_dept"]).get(
        reverse("policies:version_simulate_export", args=[draft.pk])
    )

    workbook = load_workbook(io.BytesIO(response.content))
    added, removed = ([row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] for sheet in workbook)
    assert added == ["江山乙"] and removed == ["江山甲"]
    assert AuditEntry.objects.filter(action="policy.simulation_export").count() == 1


def test_explanation_page_tells_each_clause_in_sentences_about_the_talent(client, world, issue):
    policy = issue("doc-45", 'talent.degree == "master" && talent.tier in ["A", "B", "C"]', "50000")

    response = _login(client, world.users["county_org_dept"]).get(
        reverse("policies:policy_explain", args=[policy.pk]), {"talent": world.talent_a.pk}
    )

    html = response.content.decode()
    shown = _text(html.split('<details class="technical">')[0])
    assert "不符合条件" in shown
    assert "该人才的人才类别为D类，不属于A类、B类、C类" in shown
    assert "需要：人才类别为A类、B类、C类之一" in shown
    assert "该人才的学历为硕士，符合要求" in shown
    assert not set("∈∉≠≤≥✓✗") & set(shown)
    # the compact notation stays for officers, behind 技术细节
    assert "人才类别: D类 ∉ {A类, B类, C类} ✗" in _text(html)


def test_explanation_page_shows_the_amount_computation(client, world, issue):
    policy = issue("amount", 'talent.tier == "D"', 'talent.tier == "A" ? 30000 : 10000')

    response = _login(client, world.users["city_org_dept"]).get(
        reverse("policies:policy_explain", args=[policy.pk]), {"talent": world.talent_a.pk}
    )

    text = _text(response.content.decode())
    assert "符合条件" in text and "金额：10,000.00 元" in text
    assert "不属于“人才类别为A类”的情形，按其他情形计算" in text


def test_explaining_a_talent_outside_the_officers_county_is_not_found(client, world, issue):
    policy = issue("anything", "true")
    response = _login(client, world.users["county_org_dept"]).get(
        reverse("policies:policy_explain", args=[policy.pk]), {"talent": world.talent_b.pk}
    )
    assert response.status_code == 404


def test_my_benefits_shows_the_talents_entitlement_and_what_they_miss(client, world, issue):
    issue("for-tier-d", 'talent.tier == "D"', "8000")
    issue("for-doctors", 'talent.degree == "doctor" && talent.age <= 45', "200000")
    run_match()

    html = _login(client, world.users["talent"]).get(reverse("policies:my_benefits")).content.decode()

    offered = html.split('id="offered"')[1].split("</section>")[0]
    missing = html.split('id="missing"')[1].split("</section>")[0]
    assert 'data-policy="for-tier-d"' in offered and "8,000.00 元" in offered and "确认领取" in offered
    assert 'data-policy="for-doctors"' in missing
    said = _text(missing)
    assert "您的学历为硕士，而要求为博士" in said and "要求学历为博士（您的学历为硕士）" in said
    assert "您的年龄为 41 岁，满足“不超过 45 岁”的条件" in said
    assert not set("∈∉≠≤≥✓✗") & set(_text(html)) and "技术细节" not in html


def test_a_talent_confirms_an_offer(client, world, issue):
    policy = issue("offer", 'talent.tier == "D"', "8000")
    run_match()
    entitlement = Entitlement.objects.get(policy=policy)

    _login(client, world.users["talent"])
    client.post(reverse("policies:offer_answer", args=[entitlement.pk, "confirm"]))

    entitlement.refresh_from_db()
    assert entitlement.status == "granted"
    assert AuditEntry.objects.filter(action="policy.offer_confirm").count() == 1


def test_a_talent_cannot_answer_someone_elses_offer(client, world, issue):
    policy = issue("others", 'talent.tier == "C"', "8000")
    run_match()
    entitlement = Entitlement.objects.get(policy=policy)  # talent_b's

    response = _login(client, world.users["talent"]).post(
        reverse("policies:offer_answer", args=[entitlement.pk, "confirm"])
    )

    entitlement.refresh_from_db()
    assert response.status_code == 404 and entitlement.status == "offered"


@override_settings(TASKS=IMMEDIATE_TASKS)
def test_city_officer_runs_the_match_from_the_list_and_sees_the_outcome(client, world, issue):
    issue("tier-d", 'talent.tier == "D"', "1000")

    response = _login(client, world.users["city_org_dept"]).post(reverse("policies:match_start"), follow=True)

    html = response.content.decode()
    assert "匹配完成：新发要约 1，直接兑现 0，预算排队 0，待复核 0" in html
    assert MatchRun.objects.count() == 1 and Entitlement.objects.get().talent == world.talent_a


def test_with_the_database_task_backend_the_match_is_queued_for_the_worker(client, world, issue):
    from django_tasks_db.models import DBTaskResult

    response = _login(client, world.users["city_org_dept"]).post(reverse("policies:match_start"), follow=True)

    assert "匹配已提交后台运行" in response.content.decode()
    assert DBTaskResult.objects.filter(task_path__endswith="match_task").count() == 1
    assert MatchRun.objects.count() == 0


@override_settings(TASKS=IMMEDIATE_TASKS)
def test_county_officer_may_not_run_the_match(client, world):
    _login(client, world.users["county_org_dept"])
    assert "运行匹配" not in client.get(reverse("policies:policy_list")).content.decode()

    response = client.post(reverse("policies:match_start"))

    assert response.status_code == 403 and MatchRun.objects.count() == 0


def test_home_page_panels_for_talent_and_officer(client, world, issue):
    issue("tier-d", 'talent.tier == "D"', "1000")
    run_match()

    talent_html = _login(client, world.users["talent"]).get("/").content.decode()
    officer_html = _login(client, world.users["city_org_dept"]).get("/").content.decode()

    assert 'id="policies-panel"' in talent_html and "我的政策红利" in talent_html
    assert re.search(r'data-count="offered">1<', talent_html)
    assert "人才政策（免申即享）" in officer_html and re.search(r'data-count="policies">1<', officer_html)


def test_policy_pages_in_english(client, world, issue):
    issue("english", 'talent.tier == "D"', "1000")
    client.cookies["django_language"] = "en"
    html = _login(client, world.users["city_org_dept"]).get(reverse("policies:policy_list")).content.decode()
    assert "Run matching" in html and "Version in force" in html and "version 1 (from" in html


def test_policy_list_for_a_policy_maker_counts_drafts(client, world, issue):
    policy = issue("with-draft", 'talent.tier == "D"')
    _draft(policy, "true")
    html = _login(client, world.users["city_org_dept"]).get(reverse("policies:policy_list")).content.decode()
    assert "草稿 1 份" in _row(html, "with-draft")
    assert Policy.objects.count() == 1
