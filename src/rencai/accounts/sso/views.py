"""The two pages of the code flow: off to the provider, and back from it. Both answer 404 while single
sign-on is not configured; every refusal is audited and shown on the login page."""

import logging

import requests
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from rencai.accounts.sso.claims import audited_claims
from rencai.accounts.sso.config import enabled, oidc_setting, provider_endpoint, setting
from rencai.accounts.sso.refusals import Refusal, SsoRefused
from rencai.accounts.throttling import client_ip
from rencai.core import audit

logger = logging.getLogger(__name__)

AUDIT_REFUSED = "accounts.sso_refused"


def refuse(request: HttpRequest, refusal: SsoRefused) -> HttpResponse:
    """Audit the refusal and say why on the login page."""
    detail = {
        "reason": refusal.reason.value,
        "error": refusal.error,
        "claims": audited_claims(refusal.claims),
    }
    audit.record(actor=None, action=AUDIT_REFUSED, ip=client_ip(request), detail=detail)
    logger.warning("single sign-on refused: %s", detail)
    messages.error(request, refusal.message)
    return redirect("login")


class AuthenticateView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with state, nonce and PKCE verifier remembered in the session."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # the library reads its settings here; we do in `get`, when enabled

    def get(self, request):
        if not enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_endpoint("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except SsoRefused as refusal:
            return refuse(request, refusal)
        self.OIDC_RP_CLIENT_ID = setting("RENCAI_OIDC_CLIENT_ID")
        return super().get(request)


def _state_is_ours(request: HttpRequest) -> bool:
    states = request.session.get("oidc_states")
    return isinstance(states, dict) and request.GET.get("state") in states


class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back. The state must be one this browser started (else the
    library would answer a bare 400); the backend then exchanges the code and checks the tokens."""

    get_settings = staticmethod(oidc_setting)

    @property
    def failure_url(self) -> str:
        return reverse("login")

    def get(self, request):
        if not enabled():
            raise Http404
        try:
            if "code" in request.GET and not _state_is_ours(request):
                raise SsoRefused(Refusal.STATE_MISMATCH)
            return super().get(request)
        except SsoRefused as refusal:
            return refuse(request, refusal)
        except SuspiciousOperation as exc:  # signature, nonce or algorithm of the id_token
            return refuse(request, SsoRefused(Refusal.INVALID_TOKEN, error=str(exc)[:500]))
        except requests.HTTPError as exc:  # the provider refused the code (used, expired, not ours)
            return refuse(request, SsoRefused(Refusal.NOT_COMPLETED, error=str(exc)[:500]))
        except requests.RequestException as exc:
            return refuse(request, SsoRefused(Refusal.PROVIDER_UNAVAILABLE, error=str(exc)[:500]))

    def login_failure(self):
        error = self.request.GET.get("error", "")  # the provider's own, e.g. access_denied
        return refuse(self.request, SsoRefused(Refusal.NOT_COMPLETED, error=error[:100]))
