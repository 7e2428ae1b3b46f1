"""Intermediaries (猎头/中介) under contract: the contract (period, fee schedule by tier, target count)
kept by the organization departments, and the intermediary-role logins that work for each agency.

An agency's users see that agency's referrals only: `Referral.tenancy.assigned` reaches them through an
active `AgencyMember`, so the one `visible_to` scopes every page and API route.
"""

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, holders, require, visible_to
from rencai.core.errors import DomainError, ErrorCode, Problem, ValidationFailed, problem
from rencai.core.models import Region
from rencai.core.validators import is_valid_credit_code, normalize_credit_code
from rencai.recruitment.models import Agency, AgencyMember
from rencai.registry.choices import Tier

MAX_FEE = Decimal("10000000")  # yuan per placed talent: a typo guard, well above any real fee
FIELDS = ("name", "credit_code", "region", "contract_starts", "contract_ends", "fee_schedule", "target_count")


# -- reads --------------------------------------------------------------------------------------------------


def agencies_for(user) -> QuerySet[Agency]:
    """The agencies the user sees: officers their region's, an agency's users their own agency."""
    return visible_to(user, Agency.objects.select_related("region"))


def agency_of(user) -> Agency | None:
    """The agency the user works for (an active membership), or None."""
    if getattr(user, "pk", None) is None:
        return None
    member = (
        AgencyMember.objects.filter(user_id=user.pk, active=True)
        .select_related("agency", "agency__region")
        .first()
    )
    return member.agency if member is not None else None


def under_contract(agency: Agency, day: dt.date | None = None) -> bool:
    day = day or timezone.localdate()
    return agency.active and agency.contract_starts <= day <= agency.contract_ends


# -- checks -------------------------------------------------------------------------------------------------


def _fee_schedule(raw: object, problems: list[Problem]) -> dict[str, str]:
    """{tier: yuan} with known tiers and amounts between 0 and MAX_FEE, stored as exact decimal strings."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, Mapping):
        problems.append(problem("fee_schedule", "服务费标准须按人才层次填写", "Give the fees by tier"))
        return {}
    schedule: dict[str, str] = {}
    for tier, amount in raw.items():
        if tier not in Tier.values:
            problems.append(
                problem(
                    "fee_schedule", f"未知的人才层次：{tier}", f"Unknown tier in the fee schedule: {tier}"
                )
            )
            continue
        try:
            fee = Decimal(str(amount)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            fee = Decimal(-1)
        if not Decimal(0) <= fee <= MAX_FEE:
            problems.append(
                problem(
                    "fee_schedule",
                    f"{tier}类服务费须为0至{MAX_FEE}元之间的金额",
                    f"The fee for tier {tier} must be an amount from 0 to {MAX_FEE} yuan",
                )
            )
            continue
        schedule[str(tier)] = str(fee)
    return schedule


def _cleaned(data: Mapping[str, Any], *, current: Agency | None = None) -> dict[str, Any]:
    """The agency's fields from `data` (missing keys keep the current values), every problem listed once."""
    values = {name: data.get(name, getattr(current, name, None)) for name in FIELDS}
    problems: list[Problem] = []
    values["name"] = str(values["name"] or "").strip()
    if not values["name"]:
        problems.append(problem("name", "请填写机构名称", "Give the agency's name"))
    values["credit_code"] = normalize_credit_code(str(values["credit_code"] or ""))
    if not is_valid_credit_code(values["credit_code"]):
        problems.append(
            problem("credit_code", "统一社会信用代码无效", "The unified social credit code is not valid")
        )
    elif (
        Agency.objects.filter(credit_code=values["credit_code"])
        .exclude(pk=current.pk if current is not None else 0)
        .exists()
    ):
        problems.append(
            problem("credit_code", "该统一社会信用代码已登记", "An agency with this credit code exists")
        )
    if not isinstance(values["region"], Region):
        problems.append(problem("region", "请选择签约区划", "Choose the contracting region"))
    starts, ends = values["contract_starts"], values["contract_ends"]
    if not isinstance(starts, dt.date) or not isinstance(ends, dt.date):
        problems.append(
            problem("contract_ends", "请填写合同起止日期", "Give the contract's start and end dates")
        )
    elif ends < starts:
        problems.append(
            problem("contract_ends", "合同结束日期早于开始日期", "The contract ends before it starts")
        )
    values["fee_schedule"] = _fee_schedule(values["fee_schedule"], problems)
    try:
        values["target_count"] = int(values["target_count"] or 0)
    except (TypeError, ValueError):
        values["target_count"] = -1
    if values["target_count"] < 0:
        problems.append(
            problem("target_count", "目标引才人数须为非负整数", "The target count must be zero or more")
        )
    if problems:
        raise ValidationFailed(problems)
    return values


