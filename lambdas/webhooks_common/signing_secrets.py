"""Webhook signing secrets: generation, the `whsec_` text form, and KMS encryption at rest.

Secrets are encrypted with a dedicated KMS key and stored in the subscription item; the KMS encryption
context names the subscription, so a ciphertext copied onto another item does not decrypt. Decrypted
secrets are cached per container (a Lambda container lives minutes to hours), so steady-state delivery
makes no KMS call at all. See docs/webhooks.md for why not Secrets Manager.

    >>> format_secret(bytes(32))
    'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
"""Standard Webhooks asks for 24-64 random bytes; 32 matches the HMAC-SHA256 block strength."""


def generate_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def format_secret(raw: bytes) -> str:
    """The form shown to subscribers and accepted by Standard Webhooks libraries: `whsec_<base64>`."""
    return SECRET_PREFIX + base64.b64encode(raw).decode("ascii")


def parse_secret(text: str) -> bytes:
    """The raw key bytes of a `whsec_...` secret; ValueError if it is not one."""
    if not text.startswith(SECRET_PREFIX):
        raise ValueError(f"a signing secret starts with {SECRET_PREFIX!r}")
    try:
        return base64.b64decode(text[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error:
        raise ValueError("a signing secret is base64 after the whsec_ prefix") from None


class SecretCipher:
    """Encrypts and decrypts signing secrets with KMS, bound to their subscription id.

    `kms` is a boto3 KMS client; `key_id` the key (ARN, id or alias) used for encryption (decryption
    reads the key from the ciphertext). Thread-safe; decrypted secrets are cached for `cache_seconds`.
    """

    def __init__(
        self,
        kms: Any,
        key_id: str | None,
        *,
        cache_seconds: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._kms = kms
        self._key_id = key_id
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[tuple[str, bytes], tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def encrypt(self, subscription_id: str, raw_secret: bytes) -> bytes:
        if not self._key_id:
            raise RuntimeError("no KMS key configured for signing secrets (SIGNING_SECRETS_KEY_ID)")
        response = self._kms.encrypt(
            KeyId=self._key_id, Plaintext=raw_secret, EncryptionContext=_context(subscription_id)
        )
        return bytes(response["CiphertextBlob"])

    def decrypt(self, subscription_id: str, ciphertext: bytes) -> bytes:
        cache_key = (subscription_id, hashlib.sha256(ciphertext).digest())
        now = self._clock()
        with self._lock:
            cached = self._cache.get(cache_key)
        if cached is not None and cached[0] > now:
            return cached[1]
        response = self._kms.decrypt(CiphertextBlob=ciphertext, EncryptionContext=_context(subscription_id))
        raw = bytes(response["Plaintext"])
        with self._lock:
            self._cache[cache_key] = (now + self._cache_seconds, raw)
        return raw


def _context(subscription_id: str) -> dict[str, str]:
    return {"purpose": "webhook-signing-secret", "subscription_id": subscription_id}
