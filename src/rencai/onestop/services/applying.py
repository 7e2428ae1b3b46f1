"""Applying for a service item: eligibility pre-check, submission, drafts and withdrawal."""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import idempotency
from rencai.core.access import Action, may, visible_to
from rencai.core.errors import DomainError, ErrorCode, NotFound, ValidationFailed, problem
from rencai.onestop import selectors
from rencai.onestop.models import (
    OPEN_STATES,
    Application,
    ApplicationState,
    CardStatus,
    GoldCard,
    Outcome,
    ServiceItem,
    reservation_reference,
)
from rencai.onestop.services.materials import NewMaterial, _attach_library, _store_material, _talent_for
from rencai.onestop.services.parties import _applicant_users, _link, _tell, _window_officers
from rencai.onestop.statemachine import APPLICANT, transition
from rencai.policies import ledger
from rencai.policies.models import Policy, ReservationSource
from rencai.registry.models import Talent


class AlreadyOpen(DomainError):
    status = 409

    def __init__(self, offered: bool = False):
        if offered:
            super().__init__(
                ErrorCode.ALREADY_OPEN,
                "您已收到该事项的免申即享要约，请在“我的办事”中一键确认，无需再次申请",
                "You already have a proactive offer for this service: confirm it instead of applying",
            )
        else:
            super().__init__(
                ErrorCode.ALREADY_OPEN,
                "该事项已有正在办理的申请",
                "An application for this service is already open",
            )


class Ineligible(DomainError):
    """The refusal of an ineligible talent's application: what is missing, in sentences addressed to the
    actor: to the talent applying for themselves ("您暂不符合申请条件。需要：学历达到硕士及以上"), or
    about the talent (by name) to an enterprise applying for its employee."""

    status = 422

    def __init__(
        self, eligibility: selectors.Eligibility, *, actor: User | None = None, talent: Talent | None = None
    ):
        own = talent is not None and actor is not None and talent.account_id == actor.pk
        needs_zh, needs_en = (eligibility.needs(lang, "second" if own else "third") for lang in ("zh", "en"))
        if own:
            zh, en = "您暂不符合申请条件。", "You are not eligible to apply."
        else:
            name_zh, name_en = (talent.name, talent.name) if talent is not None else ("该人才", "The talent")
            zh, en = f"{name_zh}暂不符合申请条件。", f"{name_en} is not eligible to apply."
        super().__init__(
            ErrorCode.INELIGIBLE,
            zh + "；".join(needs_zh) + ("。" if needs_zh else ""),
            en + "".join(f" {need}." for need in needs_en),
            details=[problem("eligibility", *pair) for pair in zip(needs_zh, needs_en, strict=True)],
        )
        self.eligibility = eligibility


class CardHeld(DomainError):
    status = 409

    def __init__(self, card: GoldCard):
        until = card.valid_until.isoformat()
        super().__init__(
            ErrorCode.CARD_HELD,
            f"已持有有效的人才金卡（卡号 {card.card_number}，有效期至 {until}），无需再次申请",
            f"The talent already holds a valid gold card ({card.card_number}, valid until {until}); "
            "there is no need to apply again",
        )


@dataclass(frozen=True)
class Blocker:
    """What refuses any application of a talent for an item, whatever the form holds: known before the
    form is shown, so nobody fills it in for nothing. `application` or `card` is what it is about."""

    error: DomainError
    application: Application | None = None
    card: GoldCard | None = None


def blocker_of(talent: Talent, item: ServiceItem) -> Blocker | None:
    """An open application or offer of the item, or, for the gold card, a valid card already held."""
    open_application = (
        Application.objects.filter(
            talent=talent, item__code=item.code, state__in=[*OPEN_STATES, ApplicationState.OFFERED]
        )
        .only("pk", "state")
        .first()
    )
    if open_application is not None:
        offered = open_application.state == ApplicationState.OFFERED
        return Blocker(AlreadyOpen(offered=offered), application=open_application)
    if item.outcome == Outcome.GOLD_CARD:
        card = GoldCard.objects.filter(talent=talent, status=CardStatus.ACTIVE).first()
        if card is not None:
            return Blocker(CardHeld(card), card=card)
    return None


def _check_can_apply(talent: Talent, item: ServiceItem, form_data: dict) -> None:
    if selectors.item_in_region(item.code, talent.region) != item:
        raise NotFound("该事项在您所在地区不可办理", "This service is not offered where the talent lives")
    blocker = blocker_of(talent, item)
    if blocker is not None:
        raise blocker.error
    if item.outcome == Outcome.EDUCATION_VOUCHER and not str(form_data.get("child_name", "")).strip():
        raise ValidationFailed([problem("child_name", "请填写子女姓名", "Give the child's name")])


