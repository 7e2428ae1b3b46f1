"""One-stop pages: the one form with the engine's pre-check, my applications, the window and its one notice,
department queues with colours, the dashboard, the gold card with its QR token, providers, and scoping."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rencai.onestop import selectors, services
from rencai.onestop.models import Application, CorrectionNotice, EducationVoucher, GoldCard, StepTask
from rencai.onestop.selectors import item_in_region
from rencai.onestop.tokens import card_token, verify_token
from rencai.policies.matching import run_match
from tests import factories
from tests.onestop.builders import give_all_materials, in_progress_gold_card, submitted_gold_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def text(response) -> str:
    return response.content.decode()


def finish_steps(onestop, application) -> None:
    for task in application.steps.filter(state="pending"):
        services.decide_step(actor=onestop.officers[task.department.kind], task=task, approve=True)


def issued_card(onestop) -> GoldCard:
    application = in_progress_gold_card(onestop)
    finish_steps(onestop, application)
    return GoldCard.objects.get(application=application)


def longyou_application(onestop) -> Application:
    """An application by talent_b in Longyou (county B), with an account of its own."""
    world = onestop.world
    user = factories.make_user("longyou_talent", "talent")
    world.talent_b.account = user
    world.talent_b.save()
    return services.apply(actor=user, item=item_in_region("gold_card", world.county_b))


# -- catalogue and the one form -----------------------------------------------------------------------------


def test_catalogue_shows_the_items_a_county_talent_inherits_from_the_city(onestop, as_user):
    response = as_user(onestop.talent_user).get(reverse("onestop:catalogue"))
    page = text(response)
    assert response.status_code == 200
    for name in ("人才金卡申领", "高层次人才子女教育券", "住房公积金“特优贷”", "来衢安家补贴"):
        assert name in page
    assert "衢州市" in page  # the city's items, inherited by Jiangshan
    assert reverse("onestop:apply", args=["gold_card"]) in page


def test_apply_page_explains_eligibility_and_asks_only_for_missing_materials(onestop, as_user):
    services.add_material(actor=onestop.talent_user, given=services.NewMaterial("id_copy", "电子证照 ID-1"))
    response = as_user(onestop.talent_user).get(reverse("onestop:apply", args=["gold_card"]))
    page = text(response)
    assert 'data-eligibility="yes"' in page and "符合申请条件" in page
    assert "人才类别" in page  # the clause on the tier, shown before submission
    assert 'data-reused="id_copy"' in page and "电子证照 ID-1" in page
    assert 'name="ref_id_copy"' not in page  # already in the library: never asked again
    assert 'data-missing="photo"' in page and 'name="ref_photo"' in page
    assert 'data-missing="talent_certificate"' in page
    assert 'id="apply-form"' in page


def test_ineligible_talent_learns_why_clause_by_clause_and_cannot_submit(onestop, as_user):
    talent = onestop.world.talent_a
    talent.tier = "E"
    talent.save()
    client = as_user(onestop.talent_user)
    page = text(client.get(reverse("onestop:apply", args=["gold_card"])))
    assert 'data-eligibility="no"' in page and "不符合申请条件" in page
    assert 'data-passed="no"' in page and "您的人才类别为E类，不属于A类、B类、C类、D类" in page
    assert "需要：人才类别为A类、B类、C类、D类之一" in page and "∉" not in page and "技术细节" not in page
    assert 'id="apply-form"' not in page and "data-ineligible" in page

    response = client.post(
        reverse("onestop:apply", args=["gold_card"]), {"idempotency_key": "x" * 32}, follow=True
    )
    assert "不符合申请条件" in text(response)
    assert not Application.objects.exists()


def test_applying_with_a_missing_material_submits_and_stores_what_was_given(onestop, as_user):
    client = as_user(onestop.talent_user)
    response = client.post(
        reverse("onestop:apply", args=["gold_card"]),
        {"idempotency_key": "k" * 32, "ref_id_copy": "电子证照 ID-9", "ref_photo": "照片 2026"},
    )
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("onestop:application_detail", args=[application.pk])
    assert application.state == "submitted" and application.talent == onestop.world.talent_a
    assert {m.material_type.code for m in application.materials.all()} == {"id_copy", "photo"}
    # a double click (same key) does not make a second application
    client.post(reverse("onestop:apply", args=["gold_card"]), {"idempotency_key": "k" * 32})
    assert Application.objects.count() == 1


def test_enterprise_chooses_an_employee_and_applies_on_their_behalf(onestop, as_user):
    world = onestop.world
    client = as_user(world.users["enterprise"])
    page = text(client.get(reverse("onestop:catalogue")))
    assert world.talent_a.name in page and world.talent_b.name not in page
    page = text(client.get(reverse("onestop:catalogue"), {"talent": world.talent_a.pk}))
    assert f"?talent={world.talent_a.pk}" in page
    url = reverse("onestop:apply", args=["gold_card"])
    response = client.post(
        f"{url}?talent={world.talent_a.pk}",
        {"idempotency_key": "e" * 32, "talent": world.talent_a.pk, "ref_id_copy": "ID"},
    )
    application = Application.objects.get()
    assert response.status_code == 302
    assert application.enterprise == world.enterprise_a and application.talent == world.talent_a
    mine = text(client.get(reverse("onestop:my_applications")))
    assert "人才金卡申领" in mine and world.talent_a.name in mine
    # another enterprise's talent is out of reach
    assert (
        client.get(reverse("onestop:apply", args=["gold_card"]), {"talent": world.talent_b.pk}).status_code
        == 404
    )


# -- my applications ----------------------------------------------------------------------------------------


def test_my_applications_shows_every_step_with_state_and_working_day_deadline(onestop, as_user):
    application = in_progress_gold_card(onestop)
    page = text(as_user(onestop.talent_user).get(reverse("onestop:my_applications")))
    assert f'data-application="{application.pk}"' in page and "部门办理中" in page
    for task in application.steps.select_related("department"):
        assert task.department.name in page
        assert task.due_on.strftime("%Y-%m-%d") in page
    assert "3 个工作日" in page and 'data-step-state="pending"' in page


def test_talent_sees_only_own_applications(onestop, as_user):
    mine = submitted_gold_card(onestop)
    theirs = longyou_application(onestop)
    client = as_user(onestop.talent_user)
    page = text(client.get(reverse("onestop:my_applications")))
    assert f'data-application="{mine.pk}"' in page and f'data-application="{theirs.pk}"' not in page
    assert client.get(reverse("onestop:application_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("onestop:window_queue")).status_code == 403


# -- the window and its one correction notice ---------------------------------------------------------------


def test_window_queue_lists_its_regions_submissions_and_another_countys_are_404(onestop, as_user):
    mine = services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"])
    theirs = longyou_application(onestop)
    client = as_user(onestop.window)
    page = text(client.get(reverse("onestop:window_queue")))
    assert f'data-application="{mine.pk}"' in page and f'data-application="{theirs.pk}"' not in page
    assert onestop.world.talent_a.name in page
    assert client.get(reverse("onestop:application_detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("onestop:accept", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "submitted"


def test_window_returns_once_with_a_checklist_and_the_talent_sees_the_whole_notice(onestop, as_user):
    application = services.apply(
        actor=onestop.talent_user,
        item=onestop.items["gold_card"],
        materials=[services.NewMaterial("id_copy", "ID 模糊")],
    )
    officer = as_user(onestop.window)
    detail = text(officer.get(reverse("onestop:application_detail", args=[application.pk])))
    assert 'id="return-form"' in detail and 'data-checklist="photo"' in detail
    assert 'data-material="photo" data-present="no"' in detail
    refused = officer.post(reverse("onestop:accept", args=[application.pk]), follow=True)
    assert "材料不齐" in text(refused)

    officer.post(
        reverse("onestop:return_application", args=[application.pk]),
        {
            "problem_id_copy": "wrong",
            "note_id_copy": "复印件不清晰",
            "problem_photo": "missing",
            "problem_talent_certificate": "missing",
            "note": "请携带原件核对",
        },
    )
    notice = CorrectionNotice.objects.get(application=application)
    assert [(i["material_type"], i["problem"]) for i in notice.items] == [
        ("id_copy", "wrong"),
        ("photo", "missing"),
        ("talent_certificate", "missing"),
    ]
    again = text(officer.get(reverse("onestop:application_detail", args=[application.pk])))
    assert 'id="return-form"' not in again  # one notice: no second return

    talent = as_user(onestop.talent_user)
    page = text(talent.get(reverse("onestop:my_applications")))
    for expected in ("一次性告知", "身份证复印件", "有误", "复印件不清晰", "近期免冠照片", "请携带原件核对"):
        assert expected in page
    detail = text(talent.get(reverse("onestop:application_detail", args=[application.pk])))
    assert 'id="resubmit"' in detail and 'name="ref_id_copy"' in detail and 'name="ref_photo"' in detail


def test_return_without_anything_ticked_is_refused(onestop, as_user):
    application = services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"])
    response = as_user(onestop.window).post(
        reverse("onestop:return_application", args=[application.pk]),
        {"problem_photo": "", "note": ""},
        follow=True,
    )
    assert "请在清单中勾选全部需补正的材料" in text(response)
    application.refresh_from_db()
    assert application.state == "submitted"


def test_resubmitted_application_goes_back_to_the_same_officer(onestop, as_user):
    application = services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"])
    services.return_with_notice(
        actor=onestop.window,
        application=application,
        items=[services.NoticeItem(t.code, "missing") for t in onestop.items["gold_card"].materials.all()],
    )
    talent = as_user(onestop.talent_user)
    incomplete = talent.post(
        reverse("onestop:resubmit", args=[application.pk]), {"ref_id_copy": "ID"}, follow=True
    )
    assert "补正材料尚不完整" in text(incomplete)
    talent.post(
        reverse("onestop:resubmit", args=[application.pk]),
        {"ref_id_copy": "ID", "ref_photo": "照片", "ref_talent_certificate": "认定书", "comment": "已补齐"},
    )
    application.refresh_from_db()
    assert application.state == "resubmitted"

    other = factories.make_user("county2", "county_org_dept", region=onestop.world.county_a)
    other_page = text(as_user(other).get(reverse("onestop:window_queue")))
    assert f'data-application="{application.pk}"' not in other_page
    officer = as_user(onestop.window)
    assert f'data-application="{application.pk}"' in text(officer.get(reverse("onestop:window_queue")))
    officer.post(reverse("onestop:accept", args=[application.pk]))
    application.refresh_from_db()
    assert application.state == "in_progress" and application.steps.count() == 2


# -- department queues --------------------------------------------------------------------------------------


def test_department_queue_colours_steps_and_serves_a_page_with_one_count_and_one_page_query(onestop, as_user):
    application = in_progress_gold_card(onestop)
    task = application.steps.get(department__kind="hrss")
    today = dt.date.today()
    StepTask.objects.filter(pk=task.pk).update(
        opened_on=today - dt.timedelta(days=20), due_on=today - dt.timedelta(days=1)
    )
    other = in_progress_gold_card_for(onestop, onestop.world.talent_a2)
    soon = other.steps.get(department__kind="hrss")
    StepTask.objects.filter(pk=soon.pk).update(due_on=today)
    client = as_user(onestop.officers["hrss"])
    with CaptureQueriesContext(connection) as queries:
        page = text(client.get(reverse("onestop:department_queue")))
    step_queries = [q["sql"] for q in queries.captured_queries if "onestop_steptask" in q["sql"]]
    # the unread badge asks once which of the officer's notified steps are decided (onestop.inbox)
    badge = [sql for sql in step_queries if re.search(r'WHERE \(?"onestop_steptask"."id" IN', sql)]
    assert len(badge) <= 1
    assert len(step_queries) - len(badge) == 2  # COUNT and the page, whatever the number of rows
    assert f'class="state-red" data-task="{task.pk}"' in page
    assert f'class="state-yellow" data-task="{soon.pk}"' in page
    assert page.index(f'data-task="{task.pk}"') < page.index(f'data-task="{soon.pk}"')  # earliest first
    assert "已超期" in page and "待办 2 件" in page
    # the org department sees only its own steps
    org_page = text(as_user(onestop.officers["org"]).get(reverse("onestop:department_queue")))
    assert f'data-task="{task.pk}"' not in org_page


def in_progress_gold_card_for(onestop, talent) -> Application:
    user = factories.make_user(f"t{talent.pk}", "talent")
    talent.account = user
    talent.tier = "C"
    talent.save()
    for code in ("id_copy", "photo", "talent_certificate"):
        services.add_material(actor=user, given=services.NewMaterial(code, "电子证照"))
    application = services.apply(actor=user, item=onestop.items["gold_card"])
    services.accept(actor=onestop.window, application=application)
    return application


def test_department_approves_or_rejects_with_a_reason_from_the_step_page(onestop, as_user):
    application = in_progress_gold_card(onestop)
    hrss = application.steps.get(department__kind="hrss")
    org = application.steps.get(department__kind="org")
    client = as_user(onestop.officers["hrss"])
    page = text(client.get(reverse("onestop:step_detail", args=[hrss.pk])))
    assert "人才类别核验" in page and "身份证复印件" in page and 'id="decide"' in page
    assert client.get(reverse("onestop:step_detail", args=[org.pk])).status_code == 404
    no_reason = client.post(
        reverse("onestop:step_detail", args=[hrss.pk]), {"decision": "reject", "reason": ""}
    )
    assert "不同意时须说明理由" in text(no_reason)
    client.post(reverse("onestop:step_detail", args=[hrss.pk]), {"decision": "approve"})
    hrss.refresh_from_db()
    assert hrss.state == "approved"
    as_user(onestop.officers["org"]).post(
        reverse("onestop:step_detail", args=[org.pk]), {"decision": "reject", "reason": "类别认定已过期"}
    )
    application.refresh_from_db()
    assert application.state == "rejected"
    page = text(
        as_user(onestop.talent_user).get(reverse("onestop:application_detail", args=[application.pk]))
    )
    assert "未通过" in page and "类别认定已过期" in page


# -- dashboard ----------------------------------------------------------------------------------------------


def test_dashboard_shows_on_time_rates_per_department_and_item_with_a_chart(onestop, as_user):
    card = in_progress_gold_card(onestop)
    finish_steps(onestop, card)
    page = text(as_user(onestop.window).get(reverse("onestop:dashboard")))
    assert "vendor/echarts.min.js" in page and 'id="ontime-data"' in page
    assert 'data-ontime="department"' in page and 'data-ontime="item"' in page
    assert f'data-row="{onestop.departments["hrss"].name}"' in page and 'data-row="人才金卡申领"' in page
    assert "100%" in page
    assert as_user(onestop.talent_user).get(reverse("onestop:dashboard")).status_code == 403


# -- the gold card, revocation, providers -------------------------------------------------------------------


def test_card_page_shows_holder_tier_validity_benefits_and_a_qr_of_the_signed_token(onestop, as_user):
    card = issued_card(onestop)
    page = text(as_user(onestop.talent_user).get(reverse("onestop:my_card"), follow=True))
    assert card.card_number in page and onestop.world.talent_a.name in page
    assert card.valid_until.strftime("%Y-%m-%d") in page and "D 类" in page
    assert card.benefits[0] in page
    assert "<svg" in page and 'class="segno"' in page
    token = card_token(card)
    assert token in page
    assert verify_token(token).card_number == card.card_number


def test_another_talents_card_is_404(onestop, as_user):
    card = issued_card(onestop)
    stranger = factories.make_user("stranger", "talent")
    factories.make_talent(onestop.world.county_a, account=stranger)
    client = as_user(stranger)
    assert client.get(reverse("onestop:card_detail", args=[card.pk])).status_code == 404
    assert "您还没有人才金卡" in text(client.get(reverse("onestop:my_card")))


def test_provider_verifies_a_card_then_an_officer_revokes_it_and_verification_fails(onestop, as_user):
    card = issued_card(onestop)
    token = card_token(card)
    provider = as_user(onestop.world.users["provider"])
    page = text(provider.post(reverse("onestop:provider_verify"), {"token": token}))
    assert 'data-result="ok"' in page and "人才金卡有效" in page and card.card_number in page
    assert onestop.world.talent_a.name not in page  # the holder's name is masked for providers
    assert 'data-log="ok"' in page

    officer = as_user(onestop.window)
    assert 'id="revoke"' in text(officer.get(reverse("onestop:card_detail", args=[card.pk])))
    assert card.card_number in text(officer.get(reverse("onestop:card_list"), {"q": card.card_number}))
    officer.post(reverse("onestop:revoke_card", args=[card.pk]), {"reason": "已调离衢州"})
    card.refresh_from_db()
    assert card.status == "revoked" and card.revoked_reason == "已调离衢州"

    provider = as_user(onestop.world.users["provider"])
    page = text(provider.post(reverse("onestop:provider_verify"), {"token": token}))
    assert 'data-result="revoked"' in page and "人才金卡已注销" in page
    assert 'data-log="revoked"' in page and 'data-log="ok"' in page
    garbage = text(provider.post(reverse("onestop:provider_verify"), {"token": "abc.def"}))
    assert 'data-result="invalid"' in garbage


def test_talent_cannot_revoke_and_another_countys_officer_gets_404(onestop, as_user):
    card = issued_card(onestop)
    response = as_user(onestop.talent_user).post(
        reverse("onestop:revoke_card", args=[card.pk]), {"reason": "x"}, follow=True
    )
    assert "只有组织部门可以注销人才金卡" in text(response) and 'id="revoke"' not in text(response)
    longyou = factories.make_user("longyou", "county_org_dept", region=onestop.world.county_b)
    client = as_user(longyou)
    assert client.post(reverse("onestop:revoke_card", args=[card.pk]), {"reason": "x"}).status_code == 404
    card.refresh_from_db()
    assert card.status == "active"


def test_a_voucher_is_redeemed_once_and_the_second_attempt_is_refused_clearly(onestop, as_user):
    onestop.world.talent_a.tier = "C"
    onestop.world.talent_a.save()
    give_all_materials(onestop, "education_voucher")
    application = services.apply(
        actor=onestop.talent_user, item=onestop.items["education_voucher"], form_data={"child_name": "江小宇"}
    )
    services.accept(actor=onestop.window, application=application)
    finish_steps(onestop, application)
    finish_steps(onestop, application)  # the second group (finance) opens after the first
    voucher = EducationVoucher.objects.get()
    school = as_user(onestop.world.users["provider"])
    first = text(school.post(reverse("onestop:provider_redeem"), {"voucher_number": voucher.voucher_number}))
    assert f'data-redeemed="{voucher.voucher_number}"' in first and "江小宇" in first
    second = text(school.post(reverse("onestop:provider_redeem"), {"voucher_number": voucher.voucher_number}))
    assert "该教育券已兑付，不能重复兑付" in second and "data-redeemed" not in second
    life = text(as_user(onestop.talent_user).get(reverse("onestop:my_applications")))
    assert "兑付成功" in life and "重复兑付被拒绝" in life and voucher.voucher_number in life


def test_provider_home_is_for_providers(onestop, as_user):
    page = text(as_user(onestop.world.users["provider"]).get(reverse("onestop:provider_home")))
    assert 'name="token"' in page and 'name="voucher_number"' in page
    assert as_user(onestop.talent_user).get(reverse("onestop:provider_home")).status_code == 403


# -- offers and loans ---------------------------------------------------------------------------------------


def test_proactive_offer_is_confirmed_with_one_click(onestop, as_user):
    talent = onestop.world.talent_a
    talent.tier = "B"
    talent.save()
    run_match()
    services.offers_from_entitlements()
    client = as_user(onestop.talent_user)
    page = text(client.get(reverse("onestop:my_applications")))
    offer = selectors.offers_of(onestop.talent_user).get(item__code="education_voucher")
    assert f'data-offer="{offer.pk}"' in page and "一键确认" in page
    client.post(reverse("onestop:confirm_offer", args=[offer.pk]), {"child_name": "江小宇"})
    offer.refresh_from_db()
    assert offer.state == "in_progress" and offer.form_data["child_name"] == "江小宇"


def test_housing_fund_centre_decides_a_referral_and_the_talent_sees_it(onestop, as_user):
    give_all_materials(onestop, "housing_loan")
    application = services.apply(actor=onestop.talent_user, item=onestop.items["housing_loan"])
    services.accept(actor=onestop.window, application=application)
    finish_steps(onestop, application)
    referral = application.loan_referrals.get()
    centre = as_user(onestop.officers["housing_fund"])
    assert f'data-loan="{referral.pk}"' in text(centre.get(reverse("onestop:department_queue")))
    centre.post(reverse("onestop:loan_decision", args=[referral.pk]), {"decision": "approve", "note": "同意"})
    referral.refresh_from_db()
    assert referral.status == "approved"
    page = text(as_user(onestop.talent_user).get(reverse("onestop:my_applications")))
    assert f'data-loan="{referral.pk}"' in page and "已批准" in page and "600,000.00 元" in page


def test_pages_render_in_english(onestop, as_user):
    client = as_user(onestop.talent_user)
    client.cookies["django_language"] = "en"
    submitted_gold_card(onestop)
    page = text(client.get(reverse("onestop:my_applications"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "My applications" in page


def test_the_department_queue_filters_overdue_and_due_today_as_the_home_tiles_count_them(onestop, as_user):
    late = in_progress_gold_card(onestop).steps.get(department__kind="hrss")
    other = in_progress_gold_card_for(onestop, onestop.world.talent_a2)
    today_task = other.steps.get(department__kind="hrss")
    today = dt.date.today()
    StepTask.objects.filter(pk=late.pk).update(
        opened_on=today - dt.timedelta(days=20), due_on=today - dt.timedelta(days=2)
    )
    StepTask.objects.filter(pk=today_task.pk).update(due_on=today)
    client = as_user(onestop.officers["hrss"])

    home = text(client.get("/"))
    assert f'href="{reverse("onestop:department_queue")}?due=overdue" data-queue="overdue"' in home
    assert f'href="{reverse("onestop:department_queue")}?due=today" data-queue="due_today"' in home
    overdue = text(client.get(reverse("onestop:department_queue") + "?due=overdue"))
    assert f'data-task="{late.pk}"' in overdue and f'data-task="{today_task.pk}"' not in overdue
    due_today = text(client.get(reverse("onestop:department_queue") + "?due=today"))
    assert f'data-task="{today_task.pk}"' in due_today and f'data-task="{late.pk}"' not in due_today
    everything = text(client.get(reverse("onestop:department_queue") + "?due=nonsense"))
    assert f'data-task="{late.pk}"' in everything and f'data-task="{today_task.pk}"' in everything
