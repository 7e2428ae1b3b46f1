"""Gold-card tokens: signed by the platform, refused if altered or foreign-signed, verifiable offline."""

import base64
import datetime as dt
import json

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rencai.onestop import tokens
from rencai.onestop.tokens import CardClaims, InvalidCardToken, card_token, sign_claims, verify_token

CLAIMS = CardClaims(
    card_number="QZ2026000123", tier="A", issued_on=dt.date(2026, 11, 25), valid_until=dt.date(2029, 11, 24)
)


class Card:  # a stand-in with the fields card_token reads; the real GoldCard is tested in test_verification
    card_number, tier, issued_on, valid_until = (
        "QZ2026000123",
        "A",
        dt.date(2026, 11, 25),
        dt.date(2029, 11, 24),
    )


def test_valid_token_verifies_to_its_claims():
    assert verify_token(card_token(Card())) == CLAIMS


def test_token_is_short_enough_for_a_qr_code_and_carries_no_personal_data():
    token = card_token(Card())
    assert len(token) < 200
    assert segno.make(token, error="m").version <= 10
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert payload == {"n": "QZ2026000123", "t": "A", "i": 20261125, "v": 20291124}


def test_tampered_payload_is_invalid():
    _, signature = card_token(Card()).split(".")
    forged = base64.urlsafe_b64encode(
        json.dumps(
            {"n": "QZ2026000123", "t": "A", "i": 20261125, "v": 20391124}, separators=(",", ":")
        ).encode()
    ).rstrip(b"=")
    with pytest.raises(InvalidCardToken) as raised:
        verify_token(f"{forged.decode()}.{signature}")
    assert raised.value.code == "invalid_card_token" and raised.value.reason == "signature"


def test_flipping_one_signature_character_is_invalid():
    token = card_token(Card())
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    with pytest.raises(InvalidCardToken):
        verify_token(flipped)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "!!!.???", "e30." + "A" * 10, "x" * 600])
def test_malformed_tokens_are_invalid(garbage):
    with pytest.raises(InvalidCardToken):
        verify_token(garbage)


def test_token_signed_with_another_key_is_invalid():
    with pytest.raises(InvalidCardToken):
        verify_token(sign_claims(CLAIMS, Ed25519PrivateKey.generate()))


def test_offline_verification_needs_only_the_public_key_in_any_published_form():
    token = card_token(Card())
    raw = tokens.public_key_bytes()
    for key in (raw, base64.b64encode(raw).decode(), tokens.public_key_pem()):
        assert verify_token(token, public_key=key) == CLAIMS


def test_offline_verification_with_another_platforms_public_key_fails():
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(InvalidCardToken):
        verify_token(card_token(Card()), public_key=other)


def test_claims_know_when_the_card_has_expired():
    assert not CLAIMS.expired(dt.date(2029, 11, 24))
    assert CLAIMS.expired(dt.date(2029, 11, 25))


def test_signing_key_from_the_environment(monkeypatch):
    key = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives import serialization

    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    monkeypatch.setenv("RENCAI_CARD_SIGNING_KEY", base64.b64encode(raw).decode())
    tokens.private_key.cache_clear()
    tokens.platform_public_key.cache_clear()
    try:
        token = card_token(Card())
        assert verify_token(token, public_key=key.public_key()) == CLAIMS
    finally:
        tokens.private_key.cache_clear()
        tokens.platform_public_key.cache_clear()


def test_generated_signing_key_file_is_private(settings):
    tokens.private_key()
    path = settings.VAR_DIR / tokens.KEY_FILE
    assert path.exists() and path.stat().st_mode & 0o077 == 0
