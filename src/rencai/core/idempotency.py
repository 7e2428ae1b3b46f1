"""Idempotency: a retried write with the same key returns what the first one produced and writes nothing.

`once` is the one race-safe shape (look up, else create under a unique key; if a concurrent twin won the
race, answer with the twin's result). Two stores use it: a domain row's own unique key column (an
application's `idempotency_key`), and `IdempotencyKey` rows for API writes keyed by caller and endpoint.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Model

from rencai.core import crypto
from rencai.core.errors import ValidationFailed, problem
from rencai.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200

T = TypeVar("T")


class KeyReused(ValidationFailed):
    """The key was already used for a different request: refusing beats returning the wrong result."""

    def __init__(self) -> None:
        super().__init__(
            [
                problem(
                    HEADER,
                    "该幂等键已用于另一个不同的请求",
                    "This Idempotency-Key was already used for a different request",
                )
            ]
        )


def once(*, find: Callable[[], T | None], same: Callable[[T], bool], create: Callable[[], T]) -> T:
    """`find()` the result of an earlier request with this key, else `create()` it in a savepoint. A
    unique constraint on the key decides a race: the loser's IntegrityError is rolled back and it answers
    with the winner's result. `same(earlier)` says whether the earlier request was this one."""
    earlier = find()
    if earlier is None:
        try:
            with transaction.atomic():
                return create()
        except IntegrityError:
            earlier = find()
            if earlier is None:
                raise  # a different constraint failed: not a retry
    if not same(earlier):
        raise KeyReused()
    return earlier


def key_from(request) -> str:
    """The client's key from the request header ("" when there is none)."""
    return request.headers.get(HEADER, "").strip()[:MAX_KEY_LENGTH]


@dataclass(frozen=True)
class Outcome:
    object_id: int
    status: int


def fingerprint(scope: str, payload: dict) -> str:
    """A keyed hash of the request (its body may hold personal data, so it is never stored in clear)."""
    canonical = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return crypto.blind_index(f"{scope}|{canonical}", purpose="idempotency")


def write_once(
    *, actor, scope: str, key: str, payload: dict, write: Callable[[], tuple[Model, int]]
) -> Outcome:
    """Run `write` (returning the object and the HTTP status it earned) once per caller, scope and key.
    Without a key it simply runs."""
    if not key:
        obj, status = write()
        return Outcome(obj.pk, status)
    digest = fingerprint(scope, payload)

    def find() -> IdempotencyKey | None:
        return IdempotencyKey.objects.filter(actor=actor, scope=scope, key=key).first()

    def create() -> IdempotencyKey:
        obj, status = write()
        return IdempotencyKey.objects.create(
            actor=actor, scope=scope, key=key, fingerprint=digest, object_id=str(obj.pk), status=status
        )

    row = once(find=find, same=lambda earlier: earlier.fingerprint == digest, create=create)
    return Outcome(int(row.object_id), row.status)
