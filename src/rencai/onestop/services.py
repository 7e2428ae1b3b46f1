"""Every write of the one-stop services: applying, the window, department steps, outcomes, offers, reminders.

The application's state only moves through `statemachine.transition`; the functions here decide when.
Parties are told at each step through `core.notifications.notify` (messages in Chinese).
"""

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files import File
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Count, Min
from django.utils import timezone

from rencai.accounts.models import User, is_org_dept
from rencai.core import audit
from rencai.core.access import region_ancestor_ids, visible_to
from rencai.core.calendar import add_working_days
from rencai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import Region
from rencai.core.notifications import notify
from rencai.onestop import selectors
from rencai.onestop.models import (
    LOAN_QUOTA_BY_TIER,
    OPEN_STATES,
    Application,
    ApplicationMaterial,
    CorrectionNotice,
    DepartmentHead,
    EducationVoucher,
    GoldCard,
    HousingLoanReferral,
    Material,
    MaterialType,
    Outcome,
    ServiceItem,
    StepTask,
    VoucherRedemption,
)
from rencai.onestop.statemachine import APPLICANT, DEPARTMENT, SYSTEM, WINDOW, role_of, transition
from rencai.policies.models import Policy
from rencai.registry.choices import DepartmentKind
from rencai.registry.models import Department, Talent

CARD_VALIDITY_YEARS = 3
DEFAULT_VOUCHER_AMOUNT = Decimal("10000")
GOLD_CARD_BENEFITS = {
    "A": ["市级医院就医绿色通道及专家门诊优先", "市内公交、景区免费", "子女入学按意愿统筹安排",
          "配偶就业协助安置", "专属人才服务专员一对一服务"],
    "B": ["市级医院就医绿色通道", "市内公交、景区免费", "子女入学优先安排", "配偶就业协助安置"],
    "C": ["市级医院就医绿色通道", "市内国有景区免费", "子女入学优先安排"],
    "D": ["市级医院就医预约优先", "市内国有景区免费"],
}  # fmt: skip


def _link(application: Application) -> str:
    return f"/services/applications/{application.pk}/"


# -- parties ------------------------------------------------------------------------------------------------


def _applicant_users(application: Application) -> list[User]:
    users = []
    if application.talent.account_id:
        users.append(application.talent.account)
    if application.enterprise_id:
        users += list(
            User.objects.filter(role="enterprise", enterprise_id=application.enterprise_id, is_active=True)
        )
    return users


def _window_officers(application: Application) -> list[User]:
    """The officers of the application's region; without any, those of the regions above."""
    if application.window_officer_id:
        return [application.window_officer]
    ancestors = Region.objects.filter(pk__in=region_ancestor_ids(application.region_id)).order_by("-path")
    for region_id in ancestors.values_list("pk", flat=True):
        officers = list(
            User.objects.filter(
                role__in=["county_org_dept", "city_org_dept"], region_id=region_id, is_active=True
            )
        )
        if officers:
            return officers
    return []


def _department_users(department: Department) -> list[User]:
    return list(User.objects.filter(role="department", department=department, is_active=True))


def _tell(users, *, subject: str, body: str, link: str = "", kind: str) -> None:
    for user in {u.pk: u for u in users}.values():
        notify(recipient=user, subject=subject, body=body, link=link, kind=kind)


# -- material library ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewMaterial:
    """A document given with an application: a file, or a reference (e.g. an electronic licence number)."""

    type_code: str
    reference: str = ""
    file: File | None = None


def _talent_for(actor, talent: Talent | None) -> Talent:
    """The talent an actor applies for: a talent applies for themselves, an enterprise for its employee."""
    if actor.role == "talent":
        own = selectors.own_talent(actor)
        if own is None or (talent is not None and talent.pk != own.pk):
            raise NotFound()
        return own
    if actor.role == "enterprise":
        if talent is None or talent.current_employer_id != actor.enterprise_id:
            raise NotFound()
        return talent
    raise PermissionDenied("只有人才本人或其用人单位可以申请", "Only the talent or their employer may apply")


def _store_material(*, actor, talent: Talent, given: NewMaterial) -> Material:
    material_type = MaterialType.objects.filter(code=given.type_code).first()
    if material_type is None:
        raise ValidationFailed(
            [{"field": "materials", "message_zh": f"未知的材料类型：{given.type_code}",
              "message_en": f"Unknown material type: {given.type_code}"}]
        )  # fmt: skip
    if not given.reference.strip() and given.file is None:
        raise ValidationFailed(
            [{"field": "materials", "message_zh": f"{material_type.name}：请上传文件或填写证照编号",
              "message_en": f"{material_type.code}: upload a file or give a reference"}]
        )  # fmt: skip
    Material.objects.filter(talent=talent, material_type=material_type, is_current=True).update(
        is_current=False
    )
    material = Material(
        talent=talent, material_type=material_type, reference=given.reference.strip(), uploaded_by=actor
    )
    if given.file is not None:
        material.file.save(getattr(given.file, "name", "material") or "material", given.file, save=False)
    material.save()
    return material


@transaction.atomic
def add_material(*, actor, talent: Talent | None = None, given: NewMaterial) -> Material:
    """Put a document into the talent's library (replacing the current one of its type)."""
    talent = _talent_for(actor, talent)
    material = _store_material(actor=actor, talent=talent, given=given)
    audit.record(
        actor=actor,
        action="onestop.material.add",
        obj=material,
        region_code=talent.region.code,
        detail={"talent": talent.pk, "type": given.type_code},
    )
    return material


def _attach_library(application: Application) -> list[str]:
    """Link the library's current materials to the application; return the codes still missing."""
    missing = []
    for need in selectors.materials_needed(application.talent, application.item):
        if need.material is None:
            missing.append(need.material_type.code)
            continue
        ApplicationMaterial.objects.update_or_create(
            application=application, material_type=need.material_type, defaults={"material": need.material}
        )
    return missing


