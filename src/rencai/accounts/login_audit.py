"""Every login, logout, failed login and lockout in the hash-chained audit log (connected in
`AccountsConfig.ready`). The username tried is kept, never the password; the address is the client's.

Also starts the new session's idle and age clocks (`accounts.middleware`).
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from rencai.accounts.middleware import mark_signed_in
from rencai.accounts.throttling import client_ip
from rencai.core import audit

# Usernames are at most 150 characters; a longer "username" is an attack, kept only in part
USERNAME_KEPT = 150
OBJECT_ID_KEPT = 64  # the audit entry's object_id column


def _ip(request) -> str:
    return client_ip(request) if request is not None else ""


def _via(request) -> str:
    return getattr(request, "path", "") if request is not None else ""


@receiver(user_logged_in, dispatch_uid="rencai.audit_login")
def audit_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        mark_signed_in(request)
    audit.record(
        actor=user,
        action="accounts.login",
        obj=user,
        ip=_ip(request),
        detail={"via": _via(request), "backend": getattr(user, "backend", "")},
    )


@receiver(user_logged_out, dispatch_uid="rencai.audit_logout")
def audit_logout(sender, request, user, **kwargs) -> None:
    if user is None:  # logging out a session that was not logged in
        return
    audit.record(
        actor=user,
        action="accounts.logout",
        obj=user,
        ip=_ip(request),
        detail={"reason": getattr(request, "rencai_logout_reason", "user")},
    )


@receiver(user_login_failed, dispatch_uid="rencai.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:USERNAME_KEPT]
    audit.record(
        actor=None,
        action="accounts.login_failed",
        object_type="accounts.user",
        object_id=username[:OBJECT_ID_KEPT],
        ip=_ip(request),
        detail={
            "username": username,
            "via": _via(request),
            "locked_out": bool(getattr(request, "axes_locked_out", False)),
        },
    )


@receiver(user_locked_out, dispatch_uid="rencai.audit_locked_out")
def audit_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    username = str(username or "")[:USERNAME_KEPT]
    audit.record(
        actor=None,
        action="accounts.locked_out",
        object_type="accounts.user",
        object_id=username[:OBJECT_ID_KEPT],
        ip=ip_address or _ip(request),
        detail={"username": username, "via": _via(request)},
    )