# -- writes -------------------------------------------------------------------------------------------------


def agency_create(*, actor: User, data: Mapping[str, Any]) -> Agency:
    """Put an agency under contract with a region the actor manages."""
    region = data.get("region")
    require(actor, Action.MANAGE_RECRUITMENT, region if isinstance(region, Region) else None)
    values = _cleaned(data)
    with transaction.atomic():
        agency = Agency.objects.create(**values, active=bool(data.get("active", True)))
        audit.record_creation(actor=actor, action="recruitment.agency.create", obj=agency)
    return agency


def agency_update(*, actor: User, agency: Agency, data: Mapping[str, Any]) -> Agency:
    """Change an agency's contract: its period, fees, target, or end the cooperation (`active`)."""
    require(actor, Action.MANAGE_RECRUITMENT, agency)
    region = data.get("region")
    if isinstance(region, Region) and region.pk != agency.region_id:
        require(actor, Action.MANAGE_RECRUITMENT, region)  # moving it: the new region must be the actor's too
    with transaction.atomic():
        agency = Agency.objects.select_for_update().get(pk=agency.pk)
        values = _cleaned(data, current=agency)
        before = audit.snapshot(agency)
        for name, value in values.items():
            setattr(agency, name, value)
        if "active" in data:
            agency.active = bool(data["active"])
        agency.save()
        audit.record_change(actor=actor, action="recruitment.agency.update", obj=agency, before=before)
    return agency


def agency_member_add(*, actor: User, agency: Agency, username: str) -> AgencyMember:
    """Link an intermediary-role login to the agency; it then sees the agency's referrals and may refer."""
    require(actor, Action.MANAGE_RECRUITMENT, agency)
    # only a login whose role may refer (an intermediary's) can work for an agency
    user = User.objects.filter(holders(Action.REFER_CANDIDATE), username=(username or "").strip()).first()
    if user is None:
        raise ValidationFailed(
            [problem("username", "没有该中介机构账号", "No intermediary login with this username")]
        )
    with transaction.atomic():
        member = AgencyMember.objects.select_for_update().filter(user=user).first()
        if member is not None and member.agency_id != agency.pk and member.active:
            raise DomainError(
                ErrorCode.VALIDATION_FAILED,
                "该账号已属于另一家中介机构",
                "This login already works for another agency",
            )
        if member is None:
            try:
                with transaction.atomic():
                    member = AgencyMember.objects.create(agency=agency, user=user)
            except IntegrityError as error:  # linked by someone else just now
                raise DomainError(
                    ErrorCode.VALIDATION_FAILED,
                    "该账号已属于一家中介机构",
                    "This login already works for an agency",
                ) from error
            audit.record_creation(actor=actor, action="recruitment.agency.member_add", obj=member)
            return member
        before = audit.snapshot(member)
        member.agency, member.active = agency, True
        member.save(update_fields=["agency", "active"])
        audit.record_change(actor=actor, action="recruitment.agency.member_add", obj=member, before=before)
    return member


def agency_member_remove(*, actor: User, member: AgencyMember) -> AgencyMember:
    """End a login's work for an agency: it no longer sees the agency's referrals (kept for the record)."""
    require(actor, Action.MANAGE_RECRUITMENT, member.agency)
    with transaction.atomic():
        member = AgencyMember.objects.select_for_update().get(pk=member.pk)
        before = audit.snapshot(member)
        member.active = False
        member.save(update_fields=["active"])
        audit.record_change(actor=actor, action="recruitment.agency.member_remove", obj=member, before=before)
    return member
