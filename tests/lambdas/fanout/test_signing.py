"""Standard Webhooks signatures, checked by the independent `standardwebhooks` implementation."""

from __future__ import annotations

import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from lambdas.fanout.signing import make_webhook_id, signature_header, webhook_headers
from lambdas.webhooks_common.signing_secrets import format_secret, generate_secret, parse_secret


def test_headers_verify_with_the_standardwebhooks_library() -> None:
    secret = generate_secret()
    body = b'{"insight_id":"cart_abandoned:1","type":"cart_abandoned"}'
    headers = webhook_headers("msg_abc", int(time.time()), body, [secret])
    assert Webhook(format_secret(secret)).verify(body, headers) == {
        "insight_id": "cart_abandoned:1",
        "type": "cart_abandoned",
    }


def test_a_tampered_body_or_another_secret_fails_verification() -> None:
    secret = generate_secret()
    headers = webhook_headers("msg_abc", int(time.time()), b'{"a":1}', [secret])
    with pytest.raises(WebhookVerificationError):
        Webhook(format_secret(secret)).verify(b'{"a":2}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(format_secret(generate_secret())).verify(b'{"a":1}', headers)


def test_two_keys_give_two_signatures_and_either_secret_verifies() -> None:
    new, old = generate_secret(), generate_secret()
    body = b'{"a":1}'
    headers = webhook_headers("msg_abc", int(time.time()), body, [new, old])
    assert headers["webhook-signature"].count("v1,") == 2
    for secret in (new, old):
        Webhook(format_secret(secret)).verify(body, headers)


def test_the_signature_matches_the_specification_example() -> None:
    # From the Standard Webhooks specification (spec/standard-webhooks.md, "Signature scheme").
    secret = parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    body = b'{"test": 2432232314}'
    assert (
        signature_header("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, [secret])
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_webhook_id_is_stable_per_insight_and_subscription() -> None:
    assert make_webhook_id("i-1", "wh_a") == make_webhook_id("i-1", "wh_a")
    assert (
        len({make_webhook_id("i-1", "wh_a"), make_webhook_id("i-1", "wh_b"), make_webhook_id("i-2", "wh_a")})
        == 3
    )
    assert make_webhook_id("i-1", "wh_a").startswith("msg_")


def test_a_secret_that_is_not_whsec_base64_is_refused() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        parse_secret("sk_live_123")
    with pytest.raises(ValueError, match="base64"):
        parse_secret("whsec_not*base64")