# -- applying -----------------------------------------------------------------------------------------------


class Ineligible(DomainError):
    status = 422

    def __init__(self, eligibility: selectors.Eligibility):
        super().__init__(
            "ineligible",
            "不符合申请条件：" + "；".join(eligibility.reasons_zh),
            "Not eligible: " + "; ".join(eligibility.reasons_en),
            details=[
                {"field": "eligibility", "message_zh": zh, "message_en": en}
                for zh, en in zip(eligibility.reasons_zh, eligibility.reasons_en, strict=True)
            ],
        )
        self.eligibility = eligibility


def _check_can_apply(talent: Talent, item: ServiceItem, form_data: dict) -> None:
    if selectors.item_in_region(item.code, talent.region) != item:
        raise NotFound("该事项在您所在地区不可办理", "This service is not offered where the talent lives")
    if Application.objects.filter(talent=talent, item__code=item.code, state__in=OPEN_STATES).exists():
        raise DomainError(
            "already_open", "该事项已有正在办理的申请", "An application for this service is already open"
        )
    if item.outcome == Outcome.GOLD_CARD and GoldCard.objects.filter(talent=talent, status="active").exists():
        raise DomainError("card_held", "已持有有效的人才金卡", "The talent already holds a valid gold card")
    if item.outcome == Outcome.EDUCATION_VOUCHER and not str(form_data.get("child_name", "")).strip():
        raise ValidationFailed(
            [{"field": "child_name", "message_zh": "请填写子女姓名", "message_en": "Give the child's name"}]
        )


def apply(
    *,
    actor,
    item: ServiceItem,
    talent: Talent | None = None,
    materials: list[NewMaterial] | None = None,
    form_data: dict | None = None,
    idempotency_key: str = "",
    submit: bool = True,
) -> Application:
    """Apply for an item (a talent for themselves, an enterprise for its employee).

    The engine pre-checks eligibility first: an ineligible talent is refused with the failed clauses.
    Materials in the library are reused; new ones join the library. Missing materials do not block
    submission: the window lists them all at once in its correction notice. Retrying with the same
    idempotency key returns the application made the first time.
    """
    talent = _talent_for(actor, talent)
    if idempotency_key:
        existing = _same_request(idempotency_key, talent, item)
        if existing is not None:
            return existing
    form_data = dict(form_data or {})
    _check_can_apply(talent, item, form_data)
    eligibility = selectors.eligibility_of(talent, item)
    if not eligibility.eligible:
        raise Ineligible(eligibility)
    try:
        return _create_application(
            actor,
            talent,
            item,
            eligibility,
            materials,
            form_data,
            idempotency_key or uuid.uuid4().hex,
            submit,
        )
    except IntegrityError:
        # the same request arrived twice at once: the other one stored it first, answer with that one
        existing = _same_request(idempotency_key, talent, item) if idempotency_key else None
        if existing is None:
            raise
        return existing


def _same_request(idempotency_key: str, talent: Talent, item: ServiceItem) -> Application | None:
    existing = Application.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None and (existing.talent_id != talent.pk or existing.item_id != item.pk):
        raise DomainError(
            "idempotency_conflict",
            "该幂等键已用于其他申请",
            "The idempotency key was used for another request",
        )
    return existing


def _create_application(actor, talent, item, eligibility, materials, form_data, key, submit) -> Application:
    with transaction.atomic():
        for given in materials or []:
            _store_material(actor=actor, talent=talent, given=given)
        application = Application(
            talent=talent,
            enterprise_id=actor.enterprise_id if actor.role == "enterprise" else None,
            item=item,
            region=talent.region,
            form_data=form_data,
            eligibility=eligibility.explanation,
            amount=eligibility.amount,
            idempotency_key=key,
            submitted_by=actor,
        )
        transition(application, "submitted" if submit else "draft", actor=actor, role=APPLICANT)
        missing = _attach_library(application)
        if submit:
            _announce_submission(application, missing)
    return application


def _announce_submission(application: Application, missing: list[str]) -> None:
    _tell(
        _applicant_users(application),
        subject=f"申请已提交：{application.item.name}",
        body=f"您的“{application.item.name}”申请已提交，窗口将尽快受理。",
        link=_link(application),
        kind="onestop.submitted",
    )
    note = f"（尚缺材料 {len(missing)} 项）" if missing else ""
    _tell(
        _window_officers(application),
        subject=f"新申请待受理：{application.item.name}",
        body=f"{application.talent.name} 提交了“{application.item.name}”申请{note}。",
        link=_link(application),
        kind="onestop.window",
    )


def submit_draft(*, actor, application: Application) -> Application:
    _visible(actor, application)
    with transaction.atomic():
        transition(application, "submitted", actor=actor)
        missing = _attach_library(application)
        _announce_submission(application, missing)
    return application


def withdraw(*, actor, application: Application, comment: str = "") -> Application:
    _visible(actor, application)
    transition(application, "withdrawn", actor=actor, comment=comment)
    return application


def _visible(actor, application: Application) -> None:
    if not visible_to(actor, Application.objects.filter(pk=application.pk)).exists():
        raise NotFound()


# -- the window ---------------------------------------------------------------------------------------------


def accept(
    *, actor, application: Application, comment: str = "", today: dt.date | None = None
) -> Application:
    """Accept at the window: every material must be there; the department steps open at once.

    `today` is the acceptance date the deadlines count from (default: today; a paper application received
    earlier may be entered with its real date)."""
    _visible(actor, application)
    if role_of(actor, application) != WINDOW:
        raise PermissionDenied("只有窗口人员可以受理", "Only window officers may accept applications")
    with transaction.atomic():
        missing = _attach_library(application)
        if missing:
            names = list(MaterialType.objects.filter(code__in=missing).values_list("name", flat=True))
            raise DomainError(
                "materials_missing",
                "材料不齐，请一次性告知补正：" + "、".join(names),
                "Materials are missing; return the application with one notice: " + ", ".join(missing),
            )
        application.window_officer = application.window_officer or actor
        transition(application, "accepted", actor=actor, comment=comment)
        _tell(
            _applicant_users(application),
            subject=f"申请已受理：{application.item.name}",
            body=f"您的“{application.item.name}”申请已受理，正在转相关部门办理。",
            link=_link(application),
            kind="onestop.accepted",
        )
        _start_departments(application, actor=actor, today=today)
    return application


