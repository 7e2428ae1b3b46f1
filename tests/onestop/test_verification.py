"""Card verification: status after signature, the verification log, the HTTP endpoint and who may use it."""

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from rencai.accounts.models import ApiToken
from rencai.core.errors import PermissionDenied
from rencai.onestop.models import CardVerification, GoldCard
from rencai.onestop.tokens import CardClaims, card_token, sign_claims, verify_token
from rencai.onestop.verification import mask_name, verify_card

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def card(world):
    return GoldCard.objects.create(
        card_number="QZ2026000001",
        talent=world.talent_a,  # 江山甲
        region=world.county_a,
        tier="B",
        issued_on=dt.date(2026, 1, 10),
        valid_until=dt.date(2029, 1, 9),
        benefits=["就医绿色通道"],
    )


def revoke(card):
    GoldCard.objects.filter(pk=card.pk).update(
        status="revoked", revoked_at=timezone.now(), revoked_reason="离开衢州"
    )


def bearer(world, role):
    _, key = ApiToken.issue(world.users[role])
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_valid_card_verifies_ok_with_masked_holder(world, card):
    result = verify_card(provider=world.users["provider"], token=card_token(card), today=TODAY)
    assert result.result == "ok" and result.ok
    assert (result.card_number, result.tier, result.valid_until) == ("QZ2026000001", "B", dt.date(2029, 1, 9))
    assert result.holder == "江**"


def test_revoked_card_fails_on_the_next_check(world, card):
    provider = world.users["provider"]
    token = card_token(card)
    assert verify_card(provider=provider, token=token, today=TODAY).result == "ok"
    revoke(card)
    assert verify_card(provider=provider, token=token, today=TODAY).result == "revoked"


def test_expired_card_fails_the_day_after_its_validity(world, card):
    token = card_token(card)
    provider = world.users["provider"]
    assert verify_card(provider=provider, token=token, today=dt.date(2029, 1, 9)).result == "ok"
    assert verify_card(provider=provider, token=token, today=dt.date(2029, 1, 10)).result == "expired"


def test_tampered_token_is_invalid_and_names_no_card(world, card):
    token = card_token(card)
    # a character well inside the signature, changed for sure: the last base64 characters carry padding
    # bits, so overwriting them with fixed letters sometimes rewrites them with the same bytes
    position = len(token) - 10
    swapped = "B" if token[position] == "A" else "A"
    tampered = token[:position] + swapped + token[position + 1 :]
    result = verify_card(provider=world.users["provider"], token=tampered, today=TODAY)
    assert result.result == "invalid" and result.card_number == "" and result.holder == ""


def test_token_signed_with_another_key_is_invalid(world, card):
    claims = CardClaims(card.card_number, card.tier, card.issued_on, card.valid_until)
    forged = sign_claims(claims, Ed25519PrivateKey.generate())
    assert verify_card(provider=world.users["provider"], token=forged, today=TODAY).result == "invalid"


def test_genuine_token_of_a_card_the_platform_does_not_hold_is_unknown(world):
    token = sign_claims(CardClaims("QZ2099999999", "A", dt.date(2026, 1, 1), dt.date(2030, 1, 1)))
    result = verify_card(provider=world.users["provider"], token=token, today=TODAY)
    assert result.result == "unknown" and result.card_number == "QZ2099999999"


def test_every_check_is_logged_with_provider_card_time_and_result(world, card):
    provider = world.users["provider"]
    token = card_token(card)
    before = timezone.now()
    verify_card(provider=provider, token=token, today=TODAY)
    revoke(card)
    verify_card(provider=provider, token=token, today=TODAY)
    verify_card(provider=provider, token="garbage", today=TODAY)
    rows = list(
        CardVerification.objects.order_by("id").values_list(
            "card_id", "card_number", "provider_id", "result", "channel"
        )
    )
    assert rows == [
        (card.pk, "QZ2026000001", provider.pk, "ok", "online"),
        (card.pk, "QZ2026000001", provider.pk, "revoked", "online"),
        (None, "", provider.pk, "invalid", "online"),
    ]
    assert all(v.verified_at >= before for v in CardVerification.objects.all())


