"""Proactive service (免申即享): the matching run's entitlements become granted applications or offers, and
the talent's answers to them (confirm, decline, claim again), entitlement and application moved together."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, may, require
from rencai.core.errors import DomainError, ErrorCode, ValidationFailed, problem
from rencai.core.locks import exclusive
from rencai.onestop import selectors
from rencai.onestop.models import (
    OPEN_STATES,
    Application,
    ApplicationState,
    CardStatus,
    GoldCard,
    Outcome,
    ServiceItem,
)
from rencai.onestop.services.applying import _visible
from rencai.onestop.services.departments import _start_departments
from rencai.onestop.services.materials import _attach_library
from rencai.onestop.services.outcomes import issue_outcome
from rencai.onestop.services.parties import _applicant_users, _link, _tell
from rencai.onestop.statemachine import SYSTEM, transition
from rencai.policies.models import Entitlement, EntitlementStatus
from rencai.registry.models import Talent


@dataclass
class OfferReport:
    approved: int = 0  # applications created already approved (and completed)
    offered: int = 0  # offers waiting for the talent's one click
    skipped: int = 0  # no item for the policy where the talent lives, or already applied / held


def offers_from_entitlements(*, actor: User | None = None, limit: int | None = None) -> OfferReport:
    """Turn the matching run's entitlements into applications, once each (idempotent by entitlement).

    A granted entitlement (a proactive policy) becomes an application already approved and completed
    (the card is issued); an offered one waits for the talent to confirm with one click. One run at a
    time: a second one started meanwhile is refused with `RunInProgress` and writes nothing.
    """
    with exclusive("offers"):
        return _offers_from_entitlements(actor=actor, limit=limit)


def _offers_from_entitlements(*, actor: User | None, limit: int | None) -> OfferReport:
    from rencai.policies.models import Entitlement

    pending = (
        Entitlement.objects.filter(
            status__in=[EntitlementStatus.GRANTED, EntitlementStatus.OFFERED], application__isnull=True
        )
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
        if entitlement.status == EntitlementStatus.GRANTED and not needs_form:
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
        talent=talent, item__code=item.code, state__in=[*OPEN_STATES, ApplicationState.OFFERED]
    ).exists():
        return True
    return (
        item.outcome == Outcome.GOLD_CARD
        and GoldCard.objects.filter(talent=talent, status=CardStatus.ACTIVE).exists()
    )


def _proactive_application(entitlement, item: ServiceItem, *, key: str = "") -> Application:
    return Application(
        talent=entitlement.talent,
        item=item,
        region=entitlement.talent.region,
        entitlement=entitlement,
        amount=entitlement.amount or None,
        idempotency_key=key or f"entitlement-{entitlement.pk}",
        eligibility={"policy": entitlement.policy.code, "evaluation_date": str(entitlement.evaluation_date)},
    )


@transaction.atomic
def _grant_proactively(entitlement, item: ServiceItem, *, actor) -> Application:
    application = _proactive_application(entitlement, item)
    transition(
        application, ApplicationState.APPROVED, actor=actor, role=SYSTEM, comment="免申即享：匹配结果直接兑现"
    )
    outcome = issue_outcome(application)
    transition(application, ApplicationState.COMPLETED, actor=actor, role=SYSTEM, comment=outcome)
    _tell(
        _applicant_users(application),
        subject=f"免申即享：{item.name}",
        body=f"根据政策匹配结果，您无需申请即获得“{item.name}”。{outcome}",
        link=_link(application),
        kind="onestop.proactive",
    )
    return application


@transaction.atomic
def _offer(entitlement, item: ServiceItem, *, key: str = "", tell: bool = True) -> Application:
    application = _proactive_application(entitlement, item, key=key)
    transition(application, ApplicationState.OFFERED, actor=None, role=SYSTEM, comment="免申即享：待本人确认")
    if not tell:  # the talent is answering on the page at this moment
        return application
    _tell(
        _applicant_users(application),
        subject=f"您可享受：{item.name}",
        body=f"根据政策匹配结果，您符合“{item.name}”条件，点击确认即可办理，无需再次提交材料。",
        link=_link(application),
        kind="onestop.offer",
    )
    return application


CHILD_NAME_MAX = 50  # EducationVoucher.child_name: longer would fail only when the voucher is issued


def confirm_offer(*, actor: User, application: Application, form_data: dict | None = None) -> Application:
    """The talent's one click: the offer is accepted without a window visit and goes to the departments,
    and its entitlement is confirmed in the same transaction (one benefit, one state)."""
    _visible(actor, application)
    _check_offer_form(application, form_data)
    with transaction.atomic():
        if form_data:
            application.form_data = {**application.form_data, **form_data}
        transition(application, ApplicationState.ACCEPTED, actor=actor, comment="本人一键确认")
        _check_still_backed(application)
        _settle_entitlement(actor, application, confirm=True)
        _attach_library(application)
        _start_departments(application, actor=actor)
    return application


def decline_offer(*, actor: User, application: Application) -> Application:
    """放弃: the offer is withdrawn (no department has it yet: an offer reaches them only when confirmed)
    and its entitlement declined with it, the money reserved for it back in the policy's budget."""
    _visible(actor, application)
    with transaction.atomic():
        transition(application, ApplicationState.WITHDRAWN, actor=actor, comment="本人放弃")
        _settle_entitlement(actor, application, confirm=False)
    return application


