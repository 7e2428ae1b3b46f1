"""Single sign-on settings: ours (`RENCAI_OIDC_*`, from the environment) answered to mozilla-django-oidc
under its own names, with the provider's endpoints discovered from its issuer at run time."""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings
from mozilla_django_oidc.utils import import_from_settings

from rencai.accounts.sso.refusals import Refusal, SsoRefused

DISCOVERY_TTL_SECONDS = 3600


def setting(name: str, default: Any = "") -> Any:
    return getattr(settings, name, default)


def enabled() -> bool:
    """Whether single sign-on is configured: a client id and a provider (an issuer or its endpoints)."""
    provider = setting("RENCAI_OIDC_ISSUER") or setting("RENCAI_OIDC_AUTHORIZATION_ENDPOINT")
    return bool(setting("RENCAI_OIDC_CLIENT_ID") and provider)


@dataclass(frozen=True)
class ClaimNames:
    """Which claim carries what; `RENCAI_OIDC_CLAIMS` (JSON) overrides any of them, e.g.
    `{"role": "zwfw_role", "role_values": {"县委组织部": "county_org_dept"}}`."""

    role: str = "rencai_role"
    region: str = "rencai_region"
    department: str = "rencai_department"
    enterprise: str = "rencai_credit_code"
    name: str = "name"
    email: str = "email"
    # the provider's role names -> ours; a value not listed here must be one of `Role`'s own values
    role_values: Mapping[str, str] = field(default_factory=dict)


def claim_names() -> ClaimNames:
    return ClaimNames(**setting("RENCAI_OIDC_CLAIMS", {}))


# mozilla-django-oidc's endpoint setting -> (our setting, its key in the provider's discovery document)
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": ("RENCAI_OIDC_AUTHORIZATION_ENDPOINT", "authorization_endpoint"),
    "OIDC_OP_TOKEN_ENDPOINT": ("RENCAI_OIDC_TOKEN_ENDPOINT", "token_endpoint"),
    "OIDC_OP_USER_ENDPOINT": ("RENCAI_OIDC_USER_ENDPOINT", "userinfo_endpoint"),
    "OIDC_OP_JWKS_ENDPOINT": ("RENCAI_OIDC_JWKS_ENDPOINT", "jwks_uri"),
    "OIDC_OP_LOGOUT_ENDPOINT": ("RENCAI_OIDC_END_SESSION_ENDPOINT", "end_session_endpoint"),
}
OPTIONAL_ENDPOINTS = {"OIDC_OP_LOGOUT_ENDPOINT"}
# mozilla-django-oidc's setting -> ours
RENAMED = {
    "OIDC_RP_CLIENT_ID": "RENCAI_OIDC_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "RENCAI_OIDC_CLIENT_SECRET",
    "OIDC_RP_SIGN_ALGO": "RENCAI_OIDC_SIGN_ALGO",
    "OIDC_RP_SCOPES": "RENCAI_OIDC_SCOPES",
    "OIDC_TIMEOUT": "RENCAI_OIDC_TIMEOUT",
}
# Not configurable: what keeps the flow safe, and what this package relies on
FIXED: dict[str, Any] = {
    "OIDC_USE_NONCE": True,
    "OIDC_USE_PKCE": True,
    "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
    "OIDC_ALLOW_UNSECURED_JWT": False,
    "OIDC_VERIFY_SSL": True,
    "OIDC_RP_IDP_SIGN_KEY": None,  # signing keys come from the provider's JWKS
    "OIDC_STORE_ID_TOKEN": True,  # the id_token_hint of RP-initiated logout
    "OIDC_STORE_ACCESS_TOKEN": False,
    "OIDC_CREATE_USER": True,
    "OIDC_AUTHENTICATION_CALLBACK_URL": "oidc_authentication_callback",
}

_discovered: dict[str, tuple[float, dict]] = {}


def discovery(issuer: str) -> dict:
    """The provider's discovery document, fetched at most once an hour per issuer."""
    cached = _discovered.get(issuer)
    if cached is not None and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
        return cached[1]
    try:
        response = requests.get(
            issuer.rstrip("/") + "/.well-known/openid-configuration",
            timeout=setting("RENCAI_OIDC_TIMEOUT", 10),
        )
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SsoRefused(Refusal.PROVIDER_UNAVAILABLE, error=f"discovery: {exc}") from exc
    # OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise SsoRefused(Refusal.PROVIDER_MISCONFIGURED, error="discovery document names another issuer")
    _discovered[issuer] = (time.monotonic(), document)
    return document


def provider_endpoint(name: str) -> str:
    """An endpoint (by mozilla-django-oidc's setting name): configured, else discovered."""
    ours, key = ENDPOINTS[name]
    value = setting(ours)
    issuer = setting("RENCAI_OIDC_ISSUER")
    if not value and issuer:
        value = discovery(issuer).get(key, "")
    if not value and name not in OPTIONAL_ENDPOINTS:
        raise SsoRefused(Refusal.PROVIDER_MISCONFIGURED, error=f"no {key}")
    return value or ""


def issuer() -> str:
    """The issuer id_tokens must name (the discovery document's), or "" when no issuer is configured."""
    configured = setting("RENCAI_OIDC_ISSUER")
    if not configured:
        return ""
    return str(discovery(configured).get("issuer", configured))


def _basic_auth_only() -> bool:
    """Client authentication at the token endpoint: form fields (client_secret_post) unless the provider
    declares that it only takes HTTP Basic."""
    configured = setting("RENCAI_OIDC_ISSUER")
    methods = discovery(configured).get("token_endpoint_auth_methods_supported") if configured else None
    if not isinstance(methods, list):
        return False
    return "client_secret_post" not in methods and "client_secret_basic" in methods


def oidc_setting(name: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings, answered from ours: its classes read all their settings through
    this (see `backend` and `views`), so the provider is configured, and discovered, at run time."""
    if name in ENDPOINTS:
        return provider_endpoint(name)
    if name in RENAMED:
        return setting(RENAMED[name], *default)
    if name in FIXED:
        return FIXED[name]
    if name == "OIDC_TOKEN_USE_BASIC_AUTH":
        return _basic_auth_only()
    return import_from_settings(name, *default)