@dataclass(frozen=True)
class NoticeItem:
    material_type: str  # code
    problem: str  # "missing" or "wrong"
    note: str = ""


def return_with_notice(
    *, actor, application: Application, items: list[NoticeItem], note: str = ""
) -> CorrectionNotice:
    """Return the application once, listing everything missing or wrong (一次性告知)."""
    _visible(actor, application)
    if role_of(actor, application) != WINDOW:
        raise PermissionDenied("只有窗口人员可以退回补正", "Only window officers may return applications")
    problems = _notice_problems(items)
    if problems:
        raise ValidationFailed(problems)
    types = {t.code: t for t in MaterialType.objects.filter(code__in=[i.material_type for i in items])}
    with transaction.atomic():
        application.window_officer = actor
        transition(application, "returned", actor=actor, comment=note)
        try:
            with transaction.atomic():
                notice = CorrectionNotice.objects.create(
                    application=application,
                    officer=actor,
                    note=note,
                    items=[
                        {"material_type": i.material_type, "name": types[i.material_type].name,
                         "problem": i.problem, "note": i.note}
                        for i in items
                    ],
                )  # fmt: skip
        except IntegrityError:
            raise DomainError(
                "notice_exists",
                "已一次性告知过补正事项，不能再次退回",
                "A correction notice was already issued; the application cannot be returned again",
            ) from None
        lines = "\n".join(
            f"{n}. {item['name']}：{'缺少' if item['problem'] == 'missing' else '有误'}"
            + (f"（{item['note']}）" if item["note"] else "")
            for n, item in enumerate(notice.items, start=1)
        )
        _tell(
            _applicant_users(application),
            subject=f"请一次性补正材料：{application.item.name}",
            body=f"您的“{application.item.name}”申请需补正以下材料（一次性告知）：\n{lines}"
            + (f"\n说明：{note}" if note else ""),
            link=_link(application),
            kind="onestop.returned",
        )
    return notice


def _notice_problems(items: list[NoticeItem]) -> list[dict]:
    if not items:
        return [
            {
                "field": "items",
                "message_zh": "请列出全部需补正的材料",
                "message_en": "List every material to correct",
            }
        ]
    known = set(
        MaterialType.objects.filter(code__in=[i.material_type for i in items]).values_list("code", flat=True)
    )
    problems = []
    for item in items:
        if item.material_type not in known:
            problems.append({"field": "items", "message_zh": f"未知的材料类型：{item.material_type}",
                             "message_en": f"Unknown material type: {item.material_type}"})  # fmt: skip
        if item.problem not in ("missing", "wrong"):
            problems.append({"field": "items", "message_zh": "问题类型应为缺少或有误",
                             "message_en": "A problem is either missing or wrong"})  # fmt: skip
    return problems


def resubmit(
    *, actor, application: Application, materials: list[NewMaterial] | None = None, comment: str = ""
) -> Application:
    """Give what the notice listed; it goes back to the officer who returned it. Refused until every
    listed item is addressed and no needed material is missing, so no second return can be needed."""
    _visible(actor, application)
    with transaction.atomic():
        for given in materials or []:
            _store_material(actor=actor, talent=application.talent, given=given)
        notice = CorrectionNotice.objects.filter(application=application).first()
        problems = _unaddressed(application, notice)
        if problems:
            raise ValidationFailed(problems, "补正材料尚不完整", "The correction is incomplete")
        transition(application, "resubmitted", actor=actor, comment=comment)
        _attach_library(application)
        if notice is not None:
            notice.resolved_at = timezone.now()
            notice.save(update_fields=["resolved_at"])
        _tell(
            _window_officers(application),
            subject=f"补正材料已提交：{application.item.name}",
            body=f"{application.talent.name} 已按告知补正“{application.item.name}”申请材料，请受理。",
            link=_link(application),
            kind="onestop.resubmitted",
        )
    return application


def _unaddressed(application: Application, notice: CorrectionNotice | None) -> list[dict]:
    needs = {
        need.material_type.code: need
        for need in selectors.materials_needed(application.talent, application.item)
    }
    problems = [
        {"field": code, "message_zh": f"仍缺少：{need.material_type.name}",
         "message_en": f"Still missing: {code}"}
        for code, need in needs.items() if need.missing
    ]  # fmt: skip
    for item in notice.items if notice else []:
        if item["problem"] != "wrong":
            continue
        replaced = Material.objects.filter(
            talent=application.talent,
            material_type__code=item["material_type"],
            is_current=True,
            uploaded_at__gt=notice.issued_at,
        ).exists()
        if not replaced:
            problems.append({"field": item["material_type"], "message_zh": f"请重新提交：{item['name']}",
                             "message_en": f"Give a corrected {item['material_type']}"})  # fmt: skip
    return problems


# -- departments --------------------------------------------------------------------------------------------


def department_for(kind: str, region) -> Department:
    """The department of `kind` nearest to `region` (its own, else the one above: e.g. the city's
    housing-fund centre)."""
    candidates = Department.objects.filter(
        kind=kind, region_id__in=region_ancestor_ids(region.pk)
    ).select_related("region")
    department = max(candidates, key=lambda d: len(d.region.path), default=None)
    if department is None:
        raise DomainError(
            "no_department",
            f"{region.name}没有可办理该环节的部门（{kind}）",
            f"No department of kind '{kind}' serves {region.name_en or region.code}",
        )
    return department