def _check_offer_form(application: Application, form_data: dict | None) -> None:
    if application.item.outcome != Outcome.EDUCATION_VOUCHER:
        return
    child_name = str((form_data or {}).get("child_name", "")).strip()
    if not child_name:
        raise ValidationFailed([problem("child_name", "请填写子女姓名", "Give the child's name")])
    if len(child_name) > CHILD_NAME_MAX:
        raise ValidationFailed(
            [
                problem(
                    "child_name",
                    f"子女姓名最多 {CHILD_NAME_MAX} 个字",
                    f"The child's name has at most {CHILD_NAME_MAX} characters",
                )
            ]
        )


def _check_still_backed(application: Application) -> None:
    """An offer whose entitlement was declined, revoked or flagged meanwhile holds no money: refused.
    (Called with the application locked; the entitlement row is locked here too.)"""
    if application.entitlement_id is None:
        return
    status = (
        Entitlement.objects.select_for_update()
        .filter(pk=application.entitlement_id)
        .values_list("status", flat=True)
        .first()
    )
    if status not in (EntitlementStatus.OFFERED, EntitlementStatus.GRANTED):
        raise DomainError(
            ErrorCode.ENTITLEMENT_NOT_OFFERED,
            "该政策红利已放弃、撤销或正在复核，不能确认",
            "This benefit was declined, revoked or is under review, so it cannot be confirmed",
        )


def _settle_entitlement(actor, application: Application, *, confirm: bool) -> None:
    """Move the policy's entitlement (and its budget reservation) with the application: confirmed or
    declined there too. A granted entitlement whose offer is declined was never paid (its application was
    still an offer), so it is declined as well and its money released."""
    from rencai.policies import services as policy_services

    if application.entitlement_id is None or not may(actor, Action.CONFIRM_OFFER, application):
        return
    entitlement = Entitlement.objects.get(pk=application.entitlement_id)
    if confirm and entitlement.status == EntitlementStatus.OFFERED:
        entitlement = policy_services.confirm_offer(actor=actor, entitlement=entitlement)
    elif not confirm and entitlement.status in (EntitlementStatus.OFFERED, EntitlementStatus.GRANTED):
        entitlement = policy_services.decline_offer(actor=actor, entitlement=entitlement, unpaid_grant=True)
    application.entitlement = entitlement


# -- answering a benefit, on either page (我的政策红利, 我的办事) ------------------------------------


def confirm_benefit(*, actor: User, entitlement: Entitlement, form_data: dict | None = None) -> None:
    """确认领取: the benefit's offer is confirmed with its application (made now if the matching run's offer
    has none yet), so it goes to the departments at once. A benefit with no service item to pay it where
    the talent lives is granted by the policies app alone."""
    from rencai.policies import services as policy_services

    require(actor, Action.CONFIRM_OFFER, entitlement)
    application = _open_offer(entitlement)
    item = _paying_item(entitlement) if application is None else None
    if application is None and (item is None or entitlement.status != EntitlementStatus.OFFERED):
        policy_services.confirm_offer(actor=actor, entitlement=entitlement)
        return
    with transaction.atomic():
        if application is None:
            assert item is not None
            application = _offer(entitlement, item, key=_next_key(entitlement), tell=False)
        confirm_offer(actor=actor, application=application, form_data=form_data)


def decline_benefit(*, actor: User, entitlement: Entitlement) -> None:
    """放弃: the offer's application is withdrawn and the entitlement declined together, the money reserved
    for it back in the budget. It can be claimed again (`reclaim_benefit`)."""
    from rencai.policies import services as policy_services

    require(actor, Action.CONFIRM_OFFER, entitlement)
    application = _open_offer(entitlement)
    if application is not None:
        decline_offer(actor=actor, application=application)
    else:
        policy_services.decline_offer(actor=actor, entitlement=entitlement)


def reclaim_benefit(*, actor: User, entitlement: Entitlement) -> Entitlement:
    """恢复领取 (undoing 放弃): offered again while the policy is in force where the talent lives, the talent
    still qualifies and the budget covers it (`policies.services.reclaim_offer` decides and reserves),
    with a new one-click offer; the declined one stays in the applications list as history."""
    from rencai.policies import services as policy_services

    require(actor, Action.CONFIRM_OFFER, entitlement)
    with transaction.atomic():
        entitlement = policy_services.reclaim_offer(actor=actor, entitlement=entitlement)
        for declined in Application.objects.select_for_update().filter(entitlement=entitlement):
            before = audit.snapshot(declined)
            declined.entitlement = None
            declined.save(update_fields=["entitlement"])
            audit.record_change(
                actor=actor,
                action="onestop.application.unlink",
                obj=declined,
                before=before,
                detail={"entitlement": entitlement.pk, "reason": "reclaimed"},
            )
        item = _paying_item(entitlement)
        if item is not None:
            _offer(entitlement, item, key=_next_key(entitlement), tell=False)
    return entitlement


def _open_offer(entitlement: Entitlement) -> Application | None:
    return (
        Application.objects.select_related("item", "talent")
        .filter(entitlement=entitlement, state=ApplicationState.OFFERED)
        .first()
    )


def _paying_item(entitlement: Entitlement) -> ServiceItem | None:
    """The service item that pays the entitlement where the talent lives (None: paid without one)."""
    code = entitlement.policy.service_item_code
    talent = entitlement.talent
    item = selectors.item_in_region(code, talent.region) if code else None
    return None if item is None or _already_served(talent, item) else item


def _next_key(entitlement: Entitlement) -> str:
    """The idempotency key of a new offer of the entitlement: the first one's, then numbered."""
    base = f"entitlement-{entitlement.pk}"
    earlier = Application.objects.filter(
        Q(idempotency_key=base) | Q(idempotency_key__startswith=f"{base}-")
    ).count()
    return f"{base}-{earlier + 1}" if earlier else base
