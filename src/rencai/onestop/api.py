"""One-stop services API (/api/services/…): apply, the window, department steps, vouchers, loans, cards.

Thin: every read goes through `selectors` (scoped; out of scope is 404), every write through `services`.
Card verification (/api/cards/verify) is H6's router, mounted at the end.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status

from rencai.core import calendar
from rencai.core.access import visible_to
from rencai.core.errors import NotFound, ValidationFailed, problem
from rencai.core.pagination import window
from rencai.core.schemas import (
    CONFLICT,
    NOT_FOUND,
    REFUSED,
    TOO_MANY,
    Id,
    Limit,
    Note,
    Offset,
    Reason,
    declared,
    errors,
    text_schema,
)
from rencai.onestop import selectors, services
from rencai.onestop.models import Application, Outcome
from rencai.onestop.services.catalogue import MAX_SLA_WORKING_DAYS
from rencai.policies.models import Policy
from rencai.registry.choices import DepartmentKind

router = Router(tags=["onestop"])

READ = errors(NOT_FOUND)
# 400: a refusal of the request (materials missing); 409: of the state it meets (already open, decided…)
WRITE = errors(REFUSED, NOT_FOUND, CONFLICT)


# -- schemas ------------------------------------------------------------------------------------------------


class ItemOut(Schema):
    id: int
    code: str
    name: str
    region: str = Field(..., alias="region.code")
    outcome: str
    policy: str | None = Field(None, alias="policy.code")
    materials: list[str]
    description: str

    @staticmethod
    def resolve_materials(item) -> list[str]:
        return [t.code for t in item.materials.all()]


class ItemStepOut(Schema):
    group: int
    department_kind: str
    action: str
    sla_working_days: int


class ItemDetailOut(ItemOut):
    is_active: bool
    steps: list[ItemStepOut]

    @staticmethod
    def resolve_steps(item) -> list:
        return list(item.steps.order_by("group", "department_kind"))


class ItemStepIn(Schema):
    """One department's step; order numbers run 1, 2, 3 … (a rule across steps the service checks)."""

    group: Annotated[int, declared(minimum=1)] = 1
    department_kind: Annotated[str, declared(enum=DepartmentKind.values)]
    action: Annotated[str, declared(text_schema(100))]
    sla_working_days: Annotated[int, declared(minimum=1, maximum=MAX_SLA_WORKING_DAYS)]


class ItemIn(Schema):
    """A service item as an officer defines it; `region` (GB/T 2260 code) and `code` only on creation."""

    region: str = ""
    code: Annotated[str, declared(pattern=r"^[-a-zA-Z0-9_]{0,60}$")] = ""
    name: Annotated[str, declared(text_schema(200))]
    outcome: Annotated[str, declared(enum=Outcome.values)]
    description: Note = ""
    policy: str | None = None
    materials: list[str] = []
    steps: Annotated[list[ItemStepIn], declared(minItems=1)]
    is_active: bool = True


class StepOut(Schema):
    id: int
    department: str = Field(..., alias="department.name")
    department_kind: str = Field(..., alias="department.kind")
    action: str = Field(..., alias="step.action")
    group: int
    state: str
    opened_on: dt.date
    due_on: dt.date
    colour: str = ""
    # True while the calendar lacks the next working day's year: yellow is then counted Monday to Friday,
    # and `colour_note` says which year is missing and who maintains the calendar
    colour_estimated: bool = False
    colour_note: str = ""
    decided_at: dt.datetime | None
    reason: str


class TransitionOut(Schema):
    from_state: str
    to_state: str
    role: str
    actor: str | None = Field(None, alias="actor.username")
    at: dt.datetime
    comment: str


class ApplicationOut(Schema):
    id: int
    item: str = Field(..., alias="item.code")
    item_name: str = Field(..., alias="item.name")
    talent_id: int
    talent_name: str = Field(..., alias="talent.name")
    enterprise_id: int | None
    region: str = Field(..., alias="region.code")
    state: str
    state_label: str
    amount: Decimal | None
    submitted_at: dt.datetime | None
    accepted_at: dt.datetime | None
    completed_at: dt.datetime | None
    window_officer: str | None = Field(None, alias="window_officer.username")

    @staticmethod
    def resolve_state_label(application) -> str:
        return str(application.get_state_display())