def _start_departments(application: Application, *, actor, today: dt.date | None = None) -> None:
    transition(application, "in_progress", actor=actor, role=SYSTEM, comment="分送部门办理")
    first = application.item.steps.aggregate(first=Min("group"))["first"]
    if first is None:  # an item without department steps is approved on acceptance
        _approve_and_complete(application, actor=actor)
        return
    _open_group(application, first, today=today)


def _open_group(application: Application, group: int, *, today: dt.date | None = None) -> list[StepTask]:
    """Open every step of `group` at once (parallel), each due `sla_working_days` working days from today."""
    today = today or timezone.localdate()
    tasks = [
        StepTask(
            application=application,
            step=step,
            department=department_for(step.department_kind, application.region),
            region_id=application.region_id,
            group=group,
            opened_on=today,
            due_on=add_working_days(today, step.sla_working_days),
        )
        for step in application.item.steps.filter(group=group).order_by("department_kind")
    ]
    StepTask.objects.bulk_create(tasks)
    for task in tasks:
        _tell(
            _department_users(task.department),
            subject=f"待办：{application.item.name} · {task.step.action}",
            body=f"{application.talent.name} 的“{application.item.name}”申请需贵部门办理"
            f"（{task.step.action}），请于 {task.due_on:%Y年%m月%d日} 前办结。",
            link=f"/services/steps/{task.pk}/" if task.pk else _link(application),
            kind="onestop.step",
        )
    return tasks


def decide_step(*, actor, task: StepTask, approve: bool, reason: str = "") -> StepTask:
    """A department approves its step, or rejects it with a reason. The application completes when every
    step is approved (later groups open when the earlier one is done); one rejection rejects it."""
    task = selectors.get_step_task(actor, task.pk)
    if actor.role != "department" and not actor.is_superuser:
        raise PermissionDenied("只有办理部门可以审批该环节", "Only the step's department may decide it")
    if not approve and not reason.strip():
        raise ValidationFailed(
            [
                {
                    "field": "reason",
                    "message_zh": "不同意时须说明理由",
                    "message_en": "A rejection needs a reason",
                }
            ]
        )
    with transaction.atomic():
        application = Application.objects.select_for_update().get(
            pk=task.application_id
        )  # serialise siblings
        now = timezone.now()
        updated = StepTask.objects.filter(pk=task.pk, state="pending").update(
            state="approved" if approve else "rejected",
            decided_by=actor,
            decided_at=now,
            decided_on=timezone.localdate(now),
            reason=reason.strip(),
        )
        if not updated:
            raise DomainError("step_decided", "该环节已办理", "This step has already been decided")
        task.refresh_from_db()
        audit.record(
            actor=actor,
            action="onestop.step." + ("approve" if approve else "reject"),
            obj=task,
            detail={"application": application.pk, "step": task.step.action, "reason": reason},
        )
        if approve:
            _after_approval(application, task, actor=actor)
        else:
            _reject(application, task, actor=actor)
    return task


def _after_approval(application: Application, task: StepTask, *, actor) -> None:
    _tell(
        _applicant_users(application),
        subject=f"办理进度：{task.department.name}已同意",
        body=f"您的“{application.item.name}”申请，{task.department.name}（{task.step.action}）已同意。",
        link=_link(application),
        kind="onestop.step_decided",
    )
    if application.steps.filter(state="pending").exists():
        return
    following = application.item.steps.filter(group__gt=task.group).aggregate(next=Min("group"))["next"]
    if following is not None:
        _open_group(application, following)
        return
    _approve_and_complete(application, actor=actor)


def _reject(application: Application, task: StepTask, *, actor) -> None:
    application.steps.filter(state="pending").update(state="cancelled")
    transition(application, "rejected", actor=actor, role=DEPARTMENT, comment=task.reason)
    _tell(
        _applicant_users(application),
        subject=f"申请未通过：{application.item.name}",
        body=f"您的“{application.item.name}”申请未通过。{task.department.name}意见：{task.reason}",
        link=_link(application),
        kind="onestop.rejected",
    )


def _approve_and_complete(application: Application, *, actor, role: str = SYSTEM) -> None:
    transition(application, "approved", actor=actor, role=role)
    outcome = issue_outcome(application)
    transition(application, "completed", actor=actor, role=SYSTEM, comment=outcome)
    _tell(
        _applicant_users(application),
        subject=f"已办结：{application.item.name}",
        body=f"您的“{application.item.name}”申请已办结。{outcome}",
        link=_link(application),
        kind="onestop.completed",
    )


# -- outcomes -----------------------------------------------------------------------------------------------


def issue_outcome(application: Application) -> str:
    """Issue what the item grants; returns a Chinese sentence for the completion message."""
    outcome = application.item.outcome
    if outcome == Outcome.GOLD_CARD:
        card = issue_gold_card(application=application)
        return f"人才金卡已发放，卡号 {card.card_number}，有效期至 {card.valid_until:%Y年%m月%d日}。"
    if outcome == Outcome.EDUCATION_VOUCHER:
        voucher = issue_education_voucher(application=application)
        return f"教育券已发放（{voucher.child_name}，{voucher.amount} 元），券号 {voucher.voucher_number}。"
    if outcome == Outcome.HOUSING_LOAN:
        referral = refer_housing_loan(application=application)
        return f"已转介{referral.department.name}，贷款额度 {referral.quota} 元，请等待审批。"
    if application.amount:
        return f"核定金额 {application.amount} 元。"
    return ""


