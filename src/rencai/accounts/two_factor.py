"""The second factor of privileged accounts (django-otp): an authenticator app (TOTP, RFC 6238) and ten
one-time recovery codes. Enrolment, verification and new recovery codes are services, each audited.

Who must pass it is `core.access.is_privileged`; `accounts.middleware.SecondFactorMiddleware` holds every
page until they have. Wrong codes are throttled by django-otp per device (a wait of 1, 2, 4, 8 … seconds
after each failure in a row, OTP_TOTP_THROTTLE_FACTOR / OTP_STATIC_THROTTLE_FACTOR), and a TOTP code is
accepted once only (a code of an earlier or the same time step is refused).
"""

import base64
import time
from collections.abc import Iterable

import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from rencai.accounts.models import User
from rencai.accounts.sso.session import provider_verified_second_factor
from rencai.core import access, audit
from rencai.core.errors import DomainError, ErrorCode, NotFound, ValidationFailed, problem

AUTHENTICATOR = "authenticator"  # the name of a user's TOTP device
RECOVERY = "recovery"  # the name of the device holding their recovery codes
RECOVERY_CODES = 10

# The demo accounts' authenticator secret (base32). Published in the README and printed by `rencai demo`:
# `rencai demo_totp` prints its current code. Demo data only, like the demo password.
DEMO_TOTP_SECRET = "RENCAIDEMOQUZHOUTALENTPLATFORM22"


def second_factor_passed(request: HttpRequest) -> bool:
    """This session has passed a second factor: one of our devices verified it (django-otp's login), or the
    identity provider it signed in at asserted one (single sign-on, `accounts.sso`)."""
    is_verified = getattr(request.user, "is_verified", None)  # installed by django-otp's OTPMiddleware
    return bool(is_verified and is_verified()) or provider_verified_second_factor(request)


def authenticator_of(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator, if they have enrolled one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def remaining_recovery_codes(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def pending_authenticator(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator the setup page shows (the same secret until it is confirmed)."""
    if not access.is_privileged(user) or has_authenticator(user):
        raise NotFound()
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def secret_of(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in: base32, in groups of four."""
    encoded = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


def qr_svg(device: TOTPDevice) -> str:
    """segno's inline SVG of the otpauth:// address (no script, no image fetched from anywhere)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2, title=_("二次验证二维码"))


def confirm_authenticator(*, actor: User, code: str, ip: str = "") -> tuple[TOTPDevice, list[str]]:
    """Enrol: the first code from the app confirms the pending authenticator; returns the device and the
    new recovery codes (shown once, never again)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).order_by("pk").first()
        )
        if device is None or has_authenticator(actor):
            raise NotFound()
        allowed, _throttle = device.verify_is_allowed()
        verified = allowed and device.verify_token(_normalized(code))
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
            codes = _replace_recovery_codes(actor)
        audit.record(
            actor=actor,
            action="accounts.second_factor.enrol" if verified else "accounts.second_factor.failed",
            obj=actor,
            ip=ip,
            detail={"method": "totp", "stage": "enrol", "throttled": not allowed},
        )
    if not verified:
        raise _refusal(throttled=not allowed)
    return device, codes


def issue_recovery_codes(*, actor: User, ip: str = "") -> list[str]:
    """Ten new recovery codes for an enrolled user; the old ones stop working."""
    with transaction.atomic():
        if not has_authenticator(actor):
            raise NotFound()
        codes = _replace_recovery_codes(actor)
        audit.record(
            actor=actor,
            action="accounts.second_factor.recovery_codes",
            obj=actor,
            ip=ip,
            detail={"codes": len(codes)},
        )
    return codes


def verify_second_factor(*, actor: User, code: str, ip: str = "") -> Device:
    """Check a code from the authenticator (six digits) or a recovery code (used up by this). Returns the
    device that accepted it, for `django_otp.login`."""
    code = _normalized(code)
    method = "totp" if code.isdigit() and len(code) == 6 else "recovery_code"
    with transaction.atomic():
        device: Device | None = (
            TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=True).order_by("pk").first()
            if method == "totp"
            else StaticDevice.objects.select_for_update().filter(user=actor, confirmed=True).first()
        )
        allowed, _throttle = device.verify_is_allowed() if device is not None else (True, None)
        # The failure (and django-otp's throttle count) is committed: the refusal is raised after the block
        verified = device is not None and allowed and device.verify_token(code)
        audit.record(
            actor=actor,
            action="accounts.second_factor.verify" if verified else "accounts.second_factor.failed",
            obj=actor,
            ip=ip,
            detail={"method": method, "stage": "sign_in", "throttled": not allowed},
        )
    if not verified or device is None:
        raise _refusal(throttled=not allowed)
    return device


def enrol_demo_authenticators(users: Iterable[User]) -> int:
    """Give the privileged demo accounts an authenticator with the published demo secret (demo data only)."""
    key = base64.b32decode(DEMO_TOTP_SECRET).hex()
    enrolled = 0
    for user in users:
        if access.is_privileged(user):
            TOTPDevice.objects.filter(user=user).exclude(name="demo").delete()
            TOTPDevice.objects.update_or_create(
                user=user, name="demo", defaults={"key": key, "confirmed": True, "last_t": -1}
            )
            enrolled += 1
    return enrolled


def demo_code(at: float | None = None) -> str:
    """The demo secret's code at `at` (now by default), as an authenticator app shows it."""
    totp = TOTP(base64.b32decode(DEMO_TOTP_SECRET))
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def _replace_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _n in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return [f"{code[:4]}-{code[4:]}" for code in codes]


def _normalized(code: str) -> str:
    """Spaces and dashes people type (or copy) into a code do not count; recovery codes are lower case."""
    return "".join(code.split()).replace("-", "").lower()


def _refusal(*, throttled: bool) -> DomainError:
    if throttled:
        return DomainError(
            ErrorCode.TOO_MANY_ATTEMPTS,
            "验证码错误次数过多，请稍候再试",
            "Too many wrong codes: wait a little and try again",
        )
    return ValidationFailed(
        [problem("code", "验证码不正确或已使用过", "The code is wrong or has been used already")],
        message_zh="验证码不正确",
        message_en="The code is not correct",
    )
