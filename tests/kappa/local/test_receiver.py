"""The demo's receiver accepts only deliveries signed per Standard Webhooks with a registered secret."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from kappa.local.ports import is_listening
from kappa.local.receiver import WebhookReceiver

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OTHER = "whsec_" + base64.b64encode(b"fedcba9876543210fedcba9876543210").decode()


def signed(body: bytes, secret: str, webhook_id: str = "msg_1") -> dict[str, str]:
    moment = datetime.now(tz=UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, moment, body.decode()),
        "content-type": "application/json",
    }


def test_valid_signature_is_accepted_and_duplicates_are_marked() -> None:
    receiver = WebhookReceiver().start()
    receiver.add_secret(SECRET)
    body = json.dumps({"insight_id": "x:1", "type": "metrics"}).encode()
    try:
        first = httpx.post(receiver.url, content=body, headers=signed(body, SECRET))
        again = httpx.post(receiver.url, content=body, headers=signed(body, SECRET))
        forged = httpx.post(receiver.url, content=body, headers=signed(body, OTHER, "msg_2"))
        tampered = httpx.post(receiver.url, content=body + b" ", headers=signed(body, SECRET, "msg_3"))
    finally:
        receiver.stop()
    assert [first.status_code, again.status_code, forged.status_code, tampered.status_code] == [
        204,
        204,
        401,
        401,
    ]
    assert [d.webhook_id for d in receiver.verified()] == ["msg_1"]
    assert receiver.deliveries[1].duplicate
    assert receiver.deliveries[0].insight == {"insight_id": "x:1", "type": "metrics"}
    assert not is_listening(receiver.port)


def test_old_secret_stays_valid_after_a_rotation() -> None:
    receiver = WebhookReceiver()
    receiver.add_secret(SECRET)
    receiver.add_secret(OTHER)
    body = b'{"insight_id": "x:2"}'
    assert receiver.receive(body, signed(body, SECRET)).verified
    assert receiver.receive(body, signed(body, OTHER, "msg_9")).verified
    stale = signed(body, SECRET, "msg_10")
    stale["webhook-timestamp"] = str(int(time.time()) - 3600)
    assert not receiver.receive(body, stale).verified