def _next_card_number(year: int) -> str:
    prefix = f"QZ{year}"
    last = (
        GoldCard.objects.filter(card_number__startswith=prefix)
        .order_by("-card_number")
        .values_list("card_number", flat=True)
        .first()
    )
    return f"{prefix}{int(last[len(prefix) :]) + 1 if last else 1:06d}"


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def issue_gold_card(*, application: Application) -> GoldCard:
    """Issue the card (or return the holder's active one): number, tier, three years' validity, benefits."""
    talent = application.talent
    held = GoldCard.objects.filter(talent=talent, status="active").first()
    if held is not None:
        return held
    today = timezone.localdate()
    tier = talent.tier or "D"
    for _attempt in range(5):  # two cards issued at the same moment may draw the same number
        try:
            with transaction.atomic():
                card = GoldCard.objects.create(
                    card_number=_next_card_number(today.year),
                    talent=talent,
                    region=application.region,
                    tier=tier,
                    application=application,
                    issued_on=today,
                    valid_until=_years_later(today, CARD_VALIDITY_YEARS) - dt.timedelta(days=1),
                    benefits=GOLD_CARD_BENEFITS.get(tier, GOLD_CARD_BENEFITS["D"]),
                )
            break
        except IntegrityError:
            if GoldCard.objects.filter(talent=talent, status="active").exists():
                raise
    else:
        raise DomainError("card_number_busy", "发卡繁忙，请重试", "Card numbers are busy; retry")
    audit.record(
        actor=None, action="onestop.card.issue", obj=card, detail={"card": card.card_number, "tier": tier}
    )
    return card


def issue_education_voucher(*, application: Application) -> EducationVoucher:
    today = timezone.localdate()
    voucher = EducationVoucher.objects.create(
        voucher_number=f"JY{today.year}{secrets.token_hex(4).upper()}",
        talent=application.talent,
        region=application.region,
        application=application,
        child_name=str(application.form_data.get("child_name", "")).strip(),
        amount=application.amount or DEFAULT_VOUCHER_AMOUNT,
        issued_on=today,
    )
    audit.record(
        actor=None, action="onestop.voucher.issue", obj=voucher, detail={"voucher": voucher.voucher_number}
    )
    return voucher


def refer_housing_loan(*, application: Application) -> HousingLoanReferral:
    talent = application.talent
    tier = talent.tier or "D"
    department = department_for("housing_fund", application.region)
    referral = HousingLoanReferral.objects.create(
        talent=talent,
        region=application.region,
        application=application,
        department=department,
        tier=tier,
        quota=application.amount or LOAN_QUOTA_BY_TIER.get(tier, LOAN_QUOTA_BY_TIER["D"]),
    )
    audit.record(actor=None, action="onestop.loan.refer", obj=referral, detail={"quota": referral.quota})
    _tell(
        _department_users(department),
        subject=f"特优贷转介：{talent.name}",
        body=f"{talent.name}（{tier}类人才）申请住房公积金“特优贷”，额度 {referral.quota} 元，请审批。",
        link=f"/services/loans/{referral.pk}/",
        kind="onestop.loan",
    )
    return referral


def revoke_gold_card(*, actor, card: GoldCard, reason: str) -> GoldCard:
    """Revoke a card (e.g. the holder left): verification fails from now on."""
    if not is_org_dept(actor):
        raise PermissionDenied(
            "只有组织部门可以注销人才金卡", "Only organization departments may revoke gold cards"
        )
    if not visible_to(actor, GoldCard.objects.filter(pk=card.pk)).exists():
        raise NotFound()
    if not reason.strip():
        raise ValidationFailed(
            [
                {
                    "field": "reason",
                    "message_zh": "请填写注销原因",
                    "message_en": "Give the reason for revocation",
                }
            ]
        )
    with transaction.atomic():
        now = timezone.now()
        updated = GoldCard.objects.filter(pk=card.pk, status="active").update(
            status="revoked", revoked_at=now, revoked_reason=reason.strip()
        )
        if not updated:
            raise DomainError("card_revoked", "该卡已注销", "The card is already revoked")
        card.refresh_from_db()
        audit.record(actor=actor, action="onestop.card.revoke", obj=card, detail={"reason": reason})
        if card.talent.account_id:
            _tell(
                [card.talent.account],
                subject="人才金卡已注销",
                body=f"您的人才金卡（{card.card_number}）已注销。原因：{reason.strip()}",
                kind="onestop.card_revoked",
            )
    return card


class VoucherRefused(DomainError):
    status = 409


def redeem_voucher(*, provider, voucher_number: str) -> EducationVoucher:
    """A school redeems a voucher once. The conditional UPDATE … WHERE status = 'issued' lets exactly one of
    two concurrent redemptions through; every attempt is logged, refused ones too."""
    if provider.role != "provider" and not provider.is_superuser:
        raise PermissionDenied("只有服务提供方可以兑付教育券", "Only providers may redeem vouchers")
    voucher = EducationVoucher.objects.filter(voucher_number=voucher_number.strip().upper()).first()
    if voucher is None:
        raise NotFound("教育券不存在", "No such voucher")
    with transaction.atomic():
        now = timezone.now()
        updated = EducationVoucher.objects.filter(pk=voucher.pk, status="issued").update(
            status="redeemed", redeemed_by=provider, redeemed_at=now
        )
        voucher.refresh_from_db()
        result = "ok" if updated else ("cancelled" if voucher.status == "cancelled" else "already_redeemed")
        VoucherRedemption.objects.create(voucher=voucher, provider=provider, at=now, result=result)
        audit.record(actor=provider, action="onestop.voucher.redeem", obj=voucher, detail={"result": result})
        if updated and voucher.talent.account_id:
            _tell(
                [voucher.talent.account],
                subject="教育券已兑付",
                body=f"{voucher.child_name}的教育券（{voucher.voucher_number}，{voucher.amount} 元）已由"
                f"{provider.display_name or provider.username}兑付。",
                kind="onestop.voucher_redeemed",
            )
    if result == "cancelled":
        raise VoucherRefused("voucher_cancelled", "该教育券已作废", "The voucher has been cancelled")
    if result != "ok":
        raise VoucherRefused(
            "voucher_redeemed", "该教育券已兑付，不能重复兑付", "The voucher has already been redeemed"
        )
    return voucher


