"""What a session signed in at the provider carries: whether the provider checked a second factor, and the
id_token that RP-initiated logout hands back to it."""

from urllib.parse import urlencode

from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpRequest
from django.urls import reverse

from rencai.accounts.sso.config import enabled, provider_endpoint, setting
from rencai.accounts.sso.refusals import SsoRefused

# The backend's path exactly as AUTHENTICATION_BACKENDS names it (Django keeps that string in the session)
BACKEND_PATH = "rencai.accounts.sso.ProviderBackend"
SECOND_FACTOR_SESSION_KEY = "rencai_sso_second_factor"
ID_TOKEN_SESSION_KEY = "oidc_id_token"  # where mozilla-django-oidc keeps it (OIDC_STORE_ID_TOKEN)


def signed_in_through_provider(request: HttpRequest) -> bool:
    return request.session.get(BACKEND_SESSION_KEY) == BACKEND_PATH


def provider_verified_second_factor(request: HttpRequest) -> bool:
    """For the two-factor middleware: this session's sign-in at the provider included a second factor.
    A password sign-in into the same session changes its backend, so the mark counts no more."""
    return signed_in_through_provider(request) and request.session.get(SECOND_FACTOR_SESSION_KEY) is True


def end_session_url(request: HttpRequest) -> str:
    """Where logging out sends someone who signed in at the provider (RP-initiated logout), "" when it
    does not. Read it before the local session ends: it holds the id_token the provider wants back."""
    if not (enabled() and signed_in_through_provider(request)):
        return ""
    try:
        endpoint = provider_endpoint("OIDC_OP_LOGOUT_ENDPOINT")
    except SsoRefused:
        return ""  # the provider is out of reach: the local session still ends
    if not endpoint:
        return ""
    params = {
        "client_id": setting("RENCAI_OIDC_CLIENT_ID"),
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
    }
    if request.session.get(ID_TOKEN_SESSION_KEY):
        params["id_token_hint"] = request.session[ID_TOKEN_SESSION_KEY]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"
