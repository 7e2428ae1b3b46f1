"""One benefit, one story: the entitlement and the application that pays it show one state, in the same
words, on 我的政策红利 and 我的办事, and an answer on either page moves both rows together."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from rencai.core.errors import DomainError, ValidationFailed
from rencai.onestop import selectors, services
from rencai.onestop.benefit_story import BenefitState, benefit_stories
from rencai.onestop.demo import CATALOGUE
from rencai.onestop.models import Application, StepTask
from rencai.onestop.services.offers import confirm_benefit, decline_benefit, reclaim_benefit
from rencai.policies import ledger
from rencai.policies import services as policy_services
from rencai.policies.demo import DEMO_POLICIES
from rencai.policies.matching import run_match
from rencai.policies.models import Entitlement, Policy, Reservation
from tests.onestop.builders import give_all_materials

pytestmark = pytest.mark.django_db

MY_BENEFITS, MY_SERVICES = "policies:my_benefits", "onestop:my_applications"


@pytest.fixture
def offered(onestop):
    """talent_a (tier B) matched against the demo policies; the offers run made the one-click offers."""
    talent = onestop.world.talent_a
    talent.tier = "B"
    talent.save()
    run_match()
    services.offers_from_entitlements()
    return onestop


@pytest.fixture
def talent_client(client, onestop):
    client.force_login(onestop.talent_user)
    return client


def _entitlement(onestop, code: str) -> Entitlement:
    return Entitlement.objects.select_related("policy").get(talent=onestop.world.talent_a, policy__code=code)


def _line(html: str, policy_code: str) -> str:
    """The text of one benefit's line on a page (tags and spacing removed)."""
    found = re.search(
        rf'<article [^>]*data-policy="{re.escape(policy_code)}"[^>]*>(.*?)</article>', html, re.S
    )
    assert found, f"no line for {policy_code}"
    body = re.split(r'<div class="explanation"', found.group(1))[0]  # the rule's explanation is not the story
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()


def _section_of(html: str, policy_code: str) -> str:
    before = html.split(f'data-policy="{policy_code}"')[0]
    return re.findall(r'<section id="(\w+)"', before)[-1]


def _both_pages(client, policy_code: str) -> tuple[str, str]:
    benefits = client.get(reverse(MY_BENEFITS)).content.decode()
    services_page = client.get(reverse(MY_SERVICES)).content.decode()
    return _line(benefits, policy_code), _line(services_page, policy_code)


def _answer(client, entitlement: Entitlement, answer: str, page: str, **data):
    return client.post(
        reverse("policies:offer_answer", args=[entitlement.pk, answer]),
        {"next": reverse(page), **data},
        follow=True,
    )


# -- confirming: on either page, the same service ------------------------------------------------------------


def test_confirming_on_my_benefits_sends_the_application_to_the_departments_and_both_pages_agree(
    offered, talent_client
):
    entitlement = _entitlement(offered, "housing-loan")
    application = Application.objects.get(entitlement=entitlement)
    assert application.state == "offered"

    response = _answer(talent_client, entitlement, "confirm", MY_BENEFITS)

    application.refresh_from_db()
    entitlement.refresh_from_db()
    assert application.state == "in_progress" and entitlement.status == "granted"
    assert [t.department.kind for t in application.steps.all()] == ["hrss"]
    # the message says where it stands, not "granted"
    assert "办理中" in response.content.decode() and "部门办理中" in response.content.decode()
    on_benefits, on_services = _both_pages(talent_client, "housing-loan")
    assert on_benefits == on_services
    assert "办理中" in on_benefits and "已兑现" not in on_benefits
    due = application.steps.get().due_on.isoformat()
    assert f"部门办理中：{offered.departments['hrss'].name}审核，承诺 {due} 前办结" in on_benefits
    assert "600,000.00 元" not in on_benefits  # tier B: the loan quota of tier B
    assert "1,200,000.00 元" in on_benefits