class NoticeOut(Schema):
    issued_at: dt.datetime
    items: list[dict]
    note: str
    resolved_at: dt.datetime | None


class ApplicationDetailOut(ApplicationOut):
    steps: list[StepOut] = Field(..., alias="detail_steps")
    transitions: list[TransitionOut] = Field(..., alias="detail_transitions")
    correction_notice: NoticeOut | None = Field(None, alias="detail_notice")
    materials: list[str] = Field(..., alias="detail_materials")


class MaterialIn(Schema):
    type: str
    reference: str


class ApplyIn(Schema):
    item: str  # item code
    talent_id: int | None = None  # an enterprise applying for its employee
    materials: list[MaterialIn] = []
    form_data: dict = {}
    idempotency_key: str = ""


class CommentIn(Schema):
    comment: Note = ""


class NoticeItemIn(Schema):
    material_type: str  # a material type's code
    problem: Annotated[str, declared(enum=["missing", "wrong"])]
    note: Note = ""


class ReturnIn(Schema):
    """The one correction notice: every material to correct, at once."""

    items: Annotated[list[NoticeItemIn], declared(minItems=1)]
    note: Note = ""


class ResubmitIn(Schema):
    materials: list[MaterialIn] = []
    comment: str = ""


class ConfirmIn(Schema):
    form_data: dict = {}


class DecideIn(Schema):
    approve: bool
    reason: str = ""


class RedeemIn(Schema):
    voucher_number: str


class VoucherOut(Schema):
    id: int
    voucher_number: str
    child_name: str
    amount: Decimal
    status: str
    issued_on: dt.date
    redeemed_at: dt.datetime | None
    redeemed_by: str | None = Field(None, alias="redeemed_by.display_name")


class LoanDecisionIn(Schema):
    approve: bool
    note: str = ""


class LoanOut(Schema):
    id: int
    talent_name: str = Field(..., alias="talent.name")
    department: str = Field(..., alias="department.name")
    tier: str
    quota: Decimal
    status: str
    referred_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: str


class RevokeIn(Schema):
    reason: Reason


class CardOut(Schema):
    id: int
    card_number: str
    tier: str
    talent_name: str = Field(..., alias="talent.name")
    issued_on: dt.date
    valid_until: dt.date
    status: str
    revoked_at: dt.datetime | None
    revoked_reason: str
    benefits: list[str]


# -- helpers ------------------------------------------------------------------------------------------------


def _materials(given: list[MaterialIn]) -> list[services.NewMaterial]:
    return [services.NewMaterial(m.type, m.reference) for m in given]


def _detail(request, application: Application) -> Application:
    """The application with its coloured steps, transitions, notice and materials (ApplicationDetailOut)."""
    detail = selectors.application_detail(request.auth, application.pk)
    shown = detail.application
    shown.detail_steps = _with_calendar_note(detail.steps)
    shown.detail_transitions = detail.transitions
    shown.detail_notice = detail.notice
    shown.detail_materials = [m.material_type.code for m in detail.materials]
    return shown


def _with_calendar_note(steps: list) -> list:
    """Mark the steps' colours as estimated, with the warning in the request's language, while the calendar
    lacks the next working day's year (the pages show the same warning as a panel)."""
    thresholds = selectors.colour_thresholds()
    if thresholds.estimated:
        note = gettext(
            "工作日历尚无 %(years)s 年的节假日安排：“临近时限”颜色在该年暂按周一至周五估算，可能不准。"
            "工作日历由%(who)s维护。"
        ) % {
            "years": ", ".join(str(year) for year in thresholds.missing_years),
            "who": calendar.maintainers(),
        }
        for step in steps:
            step.colour_estimated = True
            step.colour_note = note
    return steps


# -- catalogue and applying ---------------------------------------------------------------------------------


@router.get("/services/items", response={200: list[ItemOut], **READ}, summary="服务事项 / Service items")
def list_items(request):
    return selectors.catalogue_for(request.auth)