def apply(
    *,
    actor: User,
    item: ServiceItem,
    talent: Talent | None = None,
    materials: list[NewMaterial] | None = None,
    form_data: dict | None = None,
    idempotency_key: str = "",
    submit: bool = True,
) -> Application:
    """Apply for an item (a talent for themselves, an enterprise for its employee).

    The engine pre-checks eligibility first: an ineligible talent is refused with what is missing.
    Materials in the library are reused; new ones join the library. Missing materials do not block
    submission: the window lists them all at once in its correction notice. Retrying with the same
    idempotency key returns the application made the first time.
    """
    talent = _talent_for(actor, talent)
    form_data = dict(form_data or {})

    def create() -> Application:
        with transaction.atomic():
            # One applicant's requests are serialised on their registry row: twenty identical requests
            # at once find the first one's application instead of racing past the check below (the
            # partial unique index on open applications is the backstop).
            Talent.objects.select_for_update().filter(pk=talent.pk).first()
            earlier = idempotency_key and Application.objects.filter(idempotency_key=idempotency_key).first()
            if earlier:  # a twin with the same key held the lock first: answer with its application
                if not (earlier.talent_id == talent.pk and earlier.item_id == item.pk):
                    raise idempotency.KeyReused()
                return earlier
            _check_can_apply(talent, item, form_data)
            eligibility = selectors.eligibility_of(talent, item)
            if not eligibility.eligible:
                raise Ineligible(eligibility, actor=actor, talent=talent)
            key = idempotency_key or uuid.uuid4().hex
            return _create_application(actor, talent, item, eligibility, materials, form_data, key, submit)

    if not idempotency_key:
        return create()
    # The unique key decides a race of two identical requests: the loser answers with the winner's
    return idempotency.once(
        find=lambda: Application.objects.filter(idempotency_key=idempotency_key).first(),
        same=lambda earlier: earlier.talent_id == talent.pk and earlier.item_id == item.pk,
        create=create,
    )


def _create_application(actor, talent, item, eligibility, materials, form_data, key, submit) -> Application:
    with transaction.atomic():
        if submit:
            _reserve(talent, eligibility, key)
        for given in materials or []:
            _store_material(actor=actor, talent=talent, given=given)
        application = Application(
            talent=talent,
            enterprise_id=actor.enterprise_id if may(actor, Action.APPLY_FOR_EMPLOYEE) else None,
            item=item,
            region=talent.region,
            form_data=form_data,
            eligibility=eligibility.explanation,
            amount=eligibility.amount,
            idempotency_key=key,
            submitted_by=actor,
        )
        try:
            with transaction.atomic():
                transition(
                    application,
                    ApplicationState.SUBMITTED if submit else ApplicationState.DRAFT,
                    actor=actor,
                    role=APPLICANT,
                )
        except IntegrityError:
            if Application.objects.filter(idempotency_key=key).exists():
                raise  # a retry with the same key: `once` answers with the first application
            raise AlreadyOpen() from None
        missing = _attach_library(application)
        if submit:
            _announce_submission(application, missing)
    return application


def _reserve(talent: Talent, eligibility: selectors.Eligibility, key: str) -> None:
    """The money the application would pay is reserved from the policy's budget at submission: refused
    when the budget cannot cover it or the talent is already paid under the policy by any route."""
    if not eligibility.checked or not eligibility.amount:
        return
    policy_id = Policy.objects.filter(code=eligibility.policy_code).values_list("pk", flat=True).get()
    ledger.reserve(
        policy_id=policy_id,
        talent_id=talent.pk,
        amount=eligibility.amount,
        year=timezone.localdate().year,
        source=ReservationSource.APPLICATION,
        reference=reservation_reference(key),
    )


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


def submit_draft(*, actor: User, application: Application) -> Application:
    _visible(actor, application)
    with transaction.atomic():
        Talent.objects.select_for_update().filter(pk=application.talent_id).first()
        _check_can_apply(application.talent, application.item, application.form_data)
        eligibility = selectors.eligibility_of(application.talent, application.item)
        if not eligibility.eligible:
            raise Ineligible(eligibility, actor=actor, talent=application.talent)
        _reserve(application.talent, eligibility, application.idempotency_key)
        application.amount = eligibility.amount
        transition(application, ApplicationState.SUBMITTED, actor=actor)
        missing = _attach_library(application)
        _announce_submission(application, missing)
    return application


def withdraw(*, actor: User, application: Application, comment: str = "") -> Application:
    _visible(actor, application)
    transition(application, ApplicationState.WITHDRAWN, actor=actor, comment=comment)
    return application


def _visible(actor, application: Application) -> None:
    if not visible_to(actor, Application.objects.filter(pk=application.pk)).exists():
        raise NotFound()
