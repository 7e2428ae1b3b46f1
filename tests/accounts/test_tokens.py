"""API tokens expire, are listed and revoked by their owner, and can all be revoked at logout."""

import datetime as dt

import pytest
from django.utils import timezone

from rencai.accounts import tokens
from rencai.accounts.models import ApiToken
from rencai.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _get(client, key: str):
    return client.get("/api/policies/", HTTP_AUTHORIZATION=f"Bearer {key}")


def test_a_token_works_until_it_expires(client, world):
    token, key = ApiToken.issue(world.users["city_org_dept"])
    assert token.expires_at - timezone.now() > dt.timedelta(days=89)
    assert _get(client, key).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _get(client, key).status_code == 401


def test_the_owner_lists_and_revokes_a_token_and_it_stops_at_once(client, world):
    user = world.users["city_org_dept"]
    token, key = ApiToken.issue(user, name="脚本")
    client.force_login(user)
    page = client.get("/accounts/token/")
    html = page.content.decode()
    assert f'data-token-row="{token.pk}"' in html and token.prefix in html and "有效" in html
    assert key not in html and page["Cache-Control"] == "no-store"

    response = client.post(f"/accounts/token/{token.pk}/revoke/")

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked and token.revoked_at is not None
    client.logout()
    assert _get(client, key).status_code == 401
    entry = AuditEntry.objects.get(action="accounts.token.revoke")
    assert entry.detail["before"]["revoked"] is False and entry.detail["after"]["revoked"] is True
    assert "key_hash" not in entry.detail["after"]


def test_nobody_revokes_another_users_token(client, world):
    token, key = ApiToken.issue(world.users["city_org_dept"])
    client.force_login(world.users["county_org_dept"])
    assert client.post(f"/accounts/token/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert not token.revoked
    client.logout()
    assert _get(client, key).status_code == 200


def test_logout_revokes_every_token_only_when_asked(client, world, django_capture_on_commit_callbacks):
    user = world.users["city_org_dept"]
    kept, kept_key = ApiToken.issue(user)
    client.force_login(user)
    client.post("/accounts/logout/")
    assert _get(client, kept_key).status_code == 200

    _second, second_key = ApiToken.issue(user)
    client.force_login(user)
    stamp = tokens.revocation_stamp()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/logout/", {"revoke_tokens": "1"})

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _get(client, kept_key).status_code == 401 and _get(client, second_key).status_code == 401
    assert not client.get("/accounts/token/").wsgi_request.user.is_authenticated
    assert tokens.revocation_stamp() != stamp  # the card-check path sees the revocation at once
    assert AuditEntry.objects.get(action="accounts.token.revoke_all").detail["tokens"] == sorted(
        [kept.pk, _second.pk]
    )