def record_loan_decision(
    *, actor, referral: HousingLoanReferral, approve: bool, note: str = ""
) -> HousingLoanReferral:
    """The housing-fund centre approves or declines a referral; the talent is told."""
    if actor.role != "department" or actor.department_id != referral.department_id:
        if not actor.is_superuser:
            raise NotFound()
    if not approve and not note.strip():
        raise ValidationFailed(
            [{"field": "note", "message_zh": "不批准时须说明理由", "message_en": "A decline needs a reason"}]
        )
    with transaction.atomic():
        now = timezone.now()
        status = "approved" if approve else "declined"
        updated = HousingLoanReferral.objects.filter(pk=referral.pk, status="referred").update(
            status=status, decided_by=actor, decided_at=now, decision_note=note.strip()
        )
        if not updated:
            raise DomainError("loan_decided", "该转介已审批", "This referral has already been decided")
        referral.refresh_from_db()
        audit.record(actor=actor, action=f"onestop.loan.{status}", obj=referral, detail={"note": note})
        if referral.talent.account_id:
            verdict = "已批准" if approve else "未批准"
            _tell(
                [referral.talent.account],
                subject=f"特优贷审批结果：{verdict}",
                body=f"您的住房公积金“特优贷”（额度 {referral.quota} 元）{verdict}。{note.strip()}",
                kind="onestop.loan_decided",
            )
    return referral


# -- proactive (免申即享) ---------------------------------------------------------------------------------


@dataclass
class OfferReport:
    approved: int = 0  # applications created already approved (and completed)
    offered: int = 0  # offers waiting for the talent's one click
    skipped: int = 0  # no item for the policy where the talent lives, or already applied / held


def offers_from_entitlements(*, actor=None, limit: int | None = None) -> OfferReport:
    """Turn the matching run's entitlements into applications, once each (idempotent by entitlement).

    A granted entitlement (a proactive policy) becomes an application already approved and completed
    (the card is issued); an offered one waits for the talent to confirm with one click.
    """
    from rencai.policies.models import Entitlement

    pending = (
        Entitlement.objects.filter(status__in=["granted", "offered"], application__isnull=True)
        .exclude(policy__service_item_code="")
        .select_related("talent__region", "policy")
        .order_by("pk")
    )
    ids = list(
        pending.values_list("pk", flat=True)[:limit] if limit else pending.values_list("pk", flat=True)
    )
    report = OfferReport()
    items_by_region: dict[int, dict[str, ServiceItem]] = {}
    for entitlement in _in_chunks(pending, ids):
        talent = entitlement.talent
        if talent.region_id not in items_by_region:
            items_by_region[talent.region_id] = {i.code: i for i in selectors.items_in_region(talent.region)}
        item = items_by_region[talent.region_id].get(entitlement.policy.service_item_code)
        if item is None or _already_served(talent, item):
            report.skipped += 1
            continue
        needs_form = item.outcome == Outcome.EDUCATION_VOUCHER  # a child's name only the talent can give
        if entitlement.status == "granted" and not needs_form:
            _grant_proactively(entitlement, item, actor=actor)
            report.approved += 1
        else:
            _offer(entitlement, item)
            report.offered += 1
    audit.record(
        actor=actor,
        action="onestop.offers_from_entitlements",
        object_type="onestop",
        detail={"approved": report.approved, "offered": report.offered, "skipped": report.skipped},
    )
    return report


def _in_chunks(queryset, ids: list[int], size: int = 500):
    """Rows by id, a chunk at a time (writes happen between chunks, so no cursor stays open)."""
    for start in range(0, len(ids), size):
        yield from queryset.filter(pk__in=ids[start : start + size])


def _already_served(talent: Talent, item: ServiceItem) -> bool:
    if Application.objects.filter(
        talent=talent, item__code=item.code, state__in=[*OPEN_STATES, "offered"]
    ).exists():
        return True
    return (
        item.outcome == Outcome.GOLD_CARD and GoldCard.objects.filter(talent=talent, status="active").exists()
    )


def _proactive_application(entitlement, item: ServiceItem) -> Application:
    return Application(
        talent=entitlement.talent,
        item=item,
        region=entitlement.talent.region,
        entitlement=entitlement,
        amount=entitlement.amount or None,
        idempotency_key=f"entitlement-{entitlement.pk}",
        eligibility={"policy": entitlement.policy.code, "evaluation_date": str(entitlement.evaluation_date)},
    )


@transaction.atomic
def _grant_proactively(entitlement, item: ServiceItem, *, actor) -> Application:
    application = _proactive_application(entitlement, item)
    transition(application, "approved", actor=actor, role=SYSTEM, comment="免申即享：匹配结果直接兑现")
    outcome = issue_outcome(application)
    transition(application, "completed", actor=actor, role=SYSTEM, comment=outcome)
    _tell(
        _applicant_users(application),
        subject=f"免申即享：{item.name}",
        body=f"根据政策匹配结果，您无需申请即获得“{item.name}”。{outcome}",
        link=_link(application),
        kind="onestop.proactive",
    )
    return application


@transaction.atomic
def _offer(entitlement, item: ServiceItem) -> Application:
    application = _proactive_application(entitlement, item)
    transition(application, "offered", actor=None, role=SYSTEM, comment="免申即享：待本人确认")
    _tell(
        _applicant_users(application),
        subject=f"您可享受：{item.name}",
        body=f"根据政策匹配结果，您符合“{item.name}”条件，点击确认即可办理，无需再次提交材料。",
        link=_link(application),
        kind="onestop.offer",
    )
    return application


