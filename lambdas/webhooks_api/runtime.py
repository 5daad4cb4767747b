"""Builds this container's `WebhookRegistry` from environment variables (AWS clients created once)."""

from __future__ import annotations

import functools

import boto3

from lambdas.webhooks_api.registry import WebhookRegistry
from lambdas.webhooks_common import environment as env
from lambdas.webhooks_common.delivery_log import DeliveryLog
from lambdas.webhooks_common.signing_secrets import SecretCipher
from lambdas.webhooks_common.subscriptions import SubscriptionStore
from lambdas.webhooks_common.target_policy import TargetPolicy


@functools.cache
def webhook_registry() -> WebhookRegistry:
    """The container's registry (built on first use; `webhook_registry.cache_clear()` in tests)."""
    dynamodb = boto3.client("dynamodb")
    return WebhookRegistry(
        store=SubscriptionStore(dynamodb, env.required(env.SUBSCRIPTIONS_TABLE)),
        cipher=SecretCipher(boto3.client("kms"), env.required(env.SIGNING_SECRETS_KEY_ID)),
        delivery_log=DeliveryLog(dynamodb, env.required(env.DELIVERY_LOG_TABLE)),
        policy=TargetPolicy(allow_loopback=env.flag(env.ALLOW_LOOPBACK_TARGETS)),
        rotation_grace_hours=int(env.number(env.SECRET_ROTATION_GRACE_HOURS, 24)),
    )


@functools.cache
def admin_key_ids() -> tuple[str, ...]:
    return env.words(env.ADMIN_API_KEY_IDS)