def test_confirming_on_my_services_confirms_the_entitlement_too(offered, talent_client):
    entitlement = _entitlement(offered, "education-voucher")
    _answer(talent_client, entitlement, "confirm", MY_SERVICES, child_name="江小宇")
    entitlement.refresh_from_db()
    application = Application.objects.get(entitlement=entitlement)
    assert entitlement.status == "granted" and application.state == "in_progress"
    assert application.form_data["child_name"] == "江小宇"
    on_benefits, on_services = _both_pages(talent_client, "education-voucher")
    assert on_benefits == on_services and "办理中" in on_services


def test_paid_is_said_only_once_the_departments_have_completed_it(offered, talent_client):
    entitlement = _entitlement(offered, "education-voucher")
    confirm_benefit(actor=offered.talent_user, entitlement=entitlement, form_data={"child_name": "江小宇"})
    application = Application.objects.get(entitlement=entitlement)
    for task in application.steps.filter(state="pending"):
        assert "已兑现" not in _both_pages(talent_client, "education-voucher")[0]
        services.decide_step(actor=offered.officers[task.department.kind], task=task, approve=True)
    while application.steps.filter(state="pending").exists():  # the second group (finance)
        task = application.steps.filter(state="pending").first()
        services.decide_step(actor=offered.officers[task.department.kind], task=task, approve=True)
    application.refresh_from_db()
    assert application.state == "completed"
    on_benefits, on_services = _both_pages(talent_client, "education-voucher")
    assert on_benefits == on_services and "已兑现" in on_benefits and "教育券已于" in on_benefits


def test_a_housing_loan_is_paid_when_the_fund_centre_approves_not_when_it_is_referred(offered, talent_client):
    entitlement = _entitlement(offered, "housing-loan")
    confirm_benefit(actor=offered.talent_user, entitlement=entitlement)
    application = Application.objects.get(entitlement=entitlement)
    task = application.steps.get()
    services.decide_step(actor=offered.officers["hrss"], task=task, approve=True)
    referral = application.loan_referrals.get()
    on_benefits, on_services = _both_pages(talent_client, "housing-loan")
    assert on_benefits == on_services and "等待贷款审批" in on_benefits and "已兑现" not in on_benefits
    services.record_loan_decision(actor=offered.officers["housing_fund"], referral=referral, approve=True)
    on_benefits, on_services = _both_pages(talent_client, "housing-loan")
    assert on_benefits == on_services and "已兑现" in on_benefits and "已批准贷款" in on_benefits


def test_an_offer_the_offers_run_has_not_reached_yet_is_confirmed_into_the_departments(onestop):
    talent = onestop.world.talent_a
    talent.tier = "B"
    talent.save()
    run_match()  # no offers run: the entitlement has no application yet
    entitlement = _entitlement(onestop, "education-voucher")
    assert not Application.objects.filter(entitlement=entitlement).exists()
    confirm_benefit(actor=onestop.talent_user, entitlement=entitlement, form_data={"child_name": "江小宇"})
    application = Application.objects.get(entitlement=entitlement)
    assert application.state == "in_progress" and application.steps.get().department.kind == "education"
    entitlement.refresh_from_db()
    assert entitlement.status == "granted"
    services.offers_from_entitlements()  # the run that comes later makes nothing twice
    assert Application.objects.filter(talent=talent, item__code="education_voucher").count() == 1


def test_a_childs_name_too_long_for_the_voucher_is_refused_and_nothing_moves(offered):
    entitlement = _entitlement(offered, "education-voucher")
    with pytest.raises(ValidationFailed) as refused:
        confirm_benefit(
            actor=offered.talent_user, entitlement=entitlement, form_data={"child_name": "江" * 51}
        )
    assert refused.value.details[0]["message_en"] == "The child's name has at most 50 characters"
    entitlement.refresh_from_db()
    assert entitlement.status == "offered"
    assert Application.objects.get(entitlement=entitlement).state == "offered"


# -- declining: withdrawn, declined and released together; said truthfully; undoable -------------------------


