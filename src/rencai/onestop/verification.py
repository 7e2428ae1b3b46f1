"""Gold-card verification by providers: signature, then the card's current status, and a log of every check.

`verify_card` is the one entry point (the API and any page call it). A check costs one Ed25519 signature
check, one indexed query for the card's status (never cached, so a revocation takes effect on the very next
check in every process) and one log row, written in batches (see VerificationLog).
"""

import atexit
import base64
import datetime as dt
import functools
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, close_old_connections, connection, connections
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from ninja import Router
from ninja.utils import check_csrf

from rencai.accounts.models import ApiToken
from rencai.accounts.tokens import revocation_stamp
from rencai.core.access import Action, require
from rencai.core.errors import DomainError, ErrorCode, ValidationFailed, problem
from rencai.core.headers import HEADERS as SECURITY_HEADERS
from rencai.core.middleware import RETRY_AFTER_SECONDS, database_unavailable
from rencai.onestop.models import CardVerification, GoldCard
from rencai.onestop.tokens import InvalidCardToken, public_key_bytes, public_key_pem, verify_token

try:
    import psycopg
except ImportError:  # an installation on SQLite only
    psycopg = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

OK, REVOKED, EXPIRED, INVALID, UNKNOWN = "ok", "revoked", "expired", "invalid", "unknown"

MESSAGES = {
    OK: ("人才金卡有效", "The gold card is valid"),
    REVOKED: ("人才金卡已注销", "The gold card has been revoked"),
    EXPIRED: ("人才金卡已过有效期", "The gold card has expired"),
    INVALID: ("二维码无效，不是本平台签发的人才金卡", "The code is not a gold card issued by this platform"),
    UNKNOWN: ("查无此卡", "No such card"),
}


@dataclass(frozen=True)
class VerificationResult:
    result: str  # ok, revoked, expired, invalid, unknown
    card_number: str = ""
    tier: str = ""
    valid_until: dt.date | None = None
    holder: str = ""  # masked name, e.g. 张*
    card_id: int | None = field(default=None, repr=False)  # for the log, not shown

    @property
    def ok(self) -> bool:
        return self.result == OK

    @property
    def message_zh(self) -> str:
        return MESSAGES[self.result][0]

    @property
    def message_en(self) -> str:
        return MESSAGES[self.result][1]

    def as_dict(self) -> dict:
        message_zh, message_en = MESSAGES[self.result]
        return {
            "result": self.result,
            "card_number": self.card_number,
            "tier": self.tier,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "holder": self.holder,
            "message_zh": message_zh,
            "message_en": message_en,
        }


def mask_name(name: str) -> str:
    """The holder's surname only: 张三 -> 张*, 欧阳娜娜 -> 欧***."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def verify_card(
    *, provider, token: str, channel: str = "online", today: dt.date | None = None
) -> VerificationResult:
    """Check a card's token and current status for `provider`, and log the check (who, which card, when)."""
    require(provider, Action.VERIFY_CARD)
    result = _check(token, today or timezone.localdate())
    _log(provider=provider, result=result, channel=channel)
    return result


def _check(token: str, today: dt.date) -> VerificationResult:
    try:
        claims = verify_token(token)
    except InvalidCardToken:
        return VerificationResult(INVALID)
    card = _card_status(claims.card_number)
    if card is None:
        return VerificationResult(UNKNOWN, card_number=claims.card_number)
    card_id, status, valid_until, tier, name = card
    if isinstance(valid_until, str):  # a database driver that returns dates as text
        valid_until = dt.date.fromisoformat(valid_until)
    if status == "revoked":
        outcome = REVOKED
    elif today > valid_until:
        outcome = EXPIRED
    else:
        outcome = OK
    return VerificationResult(
        outcome,
        card_number=claims.card_number,
        tier=tier,
        valid_until=valid_until,
        holder=mask_name(name),
        card_id=card_id,
    )


@functools.cache
def _card_status_sql() -> str:
    card, talent = GoldCard._meta, GoldCard._meta.get_field("talent").related_model._meta
    return (
        f"SELECT c.id, c.status, c.valid_until, c.tier, t.name FROM {card.db_table} c "
        f"JOIN {talent.db_table} t ON t.id = c.talent_id WHERE c.card_number = %s"
    )