def test_offline_check_reported_later_is_logged_as_offline(world, card):
    verify_card(provider=world.users["provider"], token=card_token(card), channel="offline", today=TODAY)
    assert CardVerification.objects.get().channel == "offline"


def test_offline_verification_with_only_the_public_key(client, world, card):
    published = client.get("/api/cards/public-key").json()
    assert published["algorithm"] == "Ed25519"
    claims = verify_token(card_token(card), public_key=published["pem"])
    assert claims.card_number == "QZ2026000001" and not claims.expired(TODAY)
    assert verify_token(card_token(card), public_key=published["public_key"]) == claims


@pytest.mark.parametrize("role", ["talent", "enterprise", "reviewer"])
def test_roles_other_than_providers_and_officers_may_not_verify(world, card, role):
    with pytest.raises(PermissionDenied):
        verify_card(provider=world.users[role], token=card_token(card), today=TODAY)
    assert not CardVerification.objects.exists()


@pytest.mark.parametrize("role", ["provider", "department", "county_org_dept", "city_org_dept"])
def test_providers_and_officers_may_verify(world, card, role):
    assert verify_card(provider=world.users[role], token=card_token(card), today=TODAY).ok


def test_mask_name_keeps_the_surname_only():
    assert [mask_name(n) for n in ("张三", "欧阳娜娜", "李", "")] == ["张*", "欧***", "李*", ""]


# HTTP ---------------------------------------------------------------------------------------------


def test_api_verifies_a_card_for_a_provider_token(client, world, card):
    response = client.post(
        "/api/cards/verify",
        {"token": card_token(card)},
        content_type="application/json",
        **bearer(world, "provider"),
    )
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("result", "card_number", "tier", "valid_until", "holder")} == {
        "result": "ok",
        "card_number": "QZ2026000001",
        "tier": "B",
        "valid_until": "2029-01-09",
        "holder": "江**",
    }
    assert body["message_zh"] == "人才金卡有效"
    log = CardVerification.objects.get()
    assert (log.provider_id, log.card_id, log.result) == (world.users["provider"].pk, card.pk, "ok")


def test_api_reports_a_revoked_card(client, world, card):
    revoke(card)
    response = client.post(
        "/api/cards/verify",
        {"token": card_token(card)},
        content_type="application/json",
        **bearer(world, "provider"),
    )
    assert response.json()["result"] == "revoked"


def test_api_reports_an_invalid_token(client, world, card):
    response = client.post(
        "/api/cards/verify",
        {"token": "not-a-token"},
        content_type="application/json",
        **bearer(world, "provider"),
    )
    assert response.status_code == 200 and response.json()["result"] == "invalid"


def test_api_refuses_a_talent_token_with_a_domain_error(client, world, card):
    response = client.post(
        "/api/cards/verify",
        {"token": card_token(card)},
        content_type="application/json",
        **bearer(world, "talent"),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not CardVerification.objects.exists()


def test_api_refuses_anonymous_and_unknown_tokens(client, card):
    anonymous = client.post("/api/cards/verify", {"token": card_token(card)}, content_type="application/json")
    wrong = client.post(
        "/api/cards/verify",
        {"token": card_token(card)},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer rc_nonsense",
    )
    assert anonymous.status_code == 401 and wrong.status_code == 401


def test_api_accepts_a_signed_in_provider_session(client, world, card):
    client.force_login(world.users["provider"])
    response = client.post("/api/cards/verify", {"token": card_token(card)}, content_type="application/json")
    assert response.status_code == 200 and response.json()["result"] == "ok"


def test_api_refuses_a_body_over_8_kb_as_too_large(client, world, card):
    response = client.post(
        "/api/cards/verify",
        {"token": card_token(card), "padding": "x" * 9000},
        content_type="application/json",
        **bearer(world, "provider"),
    )
    assert response.status_code == 413, response.content
    body = response.json()
    assert body["code"] == "request_too_large"
    assert "请求过大" in body["message_zh"] and "too large" in body["message_en"]
    assert not CardVerification.objects.exists()
