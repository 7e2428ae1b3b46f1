"""Proactive service (免申即享): the matching run's entitlements become granted applications or offers."""

from dataclasses import dataclass

from django.db import transaction

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, may
from rencai.core.errors import ValidationFailed, problem
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
from rencai.policies.models import EntitlementStatus
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
def _offer(entitlement, item: ServiceItem) -> Application:
    application = _proactive_application(entitlement, item)
    transition(application, ApplicationState.OFFERED, actor=None, role=SYSTEM, comment="免申即享：待本人确认")
    _tell(
        _applicant_users(application),
        subject=f"您可享受：{item.name}",
        body=f"根据政策匹配结果，您符合“{item.name}”条件，点击确认即可办理，无需再次提交材料。",
        link=_link(application),
        kind="onestop.offer",
    )
    return application


def confirm_offer(*, actor: User, application: Application, form_data: dict | None = None) -> Application:
    """The talent's one click: the offer is accepted without a window visit and goes to the departments."""
    _visible(actor, application)
    if (
        application.item.outcome == Outcome.EDUCATION_VOUCHER
        and not str((form_data or {}).get("child_name", "")).strip()
    ):
        raise ValidationFailed([problem("child_name", "请填写子女姓名", "Give the child's name")])
    with transaction.atomic():
        if form_data:
            application.form_data = {**application.form_data, **form_data}
        transition(application, ApplicationState.ACCEPTED, actor=actor, comment="本人一键确认")
        _settle_entitlement(actor, application, confirm=True)
        _attach_library(application)
        _start_departments(application, actor=actor)
    return application


def decline_offer(*, actor: User, application: Application) -> Application:
    _visible(actor, application)
    with transaction.atomic():
        transition(application, ApplicationState.WITHDRAWN, actor=actor, comment="本人放弃")
        _settle_entitlement(actor, application, confirm=False)
    return application


def _settle_entitlement(actor, application: Application, *, confirm: bool) -> None:
    """Keep the policy's entitlement in step (its budget reservation): confirmed or declined there too."""
    from rencai.policies import services as policy_services

    entitlement = application.entitlement
    if (
        entitlement is None
        or entitlement.status != EntitlementStatus.OFFERED
        or not may(actor, Action.CONFIRM_OFFER, application)
    ):
        return
    if confirm:
        policy_services.confirm_offer(actor=actor, entitlement=entitlement)
    else:
        policy_services.decline_offer(actor=actor, entitlement=entitlement)