def confirm_offer(*, actor, application: Application, form_data: dict | None = None) -> Application:
    """The talent's one click: the offer is accepted without a window visit and goes to the departments."""
    _visible(actor, application)
    if (
        application.item.outcome == Outcome.EDUCATION_VOUCHER
        and not str((form_data or {}).get("child_name", "")).strip()
    ):
        raise ValidationFailed(
            [{"field": "child_name", "message_zh": "请填写子女姓名", "message_en": "Give the child's name"}]
        )
    with transaction.atomic():
        if form_data:
            application.form_data = {**application.form_data, **form_data}
        transition(application, "accepted", actor=actor, comment="本人一键确认")
        _settle_entitlement(actor, application, confirm=True)
        _attach_library(application)
        _start_departments(application, actor=actor)
    return application


def decline_offer(*, actor, application: Application) -> Application:
    _visible(actor, application)
    with transaction.atomic():
        transition(application, "withdrawn", actor=actor, comment="本人放弃")
        _settle_entitlement(actor, application, confirm=False)
    return application


def _settle_entitlement(actor, application: Application, *, confirm: bool) -> None:
    """Keep the policy's entitlement in step (its budget reservation): confirmed or declined there too."""
    from rencai.policies import services as policy_services

    entitlement = application.entitlement
    if entitlement is None or entitlement.status != "offered" or actor is None or actor.role != "talent":
        return
    if confirm:
        policy_services.confirm_offer(actor=actor, entitlement=entitlement)
    else:
        policy_services.decline_offer(actor=actor, entitlement=entitlement)


# -- deadlines: reminders and escalation --------------------------------------------------------------------


@dataclass
class SweepReport:
    reminded: int = 0
    escalated: int = 0
    notifications: int = 0


def sweep_step_deadlines(*, today: dt.date | None = None) -> SweepReport:
    """Remind departments of steps due within one working day (yellow) and escalate overdue ones (red)
    to the department head. Set-based (one grouped count and one UPDATE per colour) and idempotent: a step
    is reminded once and escalated once."""
    today = today or timezone.localdate()
    soon = add_working_days(today, 1)
    report = SweepReport()
    with transaction.atomic():
        pending = StepTask.objects.filter(state="pending")
        yellow = pending.filter(due_on__gte=today, due_on__lte=soon, reminded_at__isnull=True)
        red = pending.filter(due_on__lt=today, escalated_at__isnull=True)
        yellow_counts = _count_by_department(yellow)
        red_counts = _count_by_department(red)
        now = timezone.now()
        report.reminded = yellow.update(reminded_at=now)
        report.escalated = red.update(escalated_at=now)
        departments = Department.objects.in_bulk(set(yellow_counts) | set(red_counts))
        heads = {h.department_id: h.user for h in DepartmentHead.objects.filter(department_id__in=red_counts)}
        for department_id, count in yellow_counts.items():
            users = _department_users(departments[department_id])
            _tell(
                users,
                subject=f"临近时限：{count} 件办理事项",
                body=f"{departments[department_id].name}有 {count} 件办理事项将在一个工作日内到期，"
                "请及时办结。",
                link="/services/steps/",
                kind="onestop.reminder",
            )
            report.notifications += len(users)
        for department_id, count in red_counts.items():
            head = heads.get(department_id)
            users = [head] if head is not None else _department_users(departments[department_id])
            _tell(
                users,
                subject=f"超期督办：{count} 件办理事项",
                body=f"{departments[department_id].name}有 {count} 件办理事项已超过承诺时限，请督促办理。",
                link="/services/steps/",
                kind="onestop.escalation",
            )
            report.notifications += len(users)
        audit.record(
            actor=None,
            action="onestop.reminder_sweep",
            object_type="onestop",
            detail={"today": today, "reminded": report.reminded, "escalated": report.escalated},
        )
    return report


def _count_by_department(queryset) -> dict[int, int]:
    return dict(
        queryset.order_by().values("department_id").annotate(n=Count("id")).values_list("department_id", "n")
    )


# -- the service catalogue (服务事项), maintained by organization officers ----------------------------

MAX_SLA_WORKING_DAYS = 60


@dataclass(frozen=True)
class StepSpec:
    """One department's part of an item as an officer writes it."""

    department_kind: str
    group: int
    action: str
    sla_working_days: int


@dataclass(frozen=True)
class ItemSpec:
    """Everything an officer sets on a service item; `code` is fixed once the item exists."""

    code: str
    name: str
    outcome: str
    description: str = ""
    policy_id: int | None = None
    material_codes: tuple[str, ...] = ()
    steps: tuple[StepSpec, ...] = ()
    is_active: bool = True


def require_catalogue_rights(actor, region: Region) -> None:
    """Organization officers maintain the items of their own region (the city's officers: the city's and
    every county's); a county sees the city's items but changes them only by defining its own."""
    if not is_org_dept(actor):
        raise PermissionDenied(
            "只有组织部门可以维护服务事项", "Only organization departments may maintain service items"
        )
    if not visible_to(actor, Region.objects.filter(pk=region.pk)).exists():
        raise PermissionDenied(
            "只能维护本辖区的服务事项", "You may only maintain service items of your own region"
        )


def _problem(field: str, zh: str, en: str) -> dict:
    return {"field": field, "message_zh": zh, "message_en": en}


def _item_problems(spec: ItemSpec, region: Region, item: ServiceItem | None) -> list[dict]:
    problems = []
    if item is None:
        try:
            validate_slug(spec.code)
        except DjangoValidationError:
            problems.append(
                _problem(
                    "code",
                    "事项编码只能包含字母、数字、下划线和连字符",
                    "Use letters, digits, - and _ in the code",
                )
            )
        else:
            if len(spec.code) > 60:
                problems.append(
                    _problem("code", "事项编码不能超过60个字符", "The code may have at most 60 characters")
                )
            elif ServiceItem.objects.filter(region=region, code=spec.code).exists():
                problems.append(
                    _problem(
                        "code",
                        f"本区划已有编码为 {spec.code} 的事项",
                        f"{region.name} already has an item {spec.code}",
                    )
                )
    if not spec.name.strip():
        problems.append(_problem("name", "请填写事项名称", "Give the item a name"))
    elif len(spec.name) > 200:
        problems.append(
            _problem("name", "事项名称不能超过200个字符", "The name may have at most 200 characters")
        )
    if spec.outcome not in Outcome.values:
        problems.append(_problem("outcome", "请选择办结产出", "Choose what completing the item produces"))
    if (
        spec.policy_id is not None
        and not Policy.objects.filter(
            pk=spec.policy_id, region_id__in=region_ancestor_ids(region.pk)
        ).exists()
    ):
        problems.append(
            _problem(
                "policy",
                "只能选择本区划或上级区划发布的政策",
                "Choose a policy issued for this region or above it",
            )
        )
    known = set(MaterialType.objects.filter(code__in=spec.material_codes).values_list("code", flat=True))
    for code in spec.material_codes:
        if code not in known:
            problems.append(
                _problem("materials", f"未知的材料类型：{code}", f"Unknown material type: {code}")
            )
    problems.extend(step_problems(spec.steps))
    return problems


