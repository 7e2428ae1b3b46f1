"""What a completed application grants: gold cards, education vouchers, housing-loan referrals."""

import datetime as dt
import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.errors import DomainError, ErrorCode, NotFound, ValidationFailed, problem
from rencai.onestop.models import (
    LOAN_QUOTA_BY_TIER,
    Application,
    CardStatus,
    EducationVoucher,
    GoldCard,
    HousingLoanReferral,
    LoanStatus,
    Outcome,
    VoucherRedemption,
    VoucherStatus,
)
from rencai.onestop.services.parties import _department_users, _tell, department_for
from rencai.registry.choices import DepartmentKind, Tier

CARD_VALIDITY_YEARS = 3
DEFAULT_VOUCHER_AMOUNT = Decimal("10000")
GOLD_CARD_BENEFITS = {
    "A": ["市级医院就医绿色通道及专家门诊优先", "市内公交、景区免费", "子女入学按意愿统筹安排",
          "配偶就业协助安置", "专属人才服务专员一对一服务"],
    "B": ["市级医院就医绿色通道", "市内公交、景区免费", "子女入学优先安排", "配偶就业协助安置"],
    "C": ["市级医院就医绿色通道", "市内国有景区免费", "子女入学优先安排"],
    "D": ["市级医院就医预约优先", "市内国有景区免费"],
}  # fmt: skip


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
    held = GoldCard.objects.filter(talent=talent, status=CardStatus.ACTIVE).first()
    if held is not None:
        return held
    today = timezone.localdate()
    tier = talent.tier or Tier.D
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
                    benefits=GOLD_CARD_BENEFITS.get(tier, GOLD_CARD_BENEFITS[Tier.D]),
                )
            break
        except IntegrityError:
            if GoldCard.objects.filter(talent=talent, status=CardStatus.ACTIVE).exists():
                raise
    else:
        raise DomainError(ErrorCode.CARD_NUMBER_BUSY, "发卡繁忙，请重试", "Card numbers are busy; retry")
    audit.record(
        actor=None, action="onestop.card.issue", obj=card, detail={"card": card.card_number, "tier": tier}
    )
    return card


