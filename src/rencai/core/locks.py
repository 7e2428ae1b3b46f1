"""One run at a time, decided by the database: `with exclusive("match"): ...`.

A second caller, in this process or another, is refused at once with `DomainError(RUN_IN_PROGRESS)`
(409) and writes nothing; the lock is freed when the block ends, normally or by an exception.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its own that
  stays open for the job, so it is independent of the caller's transactions; the key is a stable 64-bit
  hash of the name (blake2b, not Python's salted `hash`). A process that dies loses its session and so
  its lock.
- SQLite (writers are serialized anyway): a `JobLock` row whose unique name is the lock; the INSERT
  that loses on the unique constraint is the refusal, the row is deleted in `finally`. A row left by a
  dead process (same host and its pid is gone, or older than `STALE_AFTER`) is taken over.
"""

import datetime as dt
import hashlib
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from rencai.core.errors import DomainError, ErrorCode

STALE_AFTER = dt.timedelta(hours=6)

# What each job is called in the refusal (Chinese, English); other names are shown as they are.
JOB_NAMES: dict[str, tuple[str, str]] = {
    "match": ("政策匹配", "policy matching run"),
    "offers": ("免申即享要约生成", "offers run"),
}


class RunInProgress(DomainError):
    status = 409

    def __init__(self, name: str):
        zh, en = JOB_NAMES.get(name, (name, name))
        super().__init__(
            ErrorCode.RUN_IN_PROGRESS,
            f"另一个{zh}正在运行，请稍后再试",
            f"Another {en} is running; try again later",
        )


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `pg_advisory_lock` (the same in every process and release)."""
    digest = hashlib.blake2b(f"rencai:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def exclusive(name: str) -> Iterator[None]:
    """Hold the database lock called `name` for the block, or raise `RunInProgress` if it is held."""
    if connection.vendor == "postgresql":
        with _advisory_lock(name):
            yield
    else:
        with _lock_row(name):
            yield


@contextmanager
def _advisory_lock(name: str) -> Iterator[None]:
    own = connections.create_connection("default")  # a session of its own, outside any transaction
    try:
        key = advisory_key(name)
        with own.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            (acquired,) = cursor.fetchone()
        if not acquired:
            raise RunInProgress(name)
        try:
            yield
        finally:
            with own.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    finally:
        own.close()  # closing the session frees the lock even if the unlock failed


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _is_stale(holder: str, acquired_at: dt.datetime) -> bool:
    if timezone.now() - acquired_at > STALE_AFTER:
        return True
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's process: only age tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _insert(name: str, holder: str) -> int | None:
    from rencai.core.models import JobLock

    try:
        with transaction.atomic():  # a savepoint when the caller is in a transaction
            return JobLock.objects.create(name=name, holder=holder, acquired_at=timezone.now()).pk
    except IntegrityError:
        return None


@contextmanager
def _lock_row(name: str) -> Iterator[None]:
    from rencai.core.models import JobLock

    holder = _holder()
    pk = _insert(name, holder)
    if pk is None:
        held = JobLock.objects.filter(name=name).values_list("pk", "holder", "acquired_at").first()
        if held is not None and _is_stale(held[1], held[2]):
            # take over the dead holder's row (only that exact row); the unique name still decides
            JobLock.objects.filter(pk=held[0], holder=held[1], acquired_at=held[2]).delete()
            pk = _insert(name, holder)
        elif held is None:
            pk = _insert(name, holder)  # freed between the INSERT and the look
    if pk is None:
        raise RunInProgress(name)
    try:
        yield
    finally:
        JobLock.objects.filter(pk=pk).delete()