def step_problems(steps: tuple[StepSpec, ...], kinds: list[str] = DepartmentKind.values) -> list[dict]:
    """What is wrong with a table of steps (empty when nothing is): each problem names its row."""
    if not steps:
        return [_problem("steps", "至少需要一个办理环节", "An item needs at least one department step")]
    problems = []
    seen = set()
    for number, step in enumerate(steps, start=1):
        field = f"steps.{number}"
        if step.department_kind not in kinds:
            problems.append(
                _problem(field, f"第{number}个环节：请选择办理部门", f"Step {number}: choose a department")
            )
        if not step.action.strip():
            problems.append(
                _problem(
                    field, f"第{number}个环节：请填写办理内容", f"Step {number}: say what the department does"
                )
            )
        elif len(step.action) > 100:
            problems.append(
                _problem(
                    field,
                    f"第{number}个环节：办理内容不能超过100个字符",
                    f"Step {number}: at most 100 characters",
                )
            )
        if not 1 <= step.sla_working_days <= MAX_SLA_WORKING_DAYS:
            problems.append(
                _problem(
                    field,
                    f"第{number}个环节：承诺时限应为1至{MAX_SLA_WORKING_DAYS}个工作日",
                    f"Step {number}: the time limit must be 1 to {MAX_SLA_WORKING_DAYS} working days",
                )
            )
        if step.group < 1:
            problems.append(
                _problem(field, f"第{number}个环节：办理顺序从1开始", f"Step {number}: order starts at 1")
            )
        if (step.group, step.department_kind) in seen:
            problems.append(
                _problem(
                    field,
                    f"第{number}个环节：同一部门在同一顺序中只能出现一次",
                    f"Step {number}: a department appears once per order number",
                )
            )
        seen.add((step.group, step.department_kind))
    groups = sorted({step.group for step in steps if step.group >= 1})
    if groups and groups != list(range(1, len(groups) + 1)):
        problems.append(
            _problem(
                "steps",
                "办理顺序应从1开始连续编号（同号并联，小号先办）",
                "Order numbers must run 1, 2, 3 … without gaps (same number: in parallel)",
            )
        )
    return problems  # fmt: skip


def _apply_steps(item: ServiceItem, steps: tuple[StepSpec, ...]) -> None:
    """Steps are keyed by (order, department): kept ones are updated, new ones added, dropped ones deleted,
    except a step that applications already went through (their history points at it)."""
    existing = {(step.group, step.department_kind): step for step in item.steps.all()}
    wanted = {(spec.group, spec.department_kind): spec for spec in steps}
    dropped = [step for key, step in existing.items() if key not in wanted]
    used = {step.pk for step in dropped if step.tasks.exists()}
    if used:
        names = "、".join(
            f"{step.get_department_kind_display()}（{step.action}）" for step in dropped if step.pk in used
        )
        raise ValidationFailed(
            [_problem("steps", f"已有办件经过以下环节，不能删除：{names}。可停用本事项后新建事项。",
                      "Applications went through a removed step; deactivate the item and define a new one")]
        )  # fmt: skip
    for step in dropped:
        step.delete()
    for key, spec in wanted.items():
        step = existing.get(key)
        if step is None:
            item.steps.create(
                department_kind=spec.department_kind,
                group=spec.group,
                action=spec.action.strip(),
                sla_working_days=spec.sla_working_days,
            )
        elif (step.action, step.sla_working_days) != (spec.action.strip(), spec.sla_working_days):
            step.action = spec.action.strip()
            step.sla_working_days = spec.sla_working_days
            step.save(update_fields=["action", "sla_working_days"])


@transaction.atomic
def save_service_item(
    *, actor, region: Region, spec: ItemSpec, item: ServiceItem | None = None
) -> ServiceItem:
    """Create an item of `region` or change `item`; all of it is stored or none. Changed steps apply to
    department steps opened from now on (new applications, and later groups of running ones); steps
    already open keep their promised deadlines."""
    if item is not None:
        if not visible_to(actor, ServiceItem.objects.filter(pk=item.pk)).exists():
            raise NotFound()
        region = item.region
    require_catalogue_rights(actor, region)
    problems = _item_problems(spec, region, item)
    if problems:
        raise ValidationFailed(problems)
    created = item is None
    if created:
        item = ServiceItem(region=region, code=spec.code)
    item.name = spec.name.strip()
    item.description = spec.description.strip()
    item.outcome = spec.outcome
    item.policy_id = spec.policy_id
    item.is_active = spec.is_active
    item.save()
    item.materials.set(MaterialType.objects.filter(code__in=spec.material_codes))
    _apply_steps(item, spec.steps)
    audit.record(
        actor=actor,
        action="onestop.item.create" if created else "onestop.item.update",
        obj=item,
        detail={
            "code": item.code,
            "materials": sorted(spec.material_codes),
            "steps": [[s.group, s.department_kind, s.sla_working_days] for s in spec.steps],
            "active": spec.is_active,
        },
    )
    return item
