"""API authentication: a bearer token (`Authorization: Bearer rc_…`) or the browser session."""

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from rencai.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        row = (
            ApiToken.usable()
            .select_related("user", "user__region")
            .filter(key_hash=ApiToken.hash_key(token))
            .first()
        )
        if row is None:
            return None
        if row.last_used_at is None or (timezone.now() - row.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


def SessionOrTokenAuth():
    return [TokenAuth(), SessionAuth()]
