"""Signed gold-card tokens (Ed25519): what the card's QR code carries, verifiable online or offline.

A token is `base64url(payload) "." base64url(signature)`, the payload a compact JSON object
`{"n": card number, "t": tier, "i": issued on, "v": valid until}` (dates as YYYYMMDD integers). It holds no
personal data, so a photographed QR code leaks nothing but a card number. About 160 characters: a
version-9 QR code at error-correction level M.

The private key comes from `RENCAI_CARD_SIGNING_KEY` (base64 of the 32 raw bytes) or is generated once into
`var/card_signing.key` (mode 0600, never committed). Providers verify offline with the public key that
`/api/cards/public-key` serves; offline they learn that the card is genuine and unexpired, online they also
learn whether it has been revoked.
"""

import base64
import binascii
import datetime as dt
import functools
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from rencai.core.errors import DomainError, ErrorCode, problem

KEY_FILE = "card_signing.key"
SIGNATURE_BYTES = 64


class InvalidCardToken(DomainError):
    """A token that is malformed or whose signature does not hold: not a card this platform issued."""

    def __init__(self, reason: str = "signature"):
        super().__init__(
            ErrorCode.INVALID_CARD_TOKEN,
            "人才金卡二维码无效（签名校验失败或内容被篡改）",
            "The gold-card code is not valid (bad signature or altered content)",
            details=[problem("token", reason, reason)],
        )
        self.reason = reason


@dataclass(frozen=True)
class CardClaims:
    """What a valid token says about its card."""

    card_number: str
    tier: str
    issued_on: dt.date
    valid_until: dt.date

    def expired(self, on: dt.date) -> bool:
        return on > self.valid_until


# Keys -------------------------------------------------------------------------------------------


def _decode_key_text(text: str) -> bytes:
    text = text.strip()
    raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
    if len(raw) != 32:
        raise ValueError("RENCAI_CARD_SIGNING_KEY must be the base64 of 32 raw bytes")
    return raw


@functools.cache
def private_key() -> Ed25519PrivateKey:
    """The platform's signing key: from the environment, else from var/, generated there on first use."""
    text = os.environ.get("RENCAI_CARD_SIGNING_KEY", "")
    if not text:
        path = settings.VAR_DIR / KEY_FILE
        if not path.exists():
            raw = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
            # Create with 0600 from the start: the key must never be readable by others, even briefly.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(base64.b64encode(raw).decode() + "\n")
        text = path.read_text()
    return Ed25519PrivateKey.from_private_bytes(_decode_key_text(text))


@functools.cache
def platform_public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_key_bytes() -> bytes:
    """The 32 raw bytes of the public key."""
    return platform_public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_pem() -> str:
    return (
        platform_public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def load_public_key(key: "Ed25519PublicKey | bytes | str") -> Ed25519PublicKey:
    """A public key from an object, its 32 raw bytes, their base64, or PEM text (as providers download it)."""
    if isinstance(key, Ed25519PublicKey):
        return key
    if isinstance(key, str):
        key = key.encode() if key.lstrip().startswith("-----BEGIN") else _decode_key_text(key)
    if key.lstrip().startswith(b"-----BEGIN"):
        loaded = serialization.load_pem_public_key(key)
        if not isinstance(loaded, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return loaded
    return Ed25519PublicKey.from_public_bytes(key)


# Tokens -----------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _date_int(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _int_date(value: int) -> dt.date:
    return dt.date(value // 10000, value // 100 % 100, value % 100)


def sign_claims(claims: CardClaims, key: Ed25519PrivateKey | None = None) -> str:
    payload = json.dumps(
        {
            "n": claims.card_number,
            "t": claims.tier,
            "i": _date_int(claims.issued_on),
            "v": _date_int(claims.valid_until),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    signature = (key or private_key()).sign(payload)
    return f"{_b64(payload)}.{_b64(signature)}"


def card_token(card) -> str:
    """The signed token for a gold card (anything with card_number, tier, issued_on, valid_until)."""
    return sign_claims(
        CardClaims(
            card_number=card.card_number,
            tier=card.tier,
            issued_on=card.issued_on,
            valid_until=card.valid_until,
        )
    )


def verify_token(token: str, public_key: "Ed25519PublicKey | bytes | str | None" = None) -> CardClaims:
    """Check a token's signature and read its claims; with only `public_key`, this is offline verification.

    Raises InvalidCardToken for anything malformed, altered or signed by another key. Revocation and expiry
    are not decided here: expiry is in the claims (`CardClaims.expired`), revocation needs the platform.
    """
    key = load_public_key(public_key) if public_key is not None else platform_public_key()
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 512:
        raise InvalidCardToken("format")
    payload_text, signature_text = token.strip().split(".")
    try:
        payload, signature = _unb64(payload_text), _unb64(signature_text)
    except (binascii.Error, ValueError) as error:
        raise InvalidCardToken("encoding") from error
    if len(signature) != SIGNATURE_BYTES:
        raise InvalidCardToken("signature")
    try:
        key.verify(signature, payload)
    except InvalidSignature as error:
        raise InvalidCardToken("signature") from error
    try:
        data = json.loads(payload)
        return CardClaims(
            card_number=str(data["n"]),
            tier=str(data["t"]),
            issued_on=_int_date(int(data["i"])),
            valid_until=_int_date(int(data["v"])),
        )
    except (ValueError, KeyError, TypeError) as error:  # signed by us but unreadable: never expected
        raise InvalidCardToken("payload") from error
