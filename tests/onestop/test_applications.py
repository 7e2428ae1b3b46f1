"""Applying, the window (one correction notice), department steps in parallel and in sequence, outcomes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from rencai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry, Notification
from rencai.onestop import selectors, services
from rencai.onestop.models import (
    Application,
    ApplicationMaterial,
    CorrectionNotice,
    GoldCard,
    HousingLoanReferral,
    Material,
    StepTask,
)
from rencai.onestop.statemachine import IllegalTransition
from tests import factories
from tests.concurrency import at_once, on_postgresql
from tests.onestop.builders import give_all_materials, in_progress_gold_card, submitted_gold_card

pytestmark = pytest.mark.django_db


def inbox(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("id"))


def test_ineligible_talent_is_refused_with_the_engines_reasons_before_submission(onestop):
    talent = onestop.world.talent_a
    talent.tier = "E"
    talent.save()
    preview = selectors.application_preview(onestop.talent_user, talent, onestop.items["gold_card"])
    assert not preview.eligibility.eligible
    with pytest.raises(services.Ineligible) as refused:
        services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"])
    assert refused.value.code == "ineligible"
    # what is missing, in a sentence addressed to the talent (never "人才类别: E类 ∉ {…} ✗")
    assert refused.value.message_zh == "您暂不符合申请条件。需要：人才类别为A类、B类、C类、D类之一。"
    assert "∉" not in refused.value.message_en and "not in" not in refused.value.message_en
    assert refused.value.details and refused.value.details[0]["message_en"]
    assert not Application.objects.exists()


def test_materials_given_once_are_reused_and_not_asked_again(onestop):
    talent = onestop.world.talent_a
    card = submitted_gold_card(onestop)
    id_copy = Material.objects.get(talent=talent, material_type__code="id_copy", is_current=True)
    assert (
        ApplicationMaterial.objects.get(application=card, material_type__code="id_copy").material == id_copy
    )

    preview = selectors.application_preview(onestop.talent_user, talent, onestop.items["housing_loan"])
    assert id_copy in preview.reused
    assert [t.code for t in preview.missing] == [
        "employment_contract",
        "housing_contract",
        "social_insurance",
    ]

    loan = services.apply(
        actor=onestop.talent_user,
        item=onestop.items["housing_loan"],
        materials=[
            services.NewMaterial("employment_contract", "合同 2018-001"),
            services.NewMaterial("housing_contract", "网签 JS-2026-1"),
            services.NewMaterial("social_insurance", "社保 2026"),
        ],
    )
    used = ApplicationMaterial.objects.get(application=loan, material_type__code="id_copy").material
    assert used == id_copy  # the same library row: not given again
    assert Material.objects.filter(talent=talent, material_type__code="id_copy").count() == 1
    assert loan.materials.count() == 4


def test_retrying_with_the_same_idempotency_key_returns_the_first_application(onestop):
    give_all_materials(onestop, "gold_card")
    first = services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"], idempotency_key="k-1")
    again = services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"], idempotency_key="k-1")
    assert again.pk == first.pk
    assert Application.objects.count() == 1


def test_a_second_open_application_for_the_same_item_is_refused(onestop):
    submitted_gold_card(onestop)
    with pytest.raises(DomainError) as refused:
        services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"])
    assert refused.value.code == "already_open"


def test_enterprise_applies_on_behalf_of_its_employee_only(onestop):
    world = onestop.world
    employer = world.users["enterprise"]
    application = services.apply(
        actor=employer,
        talent=world.talent_a,
        item=onestop.items["gold_card"],
        materials=[services.NewMaterial("id_copy", "企业代传")],
    )
    assert application.enterprise == world.enterprise_a
    assert application.submitted_by == employer
    assert list(selectors.applications_for(employer)) == [application]
    assert list(selectors.applications_of_talent(world.users["talent"])) == [application]
    with pytest.raises(NotFound):
        services.apply(actor=employer, talent=world.talent_b, item=onestop.items["gold_card"])


def test_window_officer_is_told_of_a_new_application(onestop):
    card = submitted_gold_card(onestop)
    messages = inbox(onestop.window)
    assert messages and "人才金卡申领" in messages[-1].subject
    assert messages[-1].link == f"/services/applications/{card.pk}/"


def test_acceptance_with_missing_materials_is_refused_so_the_officer_returns_it(onestop):
    services.add_material(actor=onestop.talent_user, given=services.NewMaterial("id_copy", "身份证"))
    application = services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"])
    with pytest.raises(DomainError) as refused:
        services.accept(actor=onestop.window, application=application)
    assert refused.value.code == "materials_missing"
    assert "近期免冠照片" in refused.value.message_zh and "人才类别认定证明" in refused.value.message_zh


def test_return_lists_everything_once_and_a_second_return_is_impossible(onestop):
    world = onestop.world
    services.add_material(actor=onestop.talent_user, given=services.NewMaterial("id_copy", "模糊的复印件"))
    application = services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"])
    notice = services.return_with_notice(
        actor=onestop.window,
        application=application,
        items=[
            services.NoticeItem("photo", "missing"),
            services.NoticeItem("talent_certificate", "missing"),
            services.NoticeItem("id_copy", "wrong", "复印件不清晰"),
        ],
        note="请一次补齐",
    )
    application.refresh_from_db()
    assert application.state == "returned" and application.window_officer == onestop.window
    body = inbox(onestop.talent_user)[-1].body
    assert "近期免冠照片" in body and "人才类别认定证明" in body and "复印件不清晰" in body

    # resubmitting without correcting the wrong copy is refused, listing what is still open
    with pytest.raises(ValidationFailed) as incomplete:
        services.resubmit(
            actor=onestop.talent_user,
            application=application,
            materials=[
                services.NewMaterial("photo", "照片"),
                services.NewMaterial("talent_certificate", "证明"),
            ],
        )
    assert [d["field"] for d in incomplete.value.details] == ["id_copy"]
    services.resubmit(
        actor=onestop.talent_user,
        application=application,
        materials=[
            services.NewMaterial("photo", "照片"),
            services.NewMaterial("talent_certificate", "证明"),
            services.NewMaterial("id_copy", "清晰的复印件"),
        ],
    )
    application.refresh_from_db()
    assert application.state == "resubmitted"
    notice.refresh_from_db()
    assert notice.resolved_at is not None
    assert inbox(onestop.window)[-1].kind == "onestop.resubmitted"

    with pytest.raises(IllegalTransition):
        services.return_with_notice(
            actor=onestop.window, application=application, items=[services.NoticeItem("photo", "wrong")]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CorrectionNotice.objects.create(application=application, officer=onestop.window, items=[])

    # it goes back to the same officer: another Jiangshan officer neither sees it queued nor may accept it
    colleague = factories.make_user("county2", "county_org_dept", region=world.county_a)
    assert application not in selectors.window_queue(colleague)
    assert application in selectors.window_queue(onestop.window)
    with pytest.raises(PermissionDenied):
        services.accept(actor=colleague, application=application)
    services.accept(actor=onestop.window, application=application)
    application.refresh_from_db()
    assert application.state == "in_progress"


def test_parallel_steps_open_together_and_the_card_is_issued_only_after_both(onestop):
    application = in_progress_gold_card(onestop)
    steps = {t.department.kind: t for t in application.steps.select_related("department")}
    assert set(steps) == {"hrss", "org"}
    assert all(t.state == "pending" for t in steps.values())
    assert "人才类别核验" in inbox(onestop.officers["hrss"])[-1].body

    services.decide_step(actor=onestop.officers["hrss"], task=steps["hrss"], approve=True)
    application.refresh_from_db()
    assert application.state == "in_progress"
    assert not GoldCard.objects.exists()

    services.decide_step(actor=onestop.officers["org"], task=steps["org"], approve=True)
    application.refresh_from_db()
    assert application.state == "completed" and application.completed_at is not None
    card = GoldCard.objects.get(talent=onestop.world.talent_a)
    today = dt.date.today()
    assert card.card_number == f"QZ{today.year}000001"
    assert card.tier == "D" and card.status == "active" and card.application == application
    assert card.valid_until == dt.date(today.year + 3, today.month, today.day) - dt.timedelta(days=1)
    assert card.benefits and all(isinstance(line, str) for line in card.benefits)
    assert card.card_number in inbox(onestop.talent_user)[-1].body
    assert [t.to_state for t in application.transitions.all()] == [
        "submitted",
        "accepted",
        "in_progress",
        "approved",
        "completed",
    ]
    assert AuditEntry.objects.filter(action="onestop.card.issue", object_id=str(card.pk)).exists()


def test_sequential_groups_open_in_order_and_the_voucher_is_issued_at_the_end(onestop):
    talent = onestop.world.talent_a
    talent.tier = "B"
    talent.save()
    give_all_materials(onestop, "education_voucher")
    application = services.apply(
        actor=onestop.talent_user, item=onestop.items["education_voucher"], form_data={"child_name": "江小宇"}
    )
    assert application.amount == Decimal("20000.00")  # the engine's amount for tier B
    services.accept(actor=onestop.window, application=application)
    assert [t.department.kind for t in application.steps.all()] == ["education"]
    services.decide_step(actor=onestop.officers["education"], task=application.steps.get(), approve=True)
    finance = application.steps.get(department__kind="finance")
    assert finance.state == "pending"
    services.decide_step(actor=onestop.officers["finance"], task=finance, approve=True)
    voucher = talent.education_vouchers.get()
    assert (voucher.child_name, voucher.amount, voucher.status) == ("江小宇", Decimal("20000.00"), "issued")


def test_a_voucher_application_needs_the_childs_name(onestop):
    talent = onestop.world.talent_a
    talent.tier = "B"
    talent.save()
    with pytest.raises(ValidationFailed) as refused:
        services.apply(actor=onestop.talent_user, item=onestop.items["education_voucher"])
    assert refused.value.details[0]["field"] == "child_name"


def test_a_rejected_step_rejects_the_application_with_its_reason_and_stops_the_others(onestop):
    application = in_progress_gold_card(onestop)
    hrss = application.steps.get(department__kind="hrss")
    with pytest.raises(ValidationFailed):
        services.decide_step(actor=onestop.officers["hrss"], task=hrss, approve=False, reason=" ")
    services.decide_step(
        actor=onestop.officers["hrss"], task=hrss, approve=False, reason="人才类别证明已过期"
    )
    application.refresh_from_db()
    assert application.state == "rejected"
    assert application.steps.get(department__kind="org").state == "cancelled"
    assert "人才类别证明已过期" in inbox(onestop.talent_user)[-1].body
    assert not GoldCard.objects.exists()


def test_a_step_is_decided_once_and_only_by_its_department(onestop):
    application = in_progress_gold_card(onestop)
    hrss = application.steps.get(department__kind="hrss")
    with pytest.raises(NotFound):
        services.decide_step(actor=onestop.officers["org"], task=hrss, approve=True)
    services.decide_step(actor=onestop.officers["hrss"], task=hrss, approve=True)
    with pytest.raises(DomainError) as again:
        services.decide_step(actor=onestop.officers["hrss"], task=hrss, approve=True)
    assert again.value.code == "step_decided"


def test_deadlines_count_working_days_across_national_day_and_the_adjusted_saturday(onestop):
    talent = onestop.world.talent_a
    talent.tier = "B"
    talent.save()
    give_all_materials(onestop, "gold_card")
    give_all_materials(onestop, "education_voucher")
    card = services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"])
    voucher = services.apply(
        actor=onestop.talent_user, item=onestop.items["education_voucher"], form_data={"child_name": "江小宇"}
    )
    tuesday = dt.date(2026, 9, 29)  # National Day holiday: 1–7 October; Saturday 10 October is worked
    services.accept(actor=onestop.window, application=card, today=tuesday)
    services.accept(actor=onestop.window, application=voucher, today=tuesday)
    # 3 working days: 30 Sep, 8 Oct, 9 Oct
    assert {t.due_on for t in card.steps.all()} == {dt.date(2026, 10, 9)}
    # 5 working days: 30 Sep, 8 Oct, 9 Oct, 10 Oct (adjusted Saturday), 12 Oct
    assert voucher.steps.get().due_on == dt.date(2026, 10, 12)


def test_housing_loan_is_referred_with_the_tier_quota_and_the_centre_decides(onestop):
    give_all_materials(onestop, "housing_loan")
    application = services.apply(actor=onestop.talent_user, item=onestop.items["housing_loan"])
    services.accept(actor=onestop.window, application=application)
    services.decide_step(actor=onestop.officers["hrss"], task=application.steps.get(), approve=True)
    referral = HousingLoanReferral.objects.get(talent=onestop.world.talent_a)
    assert referral.department == onestop.departments["housing_fund"]
    assert (referral.tier, referral.quota, referral.status) == ("D", Decimal("600000.00"), "referred")
    assert "特优贷" in inbox(onestop.officers["housing_fund"])[-1].subject

    with pytest.raises(NotFound):
        services.record_loan_decision(actor=onestop.officers["hrss"], referral=referral, approve=True)
    services.record_loan_decision(
        actor=onestop.officers["housing_fund"], referral=referral, approve=True, note="额度60万元"
    )
    referral.refresh_from_db()
    assert referral.status == "approved" and referral.decided_by == onestop.officers["housing_fund"]
    assert "已批准" in inbox(onestop.talent_user)[-1].subject
    assert list(selectors.loans_of(onestop.talent_user)) == [referral]
    with pytest.raises(DomainError) as again:
        services.record_loan_decision(
            actor=onestop.officers["housing_fund"], referral=referral, approve=False
        )
    assert again.value.code in ("loan_decided", "validation_failed")


def test_revoking_a_card_needs_a_reason_and_happens_once(onestop):
    application = in_progress_gold_card(onestop)
    for task in application.steps.all():
        services.decide_step(actor=onestop.officers[task.department.kind], task=task, approve=True)
    card = GoldCard.objects.get()
    with pytest.raises(PermissionDenied):
        services.revoke_gold_card(actor=onestop.talent_user, card=card, reason="x")
    with pytest.raises(ValidationFailed):
        services.revoke_gold_card(actor=onestop.window, card=card, reason="")
    services.revoke_gold_card(actor=onestop.window, card=card, reason="人才已离衢")
    card.refresh_from_db()
    assert card.status == "revoked" and card.revoked_at and card.revoked_reason == "人才已离衢"
    assert "已注销" in inbox(onestop.talent_user)[-1].subject
    with pytest.raises(DomainError):
        services.revoke_gold_card(actor=onestop.window, card=card, reason="again")


def test_withdrawing_a_submitted_application_is_logged(onestop):
    application = submitted_gold_card(onestop)
    services.withdraw(actor=onestop.talent_user, application=application, comment="暂不需要")
    application.refresh_from_db()
    assert application.state == "withdrawn"
    last = application.transitions.last()
    assert (last.from_state, last.to_state, last.actor, last.comment) == (
        "submitted",
        "withdrawn",
        onestop.talent_user,
        "暂不需要",
    )
    assert StepTask.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_same_request_twice_at_once_makes_one_application(world):
    """A double-tapped submit: on PostgreSQL two threads with their own connections race past the lookup
    and the unique key decides; the loser answers with the winner's application. SQLite takes them in turn."""
    from tests.onestop.builders import build_services

    onestop = build_services(world)
    give_all_materials(onestop, "gold_card")
    item = onestop.items["gold_card"]

    def attempt() -> int:
        return services.apply(actor=onestop.talent_user, item=item, idempotency_key="tap-tap").pk

    answers = at_once(attempt, attempt, parallel=on_postgresql())
    stored = list(Application.objects.filter(idempotency_key="tap-tap").values_list("pk", flat=True))
    assert len(stored) == 1 and answers == stored * 2