def _card_status(card_number: str) -> tuple | None:
    """(id, status, valid until, tier, holder name) by the unique card number: one indexed query.

    Plain SQL on purpose: this runs thousands of times a second and the ORM's query compilation costs more
    than the query. Never cached, so a revocation counts from the next check in every process.
    """
    if connection.vendor == "postgresql" and psycopg is not None:
        # A server-side-binding cursor lets psycopg prepare the statement once per connection (after a few
        # uses), so PostgreSQL neither parses nor plans it again; Django's default cursor binds on the client.
        # wrap_database_errors: psycopg's errors become Django's, and the connection is marked as having
        # failed so that the end of the request closes it (Django's own cursors do both)
        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(_card_status_sql(), [card_number])
            return cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute(_card_status_sql(), [card_number])
        return cursor.fetchone()


# The verification log --------------------------------------------------------------------------------------


class VerificationLog:
    """Writes CardVerification rows: at once by default, or through a spool file when a delay is configured.

    Why a spool: one INSERT and one commit per check cost a round trip and a WAL flush each, most of a
    verification's time. With RENCAI_VERIFICATION_LOG_DELAY > 0 (what `rencai serve` sets), each check
    appends one JSON line to this process's spool file under `var/verification-spool/` before answering —
    a write() into the operating system, which keeps it even if the process is killed the next instant —
    and a background thread moves the lines into the database every `delay` seconds with one multi-row
    INSERT. Files left by a process that died (or by granian, which stops workers without running Python's
    atexit hooks) are claimed by an atomic rename and written by whichever process flushes next, so no
    check is lost short of the machine itself failing before the disk write. With the delay at 0 (the
    default, and always inside a transaction: services, tests) the row is saved at once.
    """

    def __init__(self, *, delay: float | None = None, directory: Path | None = None) -> None:
        self._lock = threading.Lock()
        # one flush at a time in a process: the background thread and a caller (atexit, a test, a page)
        # would otherwise both take this process's claimed files and write their rows twice
        self._flushing = threading.Lock()
        self._pid: int | None = None
        self._spool: TextIO | None = None
        self._sequence = 0
        if delay is not None:  # otherwise from settings / the environment, on first use
            self.__dict__["delay"] = delay
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self.__dict__["directory"] = directory

    @functools.cached_property
    def delay(self) -> float:
        return float(
            getattr(
                settings,
                "RENCAI_VERIFICATION_LOG_DELAY",
                os.environ.get("RENCAI_VERIFICATION_LOG_DELAY", 0),
            )
        )

    @functools.cached_property
    def directory(self) -> Path:
        directory = Path(settings.VAR_DIR) / "verification-spool"
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def add(self, row: CardVerification) -> None:
        if self.delay <= 0 or connection.in_atomic_block:
            row.save(force_insert=True)
            return
        line = json.dumps(
            [
                row.card_id,
                row.card_number,
                row.provider_id,
                row.verified_at.isoformat(),
                row.result,
                row.channel,
            ]
        )
        with self._lock:
            if self._pid != os.getpid():  # first row in this process (servers fork after import)
                self._pid = os.getpid()
                self._spool = None
                threading.Thread(target=self._run, name="verification-log", daemon=True).start()
            if self._spool is None:
                self._spool = open(self.directory / f"{os.getpid()}.spool", "a", encoding="utf-8")
            self._spool.write(line + "\n")
            self._spool.flush()

    def flush(self) -> int:
        """Write every complete spool file of this process and of dead ones into the database."""
        with self._lock:
            if self._spool is not None and self._spool.tell() > 0:
                self._spool.close()
                self._spool = None
                self._sequence += 1
                own = self.directory / f"{os.getpid()}.spool"
                own.rename(own.with_name(f"{os.getpid()}-{self._sequence}.ready"))
        written = 0
        with self._flushing:
            for path in sorted(self.directory.glob("*")):
                claimed = self._claim(path)
                if claimed is not None:
                    written += self._write(claimed)
        return written

    def _claim(self, path: Path) -> Path | None:
        """Take a file to write: ready files of any process, the open spool of a process that is gone."""
        if path.suffix == ".spool":
            pid = int(path.stem) if path.stem.isdigit() else 0
            if pid == os.getpid() or _alive(pid):
                return None
        elif path.suffix not in (".ready", ".claimed"):
            return None
        if path.suffix == ".claimed" and not path.stem.endswith(f"@{os.getpid()}"):
            owner = path.stem.rsplit("@", 1)[-1]
            if not owner.isdigit() or _alive(int(owner)):
                return None  # another live process is writing it
        target = path.with_name(f"{path.stem.split('@')[0]}@{os.getpid()}.claimed")
        try:
            path.rename(target)  # atomic: of two processes, one wins
        except FileNotFoundError:
            return None
        return target

    def _write(self, path: Path) -> int:
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                card_id, number, provider_id, at, result, channel = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash mid-write; the rest is kept
            rows.append(
                CardVerification(
                    card_id=card_id,
                    card_number=number,
                    provider_id=provider_id,
                    verified_at=dt.datetime.fromisoformat(at),
                    result=result,
                    channel=channel,
                )
            )
        # A card deleted since the check (demo reset) must not fail the batch: keep the row, drop the link.
        existing = set(
            GoldCard.objects.filter(pk__in={r.card_id for r in rows if r.card_id}).values_list(
                "pk", flat=True
            )
        )
        for row in rows:
            if row.card_id not in existing:
                row.card_id = None
        CardVerification.objects.bulk_create(rows, batch_size=1000)
        path.unlink()
        return len(rows)

    def _run(self) -> None:
        while True:
            time.sleep(self.delay)
            try:
                self.flush()
            except Exception:
                logger.exception("verification log: batch not written, will retry")
                connections.close_all()  # a broken connection is reopened on the next flush
            else:
                # as at the end of a request: a pooled connection goes back to the pool between batches
                close_old_connections()


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


