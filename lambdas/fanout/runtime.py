"""Builds this container's `FanoutService` from environment variables: AWS clients, pool, caches, once.

Everything here lives as long as the Lambda container, which is what makes the HTTP connection pool, the
subscription snapshot and the decrypted-secret cache pay off across invocations.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

from lambdas.fanout.dead_letter import DeadLetterQueue
from lambdas.fanout.delivery import WebhookSender
from lambdas.fanout.matching import SubscriptionDirectory
from lambdas.fanout.retry_queue import RetryQueue
from lambdas.fanout.retry_schedule import RetrySchedule
from lambdas.fanout.service import FanoutService
from lambdas.webhooks_common import environment as env
from lambdas.webhooks_common.delivery_log import DeliveryLog
from lambdas.webhooks_common.signing_secrets import SecretCipher
from lambdas.webhooks_common.subscriptions import SubscriptionStore
from lambdas.webhooks_common.target_policy import TargetPolicy


@functools.cache
def fanout_service() -> FanoutService:
    """The container's service (built on first use; `fanout_service.cache_clear()` in tests)."""
    concurrency = int(env.number(env.MAX_CONCURRENCY, 32))
    aws_config = Config(max_pool_connections=concurrency + 8, retries={"max_attempts": 5, "mode": "standard"})
    dynamodb = boto3.client("dynamodb", config=aws_config)
    sqs = boto3.client("sqs", config=aws_config)
    kms = boto3.client("kms", config=aws_config)
    connect_timeout = env.number(env.CONNECT_TIMEOUT_SECONDS, 5.0)
    read_timeout = env.number(env.READ_TIMEOUT_SECONDS, 15.0)
    store = SubscriptionStore(dynamodb, env.required(env.SUBSCRIPTIONS_TABLE))
    policy = TargetPolicy(allow_loopback=env.flag(env.ALLOW_LOOPBACK_TARGETS))
    return FanoutService(
        directory=SubscriptionDirectory(
            store, SecretCipher(kms, None), max_age_seconds=env.number(env.SUBSCRIPTION_CACHE_SECONDS, 5.0)
        ),
        store=store,
        delivery_log=DeliveryLog(
            dynamodb,
            env.required(env.DELIVERY_LOG_TABLE),
            ttl_days=int(env.number(env.DELIVERY_LOG_TTL_DAYS, 30)),
        ),
        retry_queue=RetryQueue(sqs, env.required(env.RETRY_QUEUE_URL)),
        dead_letters=DeadLetterQueue(sqs, env.required(env.DEAD_LETTER_QUEUE_URL)),
        sender=WebhookSender(
            policy,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_connections=concurrency * 2,
        ),
        executor=ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="delivery"),
        schedule=RetrySchedule.from_text(env.optional(env.RETRY_SCHEDULE_SECONDS)),
        lanes_per_subscriber=int(env.number(env.MAX_CONCURRENCY_PER_SUBSCRIBER, 4)),
        attempt_budget_seconds=connect_timeout + read_timeout,
    )