def test_revoking_a_card_and_deciding_a_loan_audit_the_row_before_and_after(onestop):
    application = in_progress_gold_card(onestop)
    for task in application.steps.all():
        services.decide_step(actor=onestop.officers[task.department.kind], task=task, approve=True)
    services.revoke_gold_card(actor=onestop.window, card=GoldCard.objects.get(), reason="人才已离衢")

    revoke = AuditEntry.objects.get(action="onestop.card.revoke")
    assert revoke.detail["reason"] == "人才已离衢"
    assert revoke.detail["before"]["status"] == "active" and revoke.detail["after"]["status"] == "revoked"
    assert set(revoke.detail["changed"]) == {"status", "revoked_at", "revoked_reason"}
    step = AuditEntry.objects.filter(action="onestop.step.approve").order_by("seq").last()
    assert step.detail["before"]["state"] == "pending" and step.detail["after"]["state"] == "approved"

    give_all_materials(onestop, "housing_loan")
    loan = services.apply(actor=onestop.talent_user, item=onestop.items["housing_loan"])
    services.accept(actor=onestop.window, application=loan)
    services.decide_step(actor=onestop.officers["hrss"], task=loan.steps.get(), approve=True)
    referral = HousingLoanReferral.objects.get(talent=onestop.world.talent_a)
    services.record_loan_decision(
        actor=onestop.officers["housing_fund"], referral=referral, approve=False, note="缴存不足"
    )

    decision = AuditEntry.objects.get(action="onestop.loan.declined")
    assert decision.detail["note"] == "缴存不足" and decision.detail["before"]["status"] == "referred"
    assert decision.detail["after"]["status"] == "declined"
    assert decision.detail["after"]["decision_note"] == "缴存不足"
