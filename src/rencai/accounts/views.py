"""Home page by role, the API token page (issue, list, revoke), logout (optionally revoking tokens), the
change of one's own password, and the second factor's pages (enrolment, sign-in, recovery codes)."""

import django_otp
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rencai.accounts import passwords, sso, two_factor
from rencai.accounts import tokens as token_service
from rencai.accounts.forms import SecondFactorCodeForm
from rencai.accounts.home import panels_for
from rencai.accounts.models import ApiToken
from rencai.accounts.throttling import client_ip
from rencai.core import access
from rencai.core.errors import DomainError

# Recovery codes just issued, kept in the session only until the page that shows them once
FRESH_RECOVERY_CODES = "rencai_fresh_recovery_codes"


@login_required
def home(request):
    user = request.user
    context = {
        "role_label": user.get_role_display() if user.role else "",
        "home_panels": panels_for(user),
        "second_factor": access.is_privileged(user),
    }
    return render(request, "accounts/home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request):
    key = None
    if request.method == "POST":
        _token, key = ApiToken.issue(request.user, name="web")
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked", "-created_at")
    response = render(request, "accounts/api_token.html", {"key": key, "tokens": tokens})
    response["Cache-Control"] = "no-store"  # the new key is on this page once
    return response


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    token = token_service.revoke_token(actor=request.user, token_id=pk)
    messages.success(request, _("令牌 %(prefix)s… 已注销") % {"prefix": token.prefix})
    return redirect("api_token")


@require_POST
def logout_view(request):
    """Log out; with `revoke_tokens`, every API token of the user stops working too."""
    if request.user.is_authenticated and request.POST.get("revoke_tokens"):
        token_service.revoke_all_tokens(actor=request.user)
    end_session = sso.end_session_url(request)  # read before logout() forgets the provider's id_token
    logout(request)
    return redirect(end_session or "login")  # signed in at the provider: end the session there too


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        passwords.password_change(
            actor=request.user, new_password=form.cleaned_data["new_password1"], ip=client_ip(request)
        )
        update_session_auth_hash(request, request.user)  # stay signed in (and verified) with the new hash
        messages.success(request, _("密码已修改"))
        return redirect("home")
    context = {"form": form, "password_rules": password_validators_help_texts()}
    return render(request, "accounts/password_change.html", context)


# -- second factor ----------------------------------------------------------------------------------------


def _next_url(request) -> str:
    """Where to go after the second factor: the page first asked for, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url("home")


def _with_next(name: str, request) -> str:
    return f"{reverse(name)}?{urlencode({'next': _next_url(request)})}"


def _no_store(response):
    response["Cache-Control"] = "no-store"  # secrets and codes are on these pages
    return response


def _pass_second_factor(request, device) -> None:
    """Remember in the session (django-otp's own login) which device verified the user, under a new session
    key: whoever knew the key before the second step does not hold the verified session."""
    django_otp.login(request, device)
    request.session.cycle_key()


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_setup(request):
    """Enrolment at the first sign-in: scan or type the secret, confirm with a code, get recovery codes."""
    user = request.user
    if not access.is_privileged(user):
        return redirect(_next_url(request))
    if two_factor.has_authenticator(user):
        return redirect(_with_next("second_factor_verify", request))
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.confirm_authenticator(
                actor=user, code=form.cleaned_data["code"], ip=client_ip(request)
            )
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            _pass_second_factor(request, device)
            request.session[FRESH_RECOVERY_CODES] = codes
            return redirect(_with_next("recovery_codes", request))
    device = two_factor.pending_authenticator(user=user)
    context = {
        "form": form,
        "secret": two_factor.secret_of(device),
        "qr": two_factor.qr_svg(device),
        "next": _next_url(request),
    }
    return _no_store(render(request, "accounts/two_factor_setup.html", context))


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_verify(request):
    """The second step of every sign-in of a privileged account: a code from the app or a recovery code."""
    user = request.user
    if not access.is_privileged(user) or two_factor.second_factor_passed(request):
        return redirect(_next_url(request))
    if not two_factor.has_authenticator(user):
        return redirect(_with_next("second_factor_setup", request))
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.verify_second_factor(
                actor=user, code=form.cleaned_data["code"], ip=client_ip(request)
            )
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            _pass_second_factor(request, device)
            if device.name == two_factor.RECOVERY:
                left = two_factor.remaining_recovery_codes(user)
                messages.warning(
                    request,
                    _("您使用了一个恢复码，还剩 %(count)d 个。请尽快找回验证器或生成新的恢复码。")
                    % {"count": left},
                )
            return redirect(_next_url(request))
    return _no_store(
        render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)})
    )


@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """Recovery codes just issued, shown this once; a button issues new ones (the old ones stop working)."""
    user = request.user
    if not access.is_privileged(user):
        return redirect("home")
    if not two_factor.second_factor_passed(request):  # new codes would be a way around the second factor
        return redirect(_with_next("second_factor_verify", request))
    if request.method == "POST":
        request.session[FRESH_RECOVERY_CODES] = two_factor.issue_recovery_codes(
            actor=user, ip=client_ip(request)
        )
        return redirect(_with_next("recovery_codes", request))
    context = {
        "codes": request.session.pop(FRESH_RECOVERY_CODES, None),
        "remaining": two_factor.remaining_recovery_codes(user),
        "next": _next_url(request),
    }
    return _no_store(render(request, "accounts/recovery_codes.html", context))
