"""Revoking API tokens: one at a time from the token page, or all of a user's at logout.

Every revocation is audited and bumps the revocation mark (`core.files`-style file in var/) that the
card-check fast path compares on each request, so a revoked token stops working there at once, in every
server process, not after its cache expires.
"""

import os
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from rencai.accounts.models import ApiToken, User
from rencai.core import audit
from rencai.core.errors import NotFound
from rencai.core.files import var_path


def revocation_mark() -> Path:
    return var_path("RENCAI_TOKEN_REVOCATIONS", "token-revocations")


def revocation_stamp() -> int:
    """Changes whenever a token is revoked (nanosecond mtime of the mark; 0 before any revocation)."""
    try:
        return os.stat(revocation_mark()).st_mtime_ns
    except FileNotFoundError:
        return 0


def _bump_mark() -> None:
    mark = revocation_mark()
    mark.touch(mode=0o600, exist_ok=True)
    now = timezone.now().timestamp()
    os.utime(mark, (now, now))


def revoke_token(*, actor: User, token_id: int) -> ApiToken:
    """The owner revokes one of their tokens (another user's is NotFound)."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
        if token is None:
            raise NotFound()
        if not token.revoked:
            before = audit.snapshot(token)
            token.revoked, token.revoked_at = True, timezone.now()
            token.save(update_fields=["revoked", "revoked_at"])
            audit.record_change(actor=actor, action="accounts.token.revoke", obj=token, before=before)
        transaction.on_commit(_bump_mark)
    return token


def revoke_all_tokens(*, actor: User) -> int:
    """Revoke every live token of `actor` (asked for at logout)."""
    with transaction.atomic():
        ids = list(ApiToken.objects.filter(user=actor, revoked=False).values_list("pk", flat=True))
        ApiToken.objects.filter(pk__in=ids).update(revoked=True, revoked_at=timezone.now())
        audit.record(
            actor=actor,
            action="accounts.token.revoke_all",
            object_type="accounts.apitoken",
            detail={"tokens": ids},
        )
        transaction.on_commit(_bump_mark)
    return len(ids)
