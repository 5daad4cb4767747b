"""The local runtime's AWS resources, created in moto, carry the delivery stack's queue settings and names."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from kappa.local.aws_endpoint import AwsClients, MotoServer
from kappa.local.resources import LocalResources, create_resources
from stacks.config import RETRY_QUEUE_MAX_RECEIVES, load_config

CONFIG = load_config(env_name="dev")


@pytest.fixture(scope="module")
def created() -> Iterator[tuple[AwsClients, LocalResources]]:
    moto = MotoServer().start()
    try:
        aws = AwsClients(moto.endpoint_url)
        yield aws, create_resources(aws, CONFIG)
    finally:
        moto.stop()


def queue_attributes(aws: AwsClients, url: str) -> dict[str, str]:
    return aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def test_the_retry_queue_redrives_to_the_dead_letter_queue_and_outlasts_a_fanout_invocation(
    created: tuple[AwsClients, LocalResources],
) -> None:
    aws, resources = created
    retry = queue_attributes(aws, resources.retry_queue_url)
    dead_letters = queue_attributes(aws, resources.dead_letter_queue_url)
    # the values the delivery stack gives the retry queue, from the same shared settings
    assert json.loads(retry["RedrivePolicy"]) == {
        "deadLetterTargetArn": dead_letters["QueueArn"],
        "maxReceiveCount": RETRY_QUEUE_MAX_RECEIVES,
    }
    assert int(retry["VisibilityTimeout"]) == CONFIG.delivery.retry_queue_visibility_timeout_seconds
    assert int(retry["VisibilityTimeout"]) > CONFIG.delivery.function.timeout_seconds


def test_the_insights_mappings_failed_batches_queue_has_the_stacks_name(
    created: tuple[AwsClients, LocalResources],
) -> None:
    aws, resources = created
    name = CONFIG.names.failed_batches_queue
    assert aws.sqs.get_queue_url(QueueName=name)["QueueUrl"] == resources.failed_batches_queue_url
    assert resources.queue_urls[name] == resources.failed_batches_queue_url