def test_declining_on_my_services_withdraws_the_offer_declines_the_entitlement_and_releases_the_money(
    offered, talent_client
):
    entitlement = _entitlement(offered, "education-voucher")
    application = Application.objects.get(entitlement=entitlement)
    held = Reservation.objects.get(talent=entitlement.talent, policy=entitlement.policy, status="held")

    response = _answer(talent_client, entitlement, "decline", MY_SERVICES)

    assert response.redirect_chain[-1][0] == reverse(MY_SERVICES)
    application.refresh_from_db()
    entitlement.refresh_from_db()
    held.refresh_from_db()
    assert (application.state, entitlement.status, held.status) == ("withdrawn", "declined", "released")
    assert ledger.discrepancies() == []
    on_benefits, on_services = _both_pages(talent_client, "education-voucher")
    assert on_benefits == on_services
    assert "已放弃" in on_benefits and "为您预留的资金已退回政策预算" in on_benefits
    assert "可以恢复领取" in on_benefits and "恢复领取" in on_services
    benefits_html = talent_client.get(reverse(MY_BENEFITS)).content.decode()
    assert _section_of(benefits_html, "education-voucher") == "ended"
    assert "下次政策匹配" not in _line(benefits_html, "education-voucher")


def test_a_declined_offer_cannot_then_be_confirmed_into_a_department_queue(offered, talent_client):
    entitlement = _entitlement(offered, "education-voucher")
    application = Application.objects.get(entitlement=entitlement)
    _answer(talent_client, entitlement, "decline", MY_BENEFITS)
    # the old one-click button of the application page
    talent_client.post(reverse("onestop:confirm_offer", args=[application.pk]), {"child_name": "江小宇"})
    application.refresh_from_db()
    assert application.state == "withdrawn"
    assert not StepTask.objects.filter(application=application).exists()
    assert not selectors.department_queue(offered.officers["education"]).exists()


def test_an_offer_whose_entitlement_was_declined_elsewhere_is_declined_on_both_pages_and_refused(
    offered, talent_client
):
    """Rows left by the old pages: the entitlement declined on 我的政策红利, its offer still open."""
    entitlement = _entitlement(offered, "education-voucher")
    application = Application.objects.get(entitlement=entitlement)
    policy_services.decline_offer(actor=offered.talent_user, entitlement=entitlement)
    on_benefits, on_services = _both_pages(talent_client, "education-voucher")
    assert on_benefits == on_services and "已放弃" in on_benefits and "一键确认领取" not in on_benefits
    with pytest.raises(DomainError) as refused:
        services.confirm_offer(
            actor=offered.talent_user, application=application, form_data={"child_name": "江小宇"}
        )
    assert refused.value.code == "entitlement_not_offered"
    application.refresh_from_db()
    assert application.state == "offered" and not application.steps.exists()


def test_a_benefit_under_way_cannot_be_declined_and_the_page_says_why(offered, talent_client):
    entitlement = _entitlement(offered, "housing-loan")
    confirm_benefit(actor=offered.talent_user, entitlement=entitlement)
    page = _answer(talent_client, entitlement, "decline", MY_SERVICES).content.decode()
    assert "只有待确认的政策红利可以确认或放弃" in page
    assert Application.objects.get(entitlement=entitlement).state == "in_progress"


def test_a_declined_benefit_is_claimed_again_and_offered_anew(offered, talent_client):
    entitlement = _entitlement(offered, "education-voucher")
    declined = Application.objects.get(entitlement=entitlement)
    decline_benefit(actor=offered.talent_user, entitlement=entitlement)

    response = _answer(talent_client, entitlement, "reclaim", MY_BENEFITS)

    entitlement.refresh_from_db()
    assert entitlement.status == "offered" and entitlement.amount == Decimal("20000.00")
    assert Reservation.objects.filter(
        talent=entitlement.talent, policy=entitlement.policy, status="held"
    ).exists()
    assert ledger.discrepancies() == []
    offer = Application.objects.get(entitlement=entitlement)
    declined.refresh_from_db()
    assert offer.pk != declined.pk and offer.state == "offered" and declined.state == "withdrawn"
    assert "待确认" in response.content.decode()
    on_benefits, on_services = _both_pages(talent_client, "education-voucher")
    assert on_benefits == on_services and "一键确认领取" in on_benefits
    # the declined offer stays as history in the applications list
    assert f'data-application="{declined.pk}"' in talent_client.get(reverse(MY_SERVICES)).content.decode()
    confirm_benefit(actor=offered.talent_user, entitlement=entitlement, form_data={"child_name": "江小宇"})
    offer.refresh_from_db()
    assert offer.state == "in_progress"


