"""Creates the delivery resources (tables, queues, KMS key) in a moto server or moto's in-process mock.

The same names and key schemas as `stacks/delivery_stack.py`, so tests, the benchmark and the local
runtime exercise the real Lambda code against look-alike resources; returns the environment variables
the webhook Lambdas read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambdas.webhooks_common import delivery_log, environment, subscriptions
from stacks.config import ResourceNames


@dataclass(frozen=True)
class WebhookResources:
    subscriptions_table: str
    delivery_log_table: str
    retry_queue_url: str
    dead_letter_queue_url: str
    signing_secrets_key_id: str

    def lambda_environment(self, **extra: str) -> dict[str, str]:
        """The environment variables the fan-out and webhooks API Lambdas expect."""
        return {
            environment.SUBSCRIPTIONS_TABLE: self.subscriptions_table,
            environment.DELIVERY_LOG_TABLE: self.delivery_log_table,
            environment.RETRY_QUEUE_URL: self.retry_queue_url,
            environment.DEAD_LETTER_QUEUE_URL: self.dead_letter_queue_url,
            environment.SIGNING_SECRETS_KEY_ID: self.signing_secrets_key_id,
            **extra,
        }


def create_webhook_resources(*, dynamodb: Any, sqs: Any, kms: Any, names: ResourceNames) -> WebhookResources:
    """Create (or reuse) the tables, the two queues and a signing-secrets key; idempotent for the queues."""
    existing = set(dynamodb.list_tables().get("TableNames", []))
    if names.subscriptions_table not in existing:
        dynamodb.create_table(
            TableName=names.subscriptions_table,
            KeySchema=[{"AttributeName": subscriptions.PARTITION_KEY, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": subscriptions.PARTITION_KEY, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    if names.delivery_log_table not in existing:
        dynamodb.create_table(
            TableName=names.delivery_log_table,
            KeySchema=[
                {"AttributeName": delivery_log.PARTITION_KEY, "KeyType": "HASH"},
                {"AttributeName": delivery_log.SORT_KEY, "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": delivery_log.PARTITION_KEY, "AttributeType": "S"},
                {"AttributeName": delivery_log.SORT_KEY, "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    dead_letter_url = sqs.create_queue(QueueName=names.dead_letter_queue)["QueueUrl"]
    retry_url = sqs.create_queue(QueueName=names.retry_queue)["QueueUrl"]
    key_id = _signing_key(kms, f"alias/{names.prefix}-webhook-signing-secrets")
    return WebhookResources(
        subscriptions_table=names.subscriptions_table,
        delivery_log_table=names.delivery_log_table,
        retry_queue_url=retry_url,
        dead_letter_queue_url=dead_letter_url,
        signing_secrets_key_id=key_id,
    )


def _signing_key(kms: Any, alias: str) -> str:
    for entry in kms.list_aliases().get("Aliases", []):
        if entry.get("AliasName") == alias and entry.get("TargetKeyId"):
            return entry["TargetKeyId"]
    key_id = kms.create_key(Description="webhook signing secrets (local)")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return key_id
