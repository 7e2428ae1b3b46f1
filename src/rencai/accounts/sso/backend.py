"""The authentication backend of single sign-on: mozilla-django-oidc's, reading our settings, finding
accounts by `sub` only (`claims.sign_in_from_claims`), and checking more of the id_token than it does."""

import jwt
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from rencai.accounts.sso.claims import asserts_second_factor, sign_in_from_claims
from rencai.accounts.sso.config import enabled, issuer, oidc_setting
from rencai.accounts.sso.refusals import Refusal, SsoRefused
from rencai.accounts.sso.session import SECOND_FACTOR_SESSION_KEY
from rencai.accounts.throttling import client_ip

# Seconds of clock difference with the provider tolerated on exp/iat
CLOCK_LEEWAY = 60


class ProviderBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # Django builds every backend for every password sign-in too: reading the provider's settings (and
        # discovering its endpoints over the network) waits until a callback really asks this backend.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce; anything else (a password form) is not ours to answer.
        if request is None or "nonce" not in kwargs or "password" in kwargs or not enabled():
            return None
        super().__init__()
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id):
        # The library's get_user returns deactivated users too; Django's ends their sessions
        return ModelBackend.get_user(self, user_id)

    def verify_claims(self, claims) -> bool:
        return True  # `account_from_claims` decides, with a message for each refusal

    def _verify_jws(self, payload, key):
        """The signature with the provider's key, and what the library leaves unchecked: the audience, the
        issuer (when one is configured), expiry and issue time."""
        algorithm = jwt.get_unverified_header(payload).get("alg")
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"id_token signed with {algorithm!r}, not {self.OIDC_RP_SIGN_ALGO!r}")
        return jwt.decode(
            payload,
            key,
            algorithms=[algorithm],
            audience=self.OIDC_RP_CLIENT_ID,
            issuer=issuer() or None,
            leeway=CLOCK_LEEWAY,
            options={"require": ["exp", "iat", "sub"]},
        )

    def verify_token(self, token, **kwargs):
        try:
            return super().verify_token(token, **kwargs)
        except (jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:  # ValueError: a JWKS that is no JSON
            raise SuspiciousOperation(f"id_token refused: {exc}") from exc

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            # OpenID Connect Core §5.3.2: userinfo about anyone else must not be used
            raise SsoRefused(
                Refusal.INVALID_TOKEN, error="userinfo sub differs from id_token", claims=payload
            )
        second_factor = asserts_second_factor(payload)  # the signed id_token's word, not userinfo's
        user = sign_in_from_claims(
            claims={**payload, **userinfo}, second_factor=second_factor, ip=client_ip(self.request)
        )
        self.request.session[SECOND_FACTOR_SESSION_KEY] = second_factor
        return user