def test_claiming_again_is_refused_when_the_budget_cannot_cover_it(offered, talent_client):
    entitlement = _entitlement(offered, "education-voucher")
    decline_benefit(actor=offered.talent_user, entitlement=entitlement)
    policy = Policy.objects.get(code="education-voucher")
    policy.budget_per_year = ledger.committed([policy.pk], entitlement.budget_year)[policy.pk][1]
    policy.save()

    page = _answer(talent_client, entitlement, "reclaim", MY_BENEFITS).content.decode()

    assert "预算余额不足" in page
    entitlement.refresh_from_db()
    assert entitlement.status == "declined" and ledger.discrepancies() == []


def test_claiming_again_waits_behind_talents_queued_for_the_budget(offered):
    entitlement = _entitlement(offered, "education-voucher")
    decline_benefit(actor=offered.talent_user, entitlement=entitlement)
    other = Entitlement.objects.exclude(pk=entitlement.pk).filter(policy=entitlement.policy).first()
    if other is None:
        other = Entitlement.objects.create(
            talent=offered.world.talent_b,
            policy=entitlement.policy,
            policy_version=entitlement.policy_version,
            status="queued",
            amount=Decimal("10000"),
            budget_year=entitlement.budget_year,
            queue_position=1,
            evaluation_date=entitlement.evaluation_date,
            features_hash="0" * 64,
        )
    else:
        Entitlement.objects.filter(pk=other.pk).update(status="queued", queue_position=1)
    with pytest.raises(DomainError) as refused:
        reclaim_benefit(actor=offered.talent_user, entitlement=entitlement)
    assert refused.value.code == "budget_exhausted" and "排队" in refused.value.message_zh


# -- one name, one line per benefit --------------------------------------------------------------------------


def test_each_demo_service_item_paying_one_policy_carries_the_policys_name():
    policy_names = {code: name for code, _region, name, *_rest in DEMO_POLICIES}
    for code, name, policy_code, *_rest in CATALOGUE:
        if code in ("academician_station", "platform_reward", "education_voucher", "housing_loan"):
            assert name == policy_names[policy_code], code


def test_a_benefit_is_named_after_its_policy_on_both_pages(offered, talent_client):
    on_benefits, on_services = _both_pages(talent_client, "education-voucher")
    assert on_benefits.startswith("高层次人才子女教育券") and on_services.startswith("高层次人才子女教育券")


def test_an_application_the_window_returned_is_one_line_needing_correction_on_both_pages(
    onestop, talent_client
):
    give_all_materials(onestop, "housing_loan")
    application = services.apply(actor=onestop.talent_user, item=onestop.items["housing_loan"])
    services.return_with_notice(
        actor=onestop.window,
        application=application,
        items=[services.NoticeItem("housing_contract", "wrong", "合同缺页")],
        note="请补正后在线提交",
    )
    on_benefits, on_services = _both_pages(talent_client, "housing-loan")
    assert on_benefits == on_services
    assert "需补正材料" in on_benefits and "合同缺页" in on_benefits and "已兑现" not in on_benefits
    stories = benefit_stories(onestop.talent_user, onestop.world.talent_a)
    [story] = [s for s in stories if s.policy is not None and s.policy.code == "housing-loan"]
    assert story.state == BenefitState.CORRECTION and story.application == application
    # listed once: not again among the other applications
    services_html = talent_client.get(reverse(MY_SERVICES)).content.decode()
    assert services_html.count(f'data-application="{application.pk}"') == 1


