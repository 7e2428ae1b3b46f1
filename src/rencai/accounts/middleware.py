"""Session rules: an idle or too old session is logged out, and a privileged account passes its second factor
before any page.

Both sit after Django's authentication, messages and django-otp's OTPMiddleware. API calls with a bearer
token carry no session and are not touched; an API call riding on a session that has not passed the second
factor is treated as anonymous (401), so the API is no way around it.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _

from rencai.accounts import two_factor
from rencai.core import access

# Session keys (seconds since the epoch): the last request seen, and when the user signed in
LAST_ACTIVITY = "rencai_last_activity"
SIGNED_IN_AT = "rencai_signed_in_at"
# The last-activity mark is rewritten at most this often, so that not every request writes the session
ACTIVITY_RESOLUTION = 60

API_PREFIX = "/api/"


def idle_limit(user) -> int:
    """Seconds a session may stay unused: short for privileged accounts, longer for talents, enterprises and
    providers (RENCAI_IDLE_MINUTES_PRIVILEGED / RENCAI_IDLE_MINUTES)."""
    return (
        settings.RENCAI_IDLE_SECONDS_PRIVILEGED
        if access.is_privileged(user)
        else settings.RENCAI_IDLE_SECONDS
    )


def mark_signed_in(request) -> None:
    """Start the clocks of a new session (called when a user logs in)."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_ACTIVITY] = now


class IdleSessionMiddleware:
    """Log out a session unused for longer than its user's idle limit, or older than SESSION_COOKIE_AGE
    however busy (the absolute cap), and say why on the login page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            ended = self._ended(request)
            if ended:
                return self._log_out(request, ended)
            self._touch(request)
        return self.get_response(request)

    @staticmethod
    def _ended(request) -> str:
        now = time.time()
        signed_in = request.session.get(SIGNED_IN_AT)
        last = request.session.get(LAST_ACTIVITY)
        if signed_in is not None and now - signed_in > settings.SESSION_COOKIE_AGE:
            return "expired"
        if last is not None and now - last > idle_limit(request.user):
            return "idle"
        return ""

    @staticmethod
    def _touch(request) -> None:
        now = time.time()
        last = request.session.get(LAST_ACTIVITY)
        if last is None or now - last >= ACTIVITY_RESOLUTION:
            request.session[LAST_ACTIVITY] = now
        if SIGNED_IN_AT not in request.session:  # a session from before this rule: its clock starts now
            request.session[SIGNED_IN_AT] = now

    def _log_out(self, request, reason: str):
        minutes = idle_limit(request.user) // 60
        request.rencai_logout_reason = reason  # for the audit entry of the logout (accounts.login_audit)
        logout(request)
        if request.path.startswith(API_PREFIX):
            return self.get_response(request)  # now anonymous: the API answers 401 itself
        if reason == "idle":
            text = _("您已超过 %(minutes)d 分钟未操作，为保护数据安全已自动退出，请重新登录。") % {
                "minutes": minutes
            }
        else:
            text = _("登录时间已超过上限，请重新登录。")
        messages.info(request, text)
        return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))


async def _anonymous() -> AnonymousUser:
    return AnonymousUser()


class SecondFactorMiddleware:
    """Hold a privileged account that has not passed its second factor in this session on the 2FA pages:
    enrolment when it has no authenticator yet, verification otherwise. Logging out, switching language,
    static files and the 2FA pages themselves stay reachable."""

    OPEN_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/accounts/login/", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        # Passed: one of our devices verified this session, or the identity provider checked a second factor
        if not access.is_privileged(user) or two_factor.second_factor_passed(request):
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            request.user = AnonymousUser()
            request.auser = _anonymous
            return self.get_response(request)
        if request.path.startswith((*self.OPEN_PREFIXES, settings.STATIC_URL)):
            return self.get_response(request)
        target = "second_factor_verify" if two_factor.has_authenticator(user) else "second_factor_setup"
        return redirect_to_login(request.get_full_path(), resolve_url(target))