def issue_education_voucher(*, application: Application) -> EducationVoucher:
    today = timezone.localdate()
    voucher = EducationVoucher.objects.create(
        voucher_number=new_voucher_number(today.year),
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


VOUCHER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U to misread


def new_voucher_number(year: int) -> str:
    """JY, the year, then 14 random base-32 characters (70 bits): a school cannot guess another family's
    voucher, and the throttle below stops it from trying many."""
    return f"JY{year}" + "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(14))


def refer_housing_loan(*, application: Application) -> HousingLoanReferral:
    talent = application.talent
    tier = talent.tier or Tier.D
    department = department_for(DepartmentKind.HOUSING_FUND, application.region)
    referral = HousingLoanReferral.objects.create(
        talent=talent,
        region=application.region,
        application=application,
        department=department,
        tier=tier,
        quota=application.amount or LOAN_QUOTA_BY_TIER.get(tier, LOAN_QUOTA_BY_TIER[Tier.D]),
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


def revoke_gold_card(*, actor: User, card: GoldCard, reason: str) -> GoldCard:
    """Revoke a card (e.g. the holder left): verification fails from now on."""
    require(actor, Action.REVOKE_CARD, card)
    if not reason.strip():
        raise ValidationFailed([problem("reason", "请填写注销原因", "Give the reason for revocation")])
    with transaction.atomic():
        # The row as the UPDATE finds it, locked so that the audit's "before" is exactly what it changed.
        before = audit.snapshot(GoldCard.objects.select_for_update().get(pk=card.pk))
        now = timezone.now()
        updated = GoldCard.objects.filter(pk=card.pk, status=CardStatus.ACTIVE).update(
            status=CardStatus.REVOKED, revoked_at=now, revoked_reason=reason.strip()
        )
        if not updated:
            raise DomainError(ErrorCode.CARD_REVOKED, "该卡已注销", "The card is already revoked")
        card.refresh_from_db()
        audit.record_change(
            actor=actor, action="onestop.card.revoke", obj=card, before=before, detail={"reason": reason}
        )
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


class RedemptionsThrottled(DomainError):
    status = 429


# A school that gets this many refusals (unknown, cancelled or redeemed numbers) within the window is
# refused for the rest of it: enough for typing mistakes, far too few to guess a 70-bit number.
FAILED_REDEMPTIONS_ALLOWED = 10
FAILED_REDEMPTIONS_WINDOW = dt.timedelta(minutes=15)


def _log_refusal(provider: User, number: str, result: str, voucher: EducationVoucher | None = None) -> None:
    VoucherRedemption.objects.create(
        voucher=voucher, number_tried=number[:40], provider=provider, at=timezone.now(), result=result
    )
    audit.record(
        actor=provider,
        action="onestop.voucher.redeem_refused",
        object_type="onestop.educationvoucher",
        object_id=str(voucher.pk) if voucher else "",
        detail={"number": number[:40], "result": result},
    )


def _throttled(provider: User) -> bool:
    since = timezone.now() - FAILED_REDEMPTIONS_WINDOW
    return (
        VoucherRedemption.objects.filter(provider=provider, at__gte=since).exclude(result="ok").count()
        >= FAILED_REDEMPTIONS_ALLOWED
    )


def redeem_voucher(*, provider: User, voucher_number: str) -> EducationVoucher:
    """A school redeems a voucher once. The conditional UPDATE … WHERE status = 'issued' lets exactly one of
    two concurrent redemptions through; every attempt is logged, refused ones and unknown numbers too, and
    a school with too many refusals in a short time is stopped for a while."""
    require(provider, Action.REDEEM_VOUCHER)
    number = voucher_number.strip().upper()
    if _throttled(provider):
        _log_refusal(provider, number, "throttled")
        raise RedemptionsThrottled(
            ErrorCode.TOO_MANY_ATTEMPTS,
            f"兑付失败次数过多，请 {FAILED_REDEMPTIONS_WINDOW.seconds // 60} 分钟后再试",
            f"Too many refused redemptions; try again in {FAILED_REDEMPTIONS_WINDOW.seconds // 60} minutes",
        )
    voucher = EducationVoucher.objects.filter(voucher_number=number).first()
    if voucher is None:
        _log_refusal(provider, number, "not_found")
        raise NotFound("教育券不存在", "No such voucher")
    with transaction.atomic():
        # The row as the UPDATE finds it, locked so that the audit's "before" is exactly what it changed.
        before = audit.snapshot(EducationVoucher.objects.select_for_update().get(pk=voucher.pk))
        now = timezone.now()
        updated = EducationVoucher.objects.filter(pk=voucher.pk, status=VoucherStatus.ISSUED).update(
            status=VoucherStatus.REDEEMED, redeemed_by=provider, redeemed_at=now
        )
        voucher.refresh_from_db()
        result = (
            "ok"
            if updated
            else ("cancelled" if voucher.status == VoucherStatus.CANCELLED else "already_redeemed")
        )
        VoucherRedemption.objects.create(
            voucher=voucher, number_tried=number[:40], provider=provider, at=now, result=result
        )
        audit.record_change(
            actor=provider,
            action="onestop.voucher.redeem",
            obj=voucher,
            before=before,
            detail={"result": result},
        )
        if updated and voucher.talent.account_id:
            _tell(
                [voucher.talent.account],
                subject="教育券已兑付",
                body=f"{voucher.child_name}的教育券（{voucher.voucher_number}，{voucher.amount} 元）已由"
                f"{provider.display_name or provider.username}兑付。",
                kind="onestop.voucher_redeemed",
            )
    if result == "cancelled":
        raise VoucherRefused(ErrorCode.VOUCHER_CANCELLED, "该教育券已作废", "The voucher has been cancelled")
    if result != "ok":
        raise VoucherRefused(
            ErrorCode.VOUCHER_REDEEMED,
            "该教育券已兑付，不能重复兑付",
            "The voucher has already been redeemed",
        )
    return voucher


def record_loan_decision(
    *, actor: User, referral: HousingLoanReferral, approve: bool, note: str = ""
) -> HousingLoanReferral:
    """The housing-fund centre approves or declines a referral; the talent is told."""
    require(actor, Action.DECIDE_LOAN, referral)
    if not approve and not note.strip():
        raise ValidationFailed([problem("note", "不批准时须说明理由", "A decline needs a reason")])
    with transaction.atomic():
        # The row as the UPDATE finds it, locked so that the audit's "before" is exactly what it changed.
        before = audit.snapshot(HousingLoanReferral.objects.select_for_update().get(pk=referral.pk))
        now = timezone.now()
        status = LoanStatus.APPROVED if approve else LoanStatus.DECLINED
        updated = HousingLoanReferral.objects.filter(pk=referral.pk, status=LoanStatus.REFERRED).update(
            status=status, decided_by=actor, decided_at=now, decision_note=note.strip()
        )
        if not updated:
            raise DomainError(
                ErrorCode.LOAN_DECIDED, "该转介已审批", "This referral has already been decided"
            )
        referral.refresh_from_db()
        audit.record_change(
            actor=actor, action=f"onestop.loan.{status}", obj=referral, before=before, detail={"note": note}
        )
        if referral.talent.account_id:
            verdict = "已批准" if approve else "未批准"
            _tell(
                [referral.talent.account],
                subject=f"特优贷审批结果：{verdict}",
                body=f"您的住房公积金“特优贷”（额度 {referral.quota} 元）{verdict}。{note.strip()}",
                kind="onestop.loan_decided",
            )
    return referral
