"""Single sign-on through an OpenID Connect provider (the province's identity service), on top of
mozilla-django-oidc: `config` (settings and discovery), `claims` (claims to accounts), `backend`, `views`,
`session` (logout and the second factor), `refusals`.

Off unless configured: `RENCAI_OIDC_CLIENT_ID` plus either `RENCAI_OIDC_ISSUER` (the endpoints are read from
its `/.well-known/openid-configuration`) or the endpoints one by one (`RENCAI_OIDC_AUTHORIZATION_ENDPOINT`,
`_TOKEN_ENDPOINT`, `_USER_ENDPOINT`, `_JWKS_ENDPOINT`, optionally `_END_SESSION_ENDPOINT`); an explicit
endpoint wins over the discovered one. Unconfigured, the routes under /oidc/ answer 404 exactly as if they did
not exist, the login page shows no button and the backend passes. Local passwords work either way.

How claims become an account (claim names are set by `RENCAI_OIDC_CLAIMS`, see `config.ClaimNames`):

- `sub` is the only key that finds an account (`User.oidc_subject`). An e-mail address never does: the
  provider lets people change it, and a local account holding the same address must not be taken over.
  The first sign-in of a subject creates its account (username `sso-…` from the subject, no usable password);
  an administrator links an existing local account by filling in its subject in the admin.
- The role claim (`rencai_role`) names a `Role` value, or a provider's own name mapped to one by
  `role_values`. Without a role claim the person is a citizen: role `talent`, linked to nothing (the
  registry links their talent record to the account later). A role that is not ours is refused.
- Officers need the region claim (`rencai_region`, a six-digit `core.Region` code): a county organization
  department a county, the city's organization department a city. A department officer also needs the
  department claim (`rencai_department`, the `DepartmentKind` of a department of that region); an enterprise
  account the unified social credit code (`rencai_credit_code`) of an enterprise in the registry. An unknown
  code is refused; nothing but the account itself is ever created from claims.
- `name` and `email` set the display name and the address.

The provider is the source of truth for the accounts it signs in: every sign-in sets role, region,
department and enterprise from the claims again (links the role does not use are cleared), so a right
withdrawn there is gone here at the next sign-in. No claim grants staff or administrator rights. Every
sign-in is audited as `accounts.sso_login` (rights before and after), every refusal as
`accounts.sso_refused` (the reason and the claims that caused it) and shown on the login page.

Security beyond the library's defaults: state, nonce and PKCE (S256) on every request; the id_token's
signature (keys from the provider's JWKS), audience, expiry and, with an issuer configured, issuer are
checked; the userinfo `sub` must be the id_token's; a deactivated account's session ends.

Two-factor authentication: a provider sign-in counts as a verified second factor only when the id_token
asserts it (`amr` holding one of `RENCAI_OIDC_MFA_AMR`, default "mfa", or `acr` one of
`RENCAI_OIDC_MFA_ACR`): `session.provider_verified_second_factor(request)`. Otherwise the session is left to
the two-factor middleware like a password sign-in.
"""

from rencai.accounts.sso.backend import ProviderBackend
from rencai.accounts.sso.claims import account_from_claims, sign_in_from_claims
from rencai.accounts.sso.config import enabled
from rencai.accounts.sso.refusals import Refusal, SsoRefused
from rencai.accounts.sso.session import end_session_url, provider_verified_second_factor

__all__ = [
    "ProviderBackend",
    "Refusal",
    "SsoRefused",
    "account_from_claims",
    "enabled",
    "end_session_url",
    "provider_verified_second_factor",
    "sign_in_from_claims",
]
