"""`kappa webhooks redrive`: dead letters back to the retry queue, then delivered by the fan-out."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import boto3
import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from standardwebhooks import Webhook
from typer.testing import CliRunner

from kappa.cli import app
from kappa.webhooks.redrive import redrive_dead_letters
from lambdas.fanout import handler
from lambdas.fanout.pending import PendingDelivery
from tests.lambdas.fanout.receivers import Answer, Receiver
from tests.lambdas.fanout.test_handler import delivered_ids, process_retries
from tests.lambdas.fanout.webhook_fixtures import (
    FakeLambdaContext,
    WebhookAws,
    kinesis_event,
    sample_insight,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def dead_letter(
    aws: WebhookAws, count: int, *, reason: str = "gave up after 10 attempts; last: HTTP 503"
) -> None:
    for n in range(count):
        pending = PendingDelivery(f"msg_{n}", "wh_" + "1" * 32, sample_insight(n), attempt=10, generation=0)
        aws.sqs.send_message(
            QueueUrl=aws.resources.dead_letter_queue_url,
            MessageBody=pending.dead_lettered(reason=reason, at="2026-11-25T12:00:00.000Z").to_json(),
        )


def queue_depth(aws: WebhookAws, url: str) -> int:
    attributes = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_a_dead_lettered_delivery_is_redriven_and_then_delivered_with_the_same_webhook_id(
    webhook_aws: WebhookAws,
    fanout_env: dict[str, str],
    receiver: Callable[[], Receiver],
    lambda_context: FakeLambdaContext,
) -> None:
    # GIVEN a delivery that exhausted every attempt against a broken endpoint
    endpoint = receiver().script(Answer(status=500))
    subscription, secret = webhook_aws.add_subscription(endpoint.url)
    handler.handler(kinesis_event(sample_insight(1)), lambda_context)
    process_retries(webhook_aws, lambda_context)
    assert len(endpoint.requests) == 10
    assert queue_depth(webhook_aws, webhook_aws.resources.dead_letter_queue_url) == 1
    # WHEN the endpoint is fixed and the dead-letter queue is redriven
    endpoint.script(Answer(status=200))
    report = redrive_dead_letters(
        webhook_aws.sqs,
        dead_letter_url=webhook_aws.resources.dead_letter_queue_url,
        retry_url=webhook_aws.resources.retry_queue_url,
    )
    assert report.moved == 1
    assert dict(report.by_reason) == {"gave up after 10 attempts": 1}
    assert queue_depth(webhook_aws, webhook_aws.resources.dead_letter_queue_url) == 0
    process_retries(webhook_aws, lambda_context)
    # THEN it is delivered, as an 11th request with the same webhook-id and a valid signature
    assert len(endpoint.requests) == 11
    last = endpoint.requests[-1]
    assert last.headers["webhook-id"] == endpoint.requests[0].headers["webhook-id"]
    Webhook(secret).verify(last.body, last.headers)
    assert delivered_ids(webhook_aws, subscription.subscription_id, [last.headers["webhook-id"]])


def test_redriven_messages_restart_at_attempt_one_of_the_next_generation(webhook_aws: WebhookAws) -> None:
    dead_letter(webhook_aws, 3)
    report = redrive_dead_letters(
        webhook_aws.sqs,
        dead_letter_url=webhook_aws.resources.dead_letter_queue_url,
        retry_url=webhook_aws.resources.retry_queue_url,
    )
    assert report.moved == 3
    moved = webhook_aws.queue_bodies(webhook_aws.resources.retry_queue_url)
    assert sorted(m["webhook_id"] for m in moved) == ["msg_0", "msg_1", "msg_2"]
    assert all(m["attempt"] == 1 and m["generation"] == 1 for m in moved)
    assert all("reason" not in m for m in moved)


def test_max_limits_how_many_are_moved(webhook_aws: WebhookAws) -> None:
    dead_letter(webhook_aws, 25)
    report = redrive_dead_letters(
        webhook_aws.sqs,
        dead_letter_url=webhook_aws.resources.dead_letter_queue_url,
        retry_url=webhook_aws.resources.retry_queue_url,
        max_messages=12,
    )
    assert report.moved == 12
    assert queue_depth(webhook_aws, webhook_aws.resources.retry_queue_url) == 12
    assert queue_depth(webhook_aws, webhook_aws.resources.dead_letter_queue_url) == 13


def test_a_dry_run_counts_but_moves_nothing_and_leaves_messages_visible(webhook_aws: WebhookAws) -> None:
    dead_letter(webhook_aws, 4)
    report = redrive_dead_letters(
        webhook_aws.sqs,
        dead_letter_url=webhook_aws.resources.dead_letter_queue_url,
        retry_url=webhook_aws.resources.retry_queue_url,
        dry_run=True,
    )
    assert report.moved == 4
    assert dict(report.by_subscription) == {"wh_" + "1" * 32: 4}
    assert queue_depth(webhook_aws, webhook_aws.resources.retry_queue_url) == 0
    assert queue_depth(webhook_aws, webhook_aws.resources.dead_letter_queue_url) == 4


def test_messages_that_are_not_deliveries_are_kept(webhook_aws: WebhookAws) -> None:
    dead_letter(webhook_aws, 1)
    webhook_aws.sqs.send_message(QueueUrl=webhook_aws.resources.dead_letter_queue_url, MessageBody="not json")
    report = redrive_dead_letters(
        webhook_aws.sqs,
        dead_letter_url=webhook_aws.resources.dead_letter_queue_url,
        retry_url=webhook_aws.resources.retry_queue_url,
    )
    assert (report.moved, report.kept_unreadable) == (1, 1)
    assert [m["Body"] for m in webhook_aws.drain(webhook_aws.resources.dead_letter_queue_url)] == ["not json"]


@pytest.fixture
def moto_server(aws_credentials: None) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_the_cli_redrives_against_a_moto_server_by_environment_queue_names(moto_server: str) -> None:
    # GIVEN the dev environment's queues on a local moto server, with two dead letters
    sqs = boto3.client("sqs", endpoint_url=moto_server, region_name="eu-west-1")
    dead = sqs.create_queue(QueueName="kappa-dev-webhook-dlq")["QueueUrl"]
    retry = sqs.create_queue(QueueName="kappa-dev-webhook-retries")["QueueUrl"]
    for n in range(2):
        pending = PendingDelivery(f"msg_{n}", "wh_" + "2" * 32, sample_insight(n), attempt=3)
        sqs.send_message(
            QueueUrl=dead,
            MessageBody=pending.dead_lettered(
                reason="HTTP 400 from the endpoint (client errors are not retried)", at="x"
            ).to_json(),
        )
    runner = CliRunner()
    base = ["webhooks", "redrive", "--env", "dev", "--endpoint-url", moto_server, "--region", "eu-west-1"]
    # WHEN a dry run, then a real run, are made
    dry = runner.invoke(app, [*base, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would move 2 message(s)" in dry.output
    assert "HTTP 400 from the endpoint" in dry.output
    real = runner.invoke(app, [*base, "--max", "5"])
    # THEN the real run moved both and says where from and to
    assert real.exit_code == 0, real.output
    assert "moved 2 message(s)" in real.output
    assert "kappa-dev-webhook-dlq" in real.output
    bodies = [
        json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=retry, MaxNumberOfMessages=10)["Messages"]
    ]
    assert sorted(b["webhook_id"] for b in bodies) == ["msg_0", "msg_1"]


def test_the_cli_explains_an_unknown_environment(moto_server: str) -> None:
    result = CliRunner().invoke(
        app, ["webhooks", "redrive", "--env", "staging", "--endpoint-url", moto_server]
    )
    assert result.exit_code == 2
    assert "unknown environment 'staging'" in result.output
