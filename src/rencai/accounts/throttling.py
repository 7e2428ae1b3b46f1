"""Login throttling by account and address (django-axes): the backend that refuses a locked-out login, and
the client address that both the throttle and the audit log record.

After AXES_FAILURE_LIMIT wrong passwords for one username from one address, that pair is locked out for
AXES_COOLOFF_TIME (the lockout page says so); other accounts from the same address and the same account
from other addresses still sign in. An administrator lifts a lockout early with
`rencai axes_reset_username USERNAME` (or `axes_reset_ip_username IP USERNAME`, `axes_reset` for all).
"""

import ipaddress
from http import HTTPStatus

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class ThrottledBackend(AxesStandaloneBackend):
    """Axes' gate in front of the password check, for logins over HTTP.

    Code that calls `authenticate()` without a request (a management command, the test client's `login`)
    is not a remote guesser: it passes through to the next backend instead of failing as Axes' own
    backend does.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request: HttpRequest) -> str:
    """The address the request came from. Behind RENCAI_TRUSTED_PROXIES reverse proxies, the one the
    outermost of them received it from (X-Forwarded-For counted from the right, each proxy appending the
    address it saw; entries further left are whatever the client claimed). With no proxy, REMOTE_ADDR only,
    so that a forged header cannot dodge the throttle."""
    proxies = getattr(settings, "RENCAI_TRUSTED_PROXIES", 0)
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-proxies]))
    except ValueError:  # a misconfigured proxy chain: fall back to the address that really connected
        return remote


def lockout_response(
    request: HttpRequest, original_response=None, credentials: dict | None = None
) -> HttpResponse:
    """The lockout page (AXES_LOCKOUT_CALLABLE), in the user's language, with 429 Too Many Requests."""
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "accounts/lockout.html", context, status=HTTPStatus.TOO_MANY_REQUESTS)