def _item_spec(user, body: ItemIn, code: str) -> services.ItemSpec:
    policy_id = None
    if body.policy:
        # Looked up in the caller's scope: another county's policy is as unknown as a code that never was
        policy_id = (
            visible_to(user, Policy.objects.filter(code=body.policy)).values_list("pk", flat=True).first()
        )
        if policy_id is None:
            zh, en = f"未知的政策：{body.policy}", f"Unknown policy: {body.policy}"
            raise ValidationFailed([problem("policy", zh, en)])
    steps = tuple(
        services.StepSpec(s.department_kind, s.group, s.action, s.sla_working_days) for s in body.steps
    )
    return services.ItemSpec(
        code=code,
        name=body.name,
        outcome=body.outcome,
        description=body.description,
        policy_id=policy_id,
        material_codes=tuple(body.materials),
        steps=steps,
        is_active=body.is_active,
    )


@router.post(
    "/services/items", response={201: ItemDetailOut, **WRITE}, summary="新增服务事项 / Define a service item"
)
def create_item(request, body: ItemIn):
    region = selectors.maintained_regions(request.auth).filter(code=body.region).first()
    if region is None:
        raise NotFound("区划不存在或不在您的辖区内", "No such region within your jurisdiction")
    item = services.save_service_item(
        actor=request.auth, region=region, spec=_item_spec(request.auth, body, body.code)
    )
    return Status(201, item)


@router.put(
    "/services/items/{item_id}",
    response={200: ItemDetailOut, **WRITE},
    summary="修改服务事项 / Change a service item",
)
def update_item(request, item_id: Id, body: ItemIn):
    item = selectors.get_item(request.auth, item_id)
    item = services.save_service_item(
        actor=request.auth,
        region=item.region,
        item=item,
        spec=_item_spec(request.auth, body, body.code or item.code),
    )
    return item


@router.post(
    "/services/applications", response={201: ApplicationDetailOut, **WRITE}, summary="提交申请 / Apply"
)
def apply(request, body: ApplyIn):
    talent = selectors.get_talent(request.auth, body.talent_id) if body.talent_id else None
    region = (talent or selectors.own_talent(request.auth) or _no_talent()).region
    item = selectors.item_in_region(body.item, region) or _no_item()
    application = services.apply(
        actor=request.auth,
        item=item,
        talent=talent,
        materials=_materials(body.materials),
        form_data=body.form_data,
        idempotency_key=body.idempotency_key or request.headers.get("Idempotency-Key", ""),
    )
    return Status(201, _detail(request, application))


def _no_talent():
    raise NotFound("未找到申请人", "No applicant talent")


def _no_item():
    raise NotFound("该事项在申请人所在地区不可办理", "This service is not offered where the talent lives")


@router.get(
    "/services/applications", response={200: list[ApplicationOut], **READ}, summary="申请列表 / Applications"
)
def list_applications(request, state: str = "", item: str = "", limit: Limit = 50, offset: Offset = 0):
    queryset = selectors.applications_for(request.auth, state=state, item_code=item)
    return window(queryset, limit=limit, offset=offset)


@router.get("/services/applications/{application_id}", response={200: ApplicationDetailOut, **READ})
def get_application(request, application_id: Id):
    return _detail(request, selectors.get_application(request.auth, application_id))


@router.get(
    "/services/window", response={200: list[ApplicationOut], **READ}, summary="窗口待受理 / Window queue"
)
def window_queue(request, limit: Limit = 50, offset: Offset = 0):
    return window(selectors.window_queue(request.auth), limit=limit, offset=offset)


@router.post("/services/applications/{application_id}/accept", response={200: ApplicationDetailOut, **WRITE})
def accept(request, application_id: Id, body: CommentIn):
    application = selectors.get_application(request.auth, application_id)
    services.accept(actor=request.auth, application=application, comment=body.comment)
    return _detail(request, application)


@router.post("/services/applications/{application_id}/return", response={200: ApplicationDetailOut, **WRITE})
def return_with_notice(request, application_id: Id, body: ReturnIn):
    application = selectors.get_application(request.auth, application_id)
    services.return_with_notice(
        actor=request.auth,
        application=application,
        items=[services.NoticeItem(i.material_type, i.problem, i.note) for i in body.items],
        note=body.note,
    )
    return _detail(request, application)


