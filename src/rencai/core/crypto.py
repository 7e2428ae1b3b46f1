"""Encryption of personal data at rest (AES-GCM) and keyed blind indexes (HMAC) for exact lookup."""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = "v1"


@lru_cache(maxsize=4)
def _aead(key_material: str) -> AESGCM:
    return AESGCM(hashlib.sha256(("rencai-field:" + key_material).encode()).digest())


@lru_cache(maxsize=4)
def _index_key(key_material: str) -> bytes:
    return hashlib.sha256(("rencai-index:" + key_material).encode()).digest()


def encrypt(plaintext: str) -> str:
    if plaintext == "":
        return ""
    nonce = os.urandom(12)
    sealed = _aead(settings.RENCAI_FIELD_KEY).encrypt(nonce, plaintext.encode(), VERSION.encode())
    return VERSION + ":" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if token == "":
        return ""
    version, _, body = token.partition(":")
    if version != VERSION:
        raise ValueError(f"unknown ciphertext version {version!r}")
    raw = base64.urlsafe_b64decode(body)
    return _aead(settings.RENCAI_FIELD_KEY).decrypt(raw[:12], raw[12:], VERSION.encode()).decode()


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash of a normalized value: equal inputs match, the value cannot be read back."""
    if value == "":
        return ""
    key = _index_key(settings.RENCAI_INDEX_KEY)
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:40]
