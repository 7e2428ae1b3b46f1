"""A database out of reach answers 503 with Retry-After in both languages, never a 500 or a stack trace:
errors raised in a view, connections the server dropped (PostgreSQL), a pool with no connection free."""

import threading
from contextlib import contextmanager

import psycopg
import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError, ProgrammingError, connection
from django.test import Client

from rencai.core import middleware
from tests.concurrency import drop_database_connections, on_postgresql

needs_postgresql = pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL connections and pool")


def fail_with(error: Exception):
    def failing(*args, **kwargs):
        raise error

    return failing


@pytest.mark.django_db
def test_database_error_in_a_page_answers_503_with_retry_after_and_a_page_in_both_languages(
    client, world, monkeypatch
):
    monkeypatch.setattr("rencai.core.views.notifications.inbox_for", fail_with(OperationalError("gone")))
    client.force_login(world.users["county_org_dept"])

    response = client.get("/inbox/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(middleware.RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert "数据库暂时不可用" in page and "briefly unavailable" in page
    assert 'data-error-code="unavailable"' in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [OperationalError("server closed the connection"), psycopg.OperationalError("consuming input failed")],
)
def test_database_error_in_the_api_answers_503_json_with_retry_after(client, world, monkeypatch, error):
    monkeypatch.setattr("rencai.onestop.api.selectors.catalogue_for", fail_with(error))
    client.force_login(world.users["county_org_dept"])

    response = client.get("/api/services/items")

    assert response.status_code == 503
    assert response["Retry-After"] == str(middleware.RETRY_AFTER_SECONDS)
    body = response.json()
    assert body["code"] == "unavailable"
    assert "数据库暂时不可用" in body["message_zh"] and "unavailable" in body["message_en"]


@pytest.mark.django_db
def test_other_database_errors_are_not_mistaken_for_an_unavailable_database(client, world, monkeypatch):
    monkeypatch.setattr("rencai.onestop.api.selectors.catalogue_for", fail_with(ProgrammingError("bug")))
    client.force_login(world.users["county_org_dept"])

    with pytest.raises(ProgrammingError):  # a bug stays a bug: 500, logged with its stack trace
        client.get("/api/services/items")


@pytest.fixture
def browser():
    """A client that gets the answer a browser would: an error's page rather than the exception."""
    return Client(raise_request_exception=False)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/inbox/", "/api/services/items"])
def test_database_error_in_a_middleware_reading_the_session_answers_503(browser, world, monkeypatch, path):
    browser.force_login(world.users["county_org_dept"])
    monkeypatch.setattr(SessionStore, "load", fail_with(OperationalError("terminating connection")))

    response = browser.get(path)

    assert response.status_code == 503
    assert response["Retry-After"] == str(middleware.RETRY_AFTER_SECONDS)
    if path.startswith("/api/"):
        assert response.json()["code"] == "unavailable"
    else:
        assert "数据库暂时不可用" in response.content.decode()


@pytest.mark.django_db
def test_any_other_error_in_a_middleware_is_still_the_500_page(browser, world, monkeypatch):
    browser.force_login(world.users["county_org_dept"])
    monkeypatch.setattr(SessionStore, "load", fail_with(ValueError("a bug")))

    response = browser.get("/inbox/")

    assert response.status_code == 500 and "Retry-After" not in response
    assert "系统暂时出错" in response.content.decode()


@needs_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/registry/talents/", "/api/registry/talents/"])
def test_after_the_database_dropped_every_connection_the_next_request_is_never_a_500(browser, world, path):
    client = browser
    client.force_login(world.users["county_org_dept"])
    assert client.get(path).status_code == 200

    assert drop_database_connections() >= 1

    first = client.get(path)
    assert first.status_code in (200, 503)
    if first.status_code == 503:
        assert first["Retry-After"]
    assert client.get(path).status_code == 200


@contextmanager
def pooled(**options):
    """The default connection through Django's PostgreSQL pool (as `rencai serve` runs it) for a while."""
    params = connection.settings_dict  # the same dict for every thread's connection
    saved = params["CONN_MAX_AGE"], params["OPTIONS"]
    connection.close()
    params["CONN_MAX_AGE"] = 0  # required with a pool
    params["OPTIONS"] = {**saved[1], "pool": {"min_size": 1, **options}}
    try:
        yield
    finally:
        connection.close()
        connection.close_pool()
        params["CONN_MAX_AGE"], params["OPTIONS"] = saved


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_request_that_finds_every_pooled_connection_busy_answers_503(browser, world):
    client = browser
    client.force_login(world.users["county_org_dept"])
    taken, release = threading.Event(), threading.Event()

    def hold_the_only_connection():
        connection.ensure_connection()
        taken.set()
        release.wait(timeout=10)
        connection.close()  # back to the pool

    with pooled(max_size=1, timeout=0.5):
        holder = threading.Thread(target=hold_the_only_connection)
        holder.start()
        try:
            assert taken.wait(timeout=5)
            busy = client.get("/api/services/items")
            page = client.get("/inbox/")
        finally:
            release.set()
            holder.join(timeout=10)
        after = client.get("/api/services/items")

    assert busy.status_code == 503 and busy["Retry-After"] and busy.json()["code"] == "unavailable"
    assert page.status_code == 503 and "请5秒后重试" in page.content.decode()
    assert after.status_code == 200


@pytest.mark.django_db
def test_a_request_declaring_more_than_the_limit_is_refused_before_its_body_is_read(settings, world):
    settings.RENCAI_MAX_REQUEST_BYTES = 1024 * 1024
    client = Client()
    client.force_login(world.users["county_org_dept"])
    body = b"x" * (1024 * 1024 + 1)
    page = client.post("/services/", data=body, content_type="application/octet-stream")
    assert page.status_code == 413
    assert "请求过大：一次提交的内容不能超过 1 MB" in page.content.decode()
    api = client.post("/api/services/applications", data=body, content_type="application/json")
    assert api.status_code == 413 and api.json()["code"] == "request_too_large"
    assert "at most 1 MB" in api.json()["message_en"]
    small = client.post("/api/services/applications", data=b"{}", content_type="application/json")
    assert small.status_code != 413
