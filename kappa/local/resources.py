"""Creates, in the AWS stand-in, the resources the stacks define, under the names `AppConfig.names` gives."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kappa.local.aws_endpoint import AwsClients
from stacks.config import RETRY_QUEUE_MAX_RECEIVES, AppConfig, StreamConfig


@dataclass(frozen=True)
class LocalResources:
    raw_stream: str
    insights_stream: str
    retry_queue_url: str
    dead_letter_queue_url: str
    failed_batches_queue_url: str
    queue_urls: dict[str, str]
    """Queue name → URL."""
    webhook_environment: dict[str, str]
    """What the webhook Lambdas read (table names, queue URLs, key id)."""


def insights_stream_name(config: AppConfig, job_version: str | None = None) -> str:
    """The stream the job version (default: cdk.json's) writes and the fan-out reads."""
    return config.names.insights_stream(job_version or config.processing.job_version)


def create_stream(kinesis: Any, name: str, settings: StreamConfig) -> None:
    if settings.mode == "provisioned":
        kinesis.create_stream(StreamName=name, ShardCount=settings.shard_count)
    else:
        kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})


def create_resources(
    aws: AwsClients, config: AppConfig, *, job_version: str | None = None, streams: bool = True
) -> LocalResources:
    """Streams (raw, and the insights stream of `job_version`, default cdk.json's), then the delivery
    resources (tables, queues, signing key). Without `streams` (the log is Kafka) no stream is created and
    `raw_stream`/`insights_stream` name nothing in moto."""
    from kappa.webhooks.local_resources import create_webhook_resources

    names = config.names
    insights = insights_stream_name(config, job_version)
    if streams:
        create_stream(aws.kinesis, names.raw_stream, config.ingestion.raw_stream)
        create_stream(aws.kinesis, insights, config.processing.insights_stream)
    webhooks = create_webhook_resources(dynamodb=aws.dynamodb, sqs=aws.sqs, kms=aws.kms, names=names)
    dead_letter_arn = aws.sqs.get_queue_attributes(
        QueueUrl=webhooks.dead_letter_queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    # The delivery stack's retry queue settings, which the webhook resources helper leaves out.
    redrive = {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": RETRY_QUEUE_MAX_RECEIVES}
    aws.sqs.set_queue_attributes(
        QueueUrl=webhooks.retry_queue_url,
        Attributes={
            "RedrivePolicy": json.dumps(redrive),
            "VisibilityTimeout": str(config.delivery.retry_queue_visibility_timeout_seconds),
        },
    )
    failed_batches = aws.sqs.create_queue(QueueName=names.failed_batches_queue)["QueueUrl"]
    return LocalResources(
        raw_stream=names.raw_stream,
        insights_stream=insights,
        retry_queue_url=webhooks.retry_queue_url,
        dead_letter_queue_url=webhooks.dead_letter_queue_url,
        failed_batches_queue_url=failed_batches,
        queue_urls={
            names.retry_queue: webhooks.retry_queue_url,
            names.dead_letter_queue: webhooks.dead_letter_queue_url,
            names.failed_batches_queue: failed_batches,
        },
        webhook_environment=webhooks.lambda_environment(),
    )
