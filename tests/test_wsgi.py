"""The WSGI entry point's fast path for card verification answers exactly as the Django view does."""

import datetime as dt
import io
import json

import psycopg
import pytest
from django.db import OperationalError
from django.utils import timezone

from rencai.accounts.models import ApiToken
from rencai.onestop import verification
from rencai.onestop.models import CardVerification, GoldCard
from rencai.onestop.tokens import card_token
from rencai.onestop.verification import flush_verification_log
from rencai.wsgi import application
from tests.concurrency import drop_database_connections, on_postgresql

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(world):
    return GoldCard.objects.create(
        card_number="QZ2026000777",
        talent=world.talent_a,
        region=world.county_a,
        tier="B",
        issued_on=dt.date(2026, 1, 10),
        valid_until=timezone.localdate() + dt.timedelta(days=365),
        benefits=["就医绿色通道"],
    )


def call(
    path: str, body: dict | None, authorization: str = "", method: str = "POST", length: str | None = None
) -> tuple[str, dict]:
    status, _headers, data = exchange(path, body, authorization, method, length)
    return status, data


def exchange(
    path: str, body: dict | None, authorization: str = "", method: str = "POST", length: str | None = None
) -> tuple[str, dict, dict]:
    """(status line, response headers, JSON body) of one request through the WSGI application."""
    raw = json.dumps(body or {}).encode()
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(raw),
        "wsgi.errors": io.StringIO(),
        "CONTENT_LENGTH": str(len(raw)) if length is None else length,
        "CONTENT_TYPE": "application/json",
    }
    if authorization:
        environ["HTTP_AUTHORIZATION"] = authorization
    answer = {}

    def start_response(status, headers):
        answer["status"] = status
        answer["headers"] = dict(headers)

    chunks = application(environ, start_response)
    payload = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return answer["status"], answer["headers"], json.loads(payload)


def bearer(user) -> str:
    _, key = ApiToken.issue(user)
    return f"Bearer {key}"


def test_fast_path_verifies_a_valid_card_and_logs_the_check(world, card):
    status, data = call("/api/cards/verify", {"token": card_token(card)}, bearer(world.users["provider"]))
    assert status == "200 OK"
    assert data["result"] == "ok" and data["card_number"] == "QZ2026000777" and data["holder"] == "江**"
    assert data["message_zh"] == "人才金卡有效"
    flush_verification_log()
    log = CardVerification.objects.get(card=card)
    assert (log.provider, log.result) == (world.users["provider"], "ok")


def test_fast_path_reports_a_revoked_card(world, card):
    GoldCard.objects.filter(pk=card.pk).update(status="revoked", revoked_at=timezone.now())
    status, data = call("/api/cards/verify", {"token": card_token(card)}, bearer(world.users["provider"]))
    assert status == "200 OK" and data["result"] == "revoked"


def test_fast_path_refuses_an_unknown_api_token(card):
    status, data = call("/api/cards/verify", {"token": card_token(card)}, "Bearer rc_not-a-real-token")
    assert status == "401 Unauthorized" and data == {"detail": "Unauthorized"}


def test_fast_path_refuses_a_talent_with_a_bilingual_error(world, card):
    status, data = call("/api/cards/verify", {"token": card_token(card)}, bearer(world.users["talent"]))
    assert status == "403 Forbidden"
    assert data["code"] == "permission_denied" and "核验" in data["message_zh"]


def test_fast_path_explains_a_missing_token(world):
    status, data = call("/api/cards/verify", {}, bearer(world.users["provider"]))
    assert status == "422 Unprocessable Entity"
    assert data["details"][0]["field"] == "token"


def test_requests_without_a_bearer_token_go_through_django(card):
    status, data = call("/api/cards/verify", {"token": card_token(card)})
    assert status.startswith("401") and data == {"detail": "Unauthorized"}


def test_fast_path_refuses_a_body_over_8_kb_as_too_large(world, card):
    body = {"token": card_token(card), "padding": "x" * 9000}
    status, data = call("/api/cards/verify", body, bearer(world.users["provider"]))
    assert status == "413 Content Too Large"
    assert data["code"] == "request_too_large"
    assert "请求过大" in data["message_zh"] and "too large" in data["message_en"]
    flush_verification_log()
    assert not CardVerification.objects.exists()


def test_fast_path_refuses_a_content_length_that_is_not_a_number(world, card):
    status, data = call(
        "/api/cards/verify", {"token": card_token(card)}, bearer(world.users["provider"]), length="12x"
    )
    assert status == "413 Content Too Large" and data["code"] == "request_too_large"


@pytest.mark.parametrize(
    "error", [psycopg.OperationalError("consuming input failed"), OperationalError("server closed")]
)
def test_fast_path_answers_503_with_retry_after_when_the_database_fails(world, card, monkeypatch, error):
    authorization = bearer(world.users["provider"])

    def failing(card_number):
        raise error

    monkeypatch.setattr(verification, "_card_status", failing)
    status, headers, data = exchange("/api/cards/verify", {"token": card_token(card)}, authorization)

    assert status == "503 Service Unavailable" and headers["Retry-After"] == "5"
    assert data["code"] == "unavailable"
    assert "后重试" in data["message_zh"] and "retry" in data["message_en"]


@pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL drops the connections")
@pytest.mark.django_db(transaction=True)
def test_fast_path_after_the_database_dropped_every_connection_is_never_a_500(world, card):
    authorization = bearer(world.users["provider"])
    token = card_token(card)
    assert call("/api/cards/verify", {"token": token}, authorization)[0] == "200 OK"

    assert drop_database_connections() >= 1

    status, headers, data = exchange("/api/cards/verify", {"token": token}, authorization)
    assert status in ("200 OK", "503 Service Unavailable")  # the check is retried on a fresh connection
    if status.startswith("503"):
        assert headers["Retry-After"] and data["code"] == "unavailable"
    status, data = call("/api/cards/verify", {"token": token}, authorization)
    assert status == "200 OK" and data["result"] == "ok"


def test_a_revoked_token_stops_working_on_the_fast_path_at_once(
    world, card, django_capture_on_commit_callbacks
):
    """The token cache is dropped when any token is revoked (the revocation mark), not after 30 s."""
    from rencai.accounts import tokens

    provider = world.users["provider"]
    token, key = ApiToken.issue(provider)
    assert (
        call("/api/cards/verify", {"token": card_token(card)}, f"Bearer {key}")[0] == "200 OK"
    )  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        tokens.revoke_token(actor=provider, token_id=token.pk)
    status, _data = call("/api/cards/verify", {"token": card_token(card)}, f"Bearer {key}")
    assert status == "401 Unauthorized"


def test_an_expired_token_is_refused_on_the_fast_path(world, card):
    token, key = ApiToken.issue(world.users["provider"])
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert call("/api/cards/verify", {"token": card_token(card)}, f"Bearer {key}")[0] == "401 Unauthorized"


def test_the_fast_path_sends_the_security_headers(world, card):
    status, headers, _data = exchange(
        "/api/cards/verify", {"token": card_token(card)}, bearer(world.users["provider"])
    )
    assert status == "200 OK"
    assert headers["Cache-Control"] == "no-store, private" and headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=(self)" in headers["Permissions-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
