"""From the provider's claims to an account: its role and where it belongs, refused with a reason when a
claim is missing or names something this platform does not know (the rules: the package's docstring)."""

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction

from rencai.accounts.models import Role, User
from rencai.accounts.sso.config import claim_names, setting
from rencai.accounts.sso.refusals import Refusal, SsoRefused
from rencai.core import audit
from rencai.core.models import Region, RegionLevel

AUDIT_LOGIN = "accounts.sso_login"

OFFICER_ROLES = frozenset({Role.CITY_ORG_DEPT, Role.COUNTY_ORG_DEPT, Role.DEPARTMENT})
# An organization department's region must be of its own level: a county's must not see the whole city
ROLE_REGION_LEVEL = {Role.CITY_ORG_DEPT: RegionLevel.CITY, Role.COUNTY_ORG_DEPT: RegionLevel.COUNTY}
# What decides an account's rights: audited before and after each sign-in
RIGHTS = ("role", "region_id", "department_id", "enterprise_id", "is_active", "is_staff", "is_superuser")


@dataclass(frozen=True)
class Account:
    """What the claims say an account is: its role and where it belongs."""

    role: Role
    region_id: int | None = None
    department_id: int | None = None
    enterprise_id: int | None = None
    display_name: str = ""
    email: str = ""


def _text(claims: Mapping, name: str) -> str:
    value = claims.get(name)
    if isinstance(value, list) and len(value) == 1:  # some providers send one-element arrays
        value = value[0]
    return value.strip() if isinstance(value, str) else ""


def role_from_claims(claims: Mapping) -> Role:
    names = claim_names()
    raw = claims.get(names.role)
    if raw in (None, "", []):
        return Role.TALENT  # a citizen, linked to nothing until the registry links their talent record
    value = _text(claims, names.role)
    value = names.role_values.get(value, value)
    if value not in Role.values:
        raise SsoRefused(Refusal.UNKNOWN_ROLE, value=(value or str(raw))[:50], claims=claims)
    return Role(value)


def _region(claims: Mapping, role: Role) -> Region:
    code = _text(claims, claim_names().region)
    if not code:
        raise SsoRefused(Refusal.REGION_MISSING, claims=claims)
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise SsoRefused(Refusal.UNKNOWN_REGION, value=code[:20], claims=claims)
    level = ROLE_REGION_LEVEL.get(role)
    if level is not None and region.level != level:
        raise SsoRefused(Refusal.REGION_LEVEL, value=code, claims=claims)
    return region


def _linked_rows(field_name: str) -> models.QuerySet:
    """The rows an account can link to (the registry's departments and enterprises), reached through the
    user's own foreign key: accounts sits below the registry and imports nothing of it."""
    link = User._meta.get_field(field_name)
    assert isinstance(link, models.ForeignKey)
    return link.related_model._default_manager.all()


def _department_id(claims: Mapping, region: Region) -> int:
    kind = _text(claims, claim_names().department)
    if not kind:
        raise SsoRefused(Refusal.DEPARTMENT_MISSING, claims=claims)
    found = _linked_rows("department").filter(region=region, kind=kind).values_list("pk", flat=True).first()
    if found is None:
        raise SsoRefused(Refusal.UNKNOWN_DEPARTMENT, value=kind[:30], claims=claims)
    return found


def _enterprise_id(claims: Mapping) -> int:
    code = _text(claims, claim_names().enterprise).upper()
    if not code:
        raise SsoRefused(Refusal.ENTERPRISE_MISSING, claims=claims)
    found = _linked_rows("enterprise").filter(credit_code=code).values_list("pk", flat=True).first()
    if found is None:
        raise SsoRefused(Refusal.UNKNOWN_ENTERPRISE, value=code[:18], claims=claims)
    return found


def _email(claims: Mapping) -> str:
    address = _text(claims, claim_names().email)[:254]
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address


def account_from_claims(claims: Mapping) -> Account:
    """The account the claims describe, or `SsoRefused` naming the claim that is missing or unknown."""
    if not _text(claims, "sub"):
        raise SsoRefused(Refusal.NO_SUBJECT, claims=claims)
    role = role_from_claims(claims)
    region = _region(claims, role) if role in OFFICER_ROLES else None
    return Account(
        role=role,
        region_id=region.pk if region else None,
        department_id=_department_id(claims, region) if role == Role.DEPARTMENT and region else None,
        enterprise_id=_enterprise_id(claims) if role == Role.ENTERPRISE else None,
        display_name=_text(claims, claim_names().name)[:100],
        email=_email(claims),
    )


def audited_claims(claims: Mapping) -> dict:
    """The claims that decide an account's rights, for the audit log (never names or addresses)."""
    names = claim_names()
    keys = ("sub", names.role, names.region, names.department, names.enterprise, "amr", "acr")
    return {key: claims[key] for key in keys if key in claims}


def username_for(subject: str) -> str:
    """A stable username from the subject (which may be long, or personal, so never used as it is)."""
    digest = base64.b32encode(hashlib.sha256(subject.encode()).digest()).decode().lower()
    return f"sso-{digest[:20]}"


def _rights(user: User) -> dict:
    return {name: getattr(user, name) for name in RIGHTS}


def sign_in_from_claims(*, claims: Mapping[str, Any], second_factor: bool = False, ip: str = "") -> User:
    """Find the account of the claims' subject (created at its first sign-in), set its role and links from
    the claims, and audit the sign-in. Refuses (`SsoRefused`) before writing anything."""
    account = account_from_claims(claims)
    subject = _text(claims, "sub")
    with transaction.atomic():
        user, created = User.objects.select_for_update().get_or_create(
            oidc_subject=subject,
            defaults={"username": username_for(subject), "password": make_password(None)},
        )
        if not user.is_active:
            raise SsoRefused(Refusal.INACTIVE, claims=claims)
        before = {} if created else _rights(user)
        user.role = account.role
        user.region_id, user.department_id = account.region_id, account.department_id
        user.enterprise_id = account.enterprise_id
        user.display_name = account.display_name or user.display_name
        user.email = account.email or user.email
        user.save()
        after = _rights(user)
        audit.record(
            actor=user,
            action=AUDIT_LOGIN,
            obj=user,
            ip=ip,
            detail={
                "created": created,
                "second_factor": second_factor,
                "before": before,
                "after": after,
                "changed": sorted(key for key in after if before.get(key) != after[key]),
                "claims": audited_claims(claims),
            },
        )
    return user


def asserts_second_factor(id_token_claims: Mapping) -> bool:
    """Whether the provider says it checked a second factor (RFC 8176 `amr`, or an agreed `acr`)."""
    amr = id_token_claims.get("amr") or []
    methods = {amr} if isinstance(amr, str) else set(amr) if isinstance(amr, list) else set()
    accepted_amr = set(setting("RENCAI_OIDC_MFA_AMR", ["mfa"]))
    accepted_acr = set(setting("RENCAI_OIDC_MFA_ACR", []))
    return bool(methods & accepted_amr) or id_token_claims.get("acr") in accepted_acr