@router.post(
    "/services/applications/{application_id}/resubmit", response={200: ApplicationDetailOut, **WRITE}
)
def resubmit(request, application_id: Id, body: ResubmitIn):
    application = selectors.get_application(request.auth, application_id)
    services.resubmit(
        actor=request.auth,
        application=application,
        materials=_materials(body.materials),
        comment=body.comment,
    )
    return _detail(request, application)


@router.post(
    "/services/applications/{application_id}/withdraw", response={200: ApplicationDetailOut, **WRITE}
)
def withdraw(request, application_id: Id, body: CommentIn):
    application = selectors.get_application(request.auth, application_id)
    services.withdraw(actor=request.auth, application=application, comment=body.comment)
    return _detail(request, application)


@router.post("/services/applications/{application_id}/confirm", response={200: ApplicationDetailOut, **WRITE})
def confirm_offer(request, application_id: Id, body: ConfirmIn):
    application = selectors.get_application(request.auth, application_id)
    services.confirm_offer(actor=request.auth, application=application, form_data=body.form_data)
    return _detail(request, application)


# -- departments --------------------------------------------------------------------------------------------


class QueueStepOut(StepOut):
    application_id: int
    item_name: str = Field(..., alias="application.item.name")
    talent_name: str = Field(..., alias="application.talent.name")


@router.get(
    "/services/steps", response={200: list[QueueStepOut], **READ}, summary="部门待办 / Department queue"
)
def department_queue(request, limit: Limit = 50, offset: Offset = 0):
    return _with_calendar_note(window(selectors.department_queue(request.auth), limit=limit, offset=offset))


@router.post(
    "/services/steps/{task_id}/decide", response={200: StepOut, **WRITE}, summary="部门办理 / Decide a step"
)
def decide_step(request, task_id: Id, body: DecideIn):
    task = selectors.get_step_task(request.auth, task_id)
    task = services.decide_step(actor=request.auth, task=task, approve=body.approve, reason=body.reason)
    task.colour = selectors.step_colour(task)
    return _with_calendar_note([task])[0]


# -- outcomes -----------------------------------------------------------------------------------------------


@router.post(
    "/services/vouchers/redeem",
    response={200: VoucherOut, **errors(REFUSED, NOT_FOUND, CONFLICT, TOO_MANY)},
    summary="兑付教育券 / Redeem a voucher",
)
def redeem_voucher(request, body: RedeemIn):
    return services.redeem_voucher(provider=request.auth, voucher_number=body.voucher_number)


@router.get("/services/vouchers", response={200: list[VoucherOut], **READ})
def list_vouchers(request):
    return list(selectors.vouchers_of(request.auth)[:200])


@router.get("/services/loans", response={200: list[LoanOut], **READ})
def list_loans(request):
    return list(selectors.loans_of(request.auth)[:200])


@router.post(
    "/services/loans/{referral_id}/decision",
    response={200: LoanOut, **WRITE},
    summary="特优贷审批 / Loan decision",
)
def record_loan_decision(request, referral_id: Id, body: LoanDecisionIn):
    referral = selectors.get_loan(request.auth, referral_id)
    return services.record_loan_decision(
        actor=request.auth, referral=referral, approve=body.approve, note=body.note
    )


@router.get("/services/cards", response={200: list[CardOut], **READ})
def list_cards(request):
    return list(selectors.cards_of(request.auth)[:200])


@router.post(
    "/services/cards/{card_id}/revoke",
    response={200: CardOut, **WRITE},
    summary="注销金卡 / Revoke a gold card",
)
def revoke_card(request, card_id: Id, body: RevokeIn):
    card = selectors.get_card(request.auth, card_id)
    return services.revoke_gold_card(actor=request.auth, card=card, reason=body.reason)


from rencai.onestop.verification import router as verification_router  # noqa: E402

router.add_router("", verification_router)  # /api/cards/verify, /api/cards/public-key (H6)