verification_log = VerificationLog()
atexit.register(lambda: verification_log.flush())


def flush_verification_log() -> int:
    """Write the checks still spooled (this process's and dead ones'): tests, a page showing the latest."""
    return verification_log.flush()


def _log(*, provider, result: VerificationResult, channel: str) -> None:
    verification_log.add(
        CardVerification(
            card_id=result.card_id,
            card_number=result.card_number[:20],
            provider_id=provider.pk,
            verified_at=timezone.now(),
            result=result.result,
            channel=channel,
        )
    )


# HTTP ---------------------------------------------------------------------------------------------------
#
# POST /api/cards/verify is a plain Django view, not a ninja operation: it is the platform's hottest path
# (every scan at every hospital, bank and sight) and ninja's per-request machinery (operation lookup,
# pydantic parsing, auth chain, renderer) cost more than the verification itself. It keeps the API's
# contract: bearer token or session (with CSRF), JSON in and out, domain errors as {code, message, …},
# 401 without credentials. It is routed in the root URLconf (rencai/urls.py), before /api/.
# GET /api/cards/public-key is an ordinary ninja operation.

_token_users: dict[str, tuple[float, object]] = {}
_token_stamp = [0]  # the revocation stamp the cache was filled under
TOKEN_CACHE_SECONDS = 30.0


def user_for_token(key: str):
    """The active user an API token belongs to, remembered for 30 s in this process.

    Scanners send the same token thousands of times a minute, so the lookup is cached; but a revocation
    (one token, or all of a user's at logout) bumps a mark every server process compares on each request
    (one stat call), and the cache is dropped at once. An expired token or a deactivated account still
    works here for at most TOKEN_CACHE_SECONDS.
    """
    stamp = revocation_stamp()
    if stamp != _token_stamp[0]:
        _token_users.clear()
        _token_stamp[0] = stamp
    key_hash = ApiToken.hash_key(key)
    now = time.monotonic()
    cached = _token_users.get(key_hash)
    if cached is not None and cached[0] > now:
        return cached[1]
    row = ApiToken.usable().filter(key_hash=key_hash).select_related("user").first()
    if row is None:
        _token_users.pop(key_hash, None)
        return None
    if len(_token_users) > 10_000:
        _token_users.clear()
    _token_users[key_hash] = (now + TOKEN_CACHE_SECONDS, row.user)
    return row.user


def _json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _unauthorized() -> JsonResponse:
    return _json({"detail": "Unauthorized"}, status=401)


MAX_BODY_BYTES = 8192  # a card's QR token is well under 1 KB


def _too_large() -> tuple[int, dict]:
    error = DomainError(
        ErrorCode.REQUEST_TOO_LARGE,
        f"请求过大：核验请求最多{MAX_BODY_BYTES}字节",
        f"The request is too large: a verification request is at most {MAX_BODY_BYTES} bytes",
    )
    return 413, error.as_dict()


def declared_length(environ) -> int:
    """CONTENT_LENGTH as a number; one that is not a number counts as too large (it is not read)."""
    declared = environ.get("CONTENT_LENGTH") or "0"
    return int(declared) if declared.isdigit() else MAX_BODY_BYTES + 1


