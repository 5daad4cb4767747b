"""Standard Webhooks signing: the stable `webhook-id` and the `v1,<base64 HMAC-SHA256>` signature header.

The signed content is `<webhook-id>.<webhook-timestamp>.<body>`. During a secret rotation's grace period
a message carries one signature per valid secret, space-separated, so receivers verify with either::

    >>> make_webhook_id("cart_abandoned:abc", "wh_1")
    'msg_e4ca1a3a7f83f9e67742daa53900ce4b'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

USER_AGENT = "KappaCommerce-Webhooks/1.0"


def make_webhook_id(insight_id: str, subscription_id: str) -> str:
    """Deterministic per (insight, subscription): the same across retries, re-delivered batches and replays,
    so receivers can deduplicate on it."""
    digest = hashlib.sha256(f"{insight_id}\x1f{subscription_id}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def signature_header(webhook_id: str, timestamp: int, body: bytes, keys: Sequence[bytes]) -> str:
    """`v1,<sig>` for each key (newest first), space-separated."""
    if not keys:
        raise ValueError("a webhook needs at least one signing key")
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")
        for key in keys
    )


def webhook_headers(webhook_id: str, timestamp: int, body: bytes, keys: Sequence[bytes]) -> dict[str, str]:
    """Every header of one delivery attempt."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(webhook_id, timestamp, body, keys),
    }
