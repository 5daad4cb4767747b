"""The SQS event source mapping stand-in deletes what succeeded and leaves failures on the queue."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from kappa.local.function_host import Invocation
from kappa.local.queue_mapping import QueueMappingSettings, SqsEventSourceMapping, failed_message_ids


@pytest.fixture
def queue():
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="retries", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
        yield sqs, url


def mapping(sqs, url: str, answer) -> SqsEventSourceMapping:
    esm = SqsEventSourceMapping(sqs, url, answer, QueueMappingSettings(wait_seconds=0), region="us-east-1")
    esm._arn = "arn:aws:sqs:us-east-1:123456789012:retries"
    return esm


def bodies(sqs, url: str) -> list[str]:
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages") or []
    return sorted(m["Body"] for m in found)


def test_listed_failures_stay_and_the_rest_is_deleted(queue) -> None:
    sqs, url = queue
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}))
    seen: list[dict[str, Any]] = []

    def answer(event: dict[str, Any]) -> Invocation:
        seen.append(event)
        bad = [r["messageId"] for r in event["Records"] if json.loads(r["body"])["n"] == 1]
        return Invocation(True, result={"batchItemFailures": [{"itemIdentifier": m} for m in bad]})

    esm = mapping(sqs, url, answer)
    assert esm.poll_once() == 3
    record = seen[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":retries")
    assert "ApproximateReceiveCount" in record["attributes"]
    assert bodies(sqs, url) == ['{"n": 1}']
    assert esm.stats.messages_deleted == 2


@pytest.mark.parametrize(
    "outcome",
    [
        Invocation(False, error_type="ValueError", error_message="boom"),
        Invocation(True, result={"batchItemFailures": [{"itemIdentifier": ""}]}),
    ],
)
def test_function_error_or_invalid_response_keeps_the_whole_batch(queue, outcome: Invocation) -> None:
    sqs, url = queue
    for n in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    esm = mapping(sqs, url, lambda event: outcome)
    esm.poll_once()
    assert bodies(sqs, url) == ["0", "1"]
    assert esm.stats.messages_deleted == 0


def test_unknown_message_id_is_an_invalid_response() -> None:
    assert failed_message_ids({"batchItemFailures": [{"itemIdentifier": "x"}]}, [{"MessageId": "y"}]) is None
    assert failed_message_ids(None, [{"MessageId": "y"}]) == set()