def _verify_body(user, body: bytes | None) -> tuple[int, dict]:
    """The verification answer for a JSON body {"token": "…"}: (HTTP status, JSON payload).

    `body` None, or longer than MAX_BODY_BYTES, is a request too large to read: 413.
    """
    if body is None or len(body) > MAX_BODY_BYTES:
        return _too_large()
    try:
        token = json.loads(body or b"{}").get("token")
    except (ValueError, AttributeError):
        token = None
    try:
        if not isinstance(token, str):
            raise ValidationFailed([problem("token", "缺少二维码内容", "token is required")])
        result = verify_card(provider=user, token=token, channel="online")
    except DomainError as error:
        return error.status, error.as_dict()
    return 200, result.as_dict()


@csrf_exempt  # bearer-token callers need no CSRF token; session callers are checked below
def verify_view(request):
    """POST {"token": "…"} → {result, card_number, tier, valid_until, holder, message_zh, message_en}."""
    if request.method != "POST":
        return _json({"detail": "Method not allowed"}, status=405)
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer ":
        user = user_for_token(header[7:].strip())
        if user is None:
            return _unauthorized()
    else:
        user = request.user
        if not user.is_authenticated:
            return _unauthorized()
        refused = check_csrf(request)
        if refused is not None:
            return refused
    if declared_length(request.META) > MAX_BODY_BYTES:
        status, payload = _too_large()  # refused before Django reads the body
    else:
        status, payload = _verify_body(user, request.body)
    return _json(payload, status=status)


HTTP_STATUS = {200: "200 OK", 400: "400 Bad Request", 401: "401 Unauthorized", 403: "403 Forbidden"}
HTTP_STATUS |= {404: "404 Not Found", 409: "409 Conflict", 422: "422 Unprocessable Entity"}
HTTP_STATUS |= {413: "413 Content Too Large", 503: "503 Service Unavailable"}


def verify_bearer_request(key: str, body: bytes | None) -> tuple[str, list[tuple[str, str]], bytes]:
    """The WSGI fast path's answer (see rencai.wsgi): (status line, headers, JSON bytes), same contract as
    verify_view.

    `body` is None when the request declared more than MAX_BODY_BYTES (left unread): 413.

    It runs outside Django's request cycle, so it does what that cycle would: at its start and end a
    connection past its age or broken is closed (a pooled one goes back to the pool), and a database error
    answers 503 with Retry-After rather than a stack trace, closing the connection so that the next request
    opens a fresh one. A check made on a connection kept from an earlier request is tried once more on a
    fresh one when it fails: the server may have dropped the idle connection meanwhile (a restart,
    pg_terminate_backend), and a check changes nothing that a second try could duplicate.
    """
    _request_boundary()
    kept = connection.connection is not None  # a connection from an earlier request, maybe dropped since
    try:
        try:
            status, payload = _verify_bearer(key, body)
        except DATABASE_ERRORS:
            if not kept:
                raise
            _close_connection()
            status, payload = _verify_bearer(key, body)  # once more, on a fresh connection
    except DATABASE_ERRORS:
        logger.exception("card verification: database error")
        _close_connection()
        status, payload = 503, database_unavailable().as_dict()
    finally:
        _request_boundary()
    data = json.dumps(payload, ensure_ascii=False, cls=DjangoJSONEncoder).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *SECURITY_HEADERS]
    if status == 503:
        headers.append(("Retry-After", str(RETRY_AFTER_SECONDS)))
    return HTTP_STATUS.get(status, f"{status} Error"), headers, data


def _verify_bearer(key: str, body: bytes | None) -> tuple[int, dict]:
    user = user_for_token(key)
    if user is None:
        return 401, {"detail": "Unauthorized"}
    return _verify_body(user, body)


# Django's errors, and psycopg's from the raw cursor of the card-status query (see _card_status)
DATABASE_ERRORS: tuple[type[Exception], ...] = (DatabaseError,) + ((psycopg.Error,) if psycopg else ())


def _close_connection() -> None:
    if not connection.in_atomic_block:  # tests run inside a transaction; production never does here
        connection.close()


def _request_boundary() -> None:
    """What Django's request_started / request_finished signals do for the default connection."""
    if not connection.in_atomic_block:  # tests run inside a transaction: leave their connection alone
        connection.close_if_unusable_or_obsolete()


router = Router(tags=["cards"])


@router.get("/cards/public-key", auth=None, summary="金卡验签公钥 / Card-signing public key")
def public_key(request):
    """The Ed25519 public key, for providers who verify card codes offline."""
    return {
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(public_key_bytes()).decode(),
        "pem": public_key_pem(),
    }