def test_the_pages_render_the_story_in_english(offered, talent_client):
    entitlement = _entitlement(offered, "housing-loan")
    confirm_benefit(actor=offered.talent_user, entitlement=entitlement)
    talent_client.cookies["django_language"] = "en"
    page = talent_client.get(reverse(MY_SERVICES), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    line = _line(page, "housing-loan")
    assert "In progress" in line and "With the departments:" in line and "yuan" in line


def test_a_department_refusing_a_confirmed_benefit_revokes_it_and_returns_its_money(offered, talent_client):
    """The offer was confirmed and the department said no: the benefit is 未通过 on both pages, not
    已兑现, and the amount the matching run reserved for it goes back to the budget."""
    entitlement = _entitlement(offered, "education-voucher")
    confirm_benefit(actor=offered.talent_user, entitlement=entitlement, form_data={"child_name": "江小宇"})
    application = Application.objects.get(entitlement=entitlement)
    held = Reservation.objects.get(policy=entitlement.policy, talent=entitlement.talent, status="held")
    task = application.steps.filter(state="pending").first()
    services.decide_step(
        actor=offered.officers[task.department.kind], task=task, approve=False, reason="子女不在本市就读"
    )

    entitlement.refresh_from_db()
    held.refresh_from_db()
    assert Application.objects.get(pk=application.pk).state == "rejected"
    assert entitlement.status == "revoked" and held.status == "released"
    assert ledger.discrepancies() == []
    on_benefits, on_services = _both_pages(talent_client, "education-voucher")
    assert on_benefits == on_services and "未通过" in on_benefits and "已兑现" not in on_benefits


def test_the_home_page_counts_benefits_as_the_benefits_pages_tell_them(offered, talent_client):
    """A confirmed benefit still with a department is 办理中 on the home page too, not 已享受/已兑现."""
    entitlement = _entitlement(offered, "housing-loan")
    confirm_benefit(actor=offered.talent_user, entitlement=entitlement)
    home = talent_client.get("/").content.decode()
    pages = talent_client.get(reverse(MY_BENEFITS)).content.decode()
    for key in ("offered", "under_way", "granted"):
        shown = int(re.search(rf'data-count="{key}">(\d+)<', home).group(1))
        section = re.search(rf'<section id="{key}" class="benefits">(.*?)</section>', pages, re.S)
        assert shown == (section.group(1).count("<article ") if section else 0), key
    assert int(re.search(r'data-count="under_way">(\d+)<', home).group(1)) >= 1
    assert _section_of(pages, "housing-loan") == "under_way"


def test_an_officer_reads_the_paying_service_item_by_its_name_not_its_code(offered, client):
    policy = Policy.objects.exclude(service_item_code="").get(code="housing-loan")
    client.force_login(offered.world.users["city_org_dept"])
    page = client.get(reverse("policies:policy_detail", args=[policy.pk])).content.decode()
    item = offered.items[policy.service_item_code]
    assert f"<dd>{item.name}</dd>" in page
    assert f"<dd>{policy.service_item_code}</dd>" not in page


def test_claiming_again_when_no_longer_eligible_says_what_is_needed_in_a_sentence(offered):
    entitlement = _entitlement(offered, "education-voucher")
    decline_benefit(actor=offered.talent_user, entitlement=entitlement)
    talent = offered.world.talent_a
    talent.tier = "E"
    talent.save()

    with pytest.raises(DomainError) as refused:
        reclaim_benefit(actor=offered.talent_user, entitlement=entitlement)

    assert refused.value.code == "ineligible"
    assert refused.value.message_zh.startswith("您已不再符合条件，不能恢复领取。需要")
    assert refused.value.message_en.startswith("You no longer qualify, so it cannot be claimed again. Needed")
    for symbol in ("∉", "∈", "≠", "≤", "≥", "✗", "{"):
        assert symbol not in refused.value.message_zh + refused.value.message_en
