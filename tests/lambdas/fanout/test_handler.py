"""The fan-out Lambda end to end: Kinesis and SQS events in, real HTTP receivers on 127.0.0.1, moto behind.

Retries use an instant schedule (RETRY_SCHEDULE_SECONDS=0,...) so a delivery can be walked through every
attempt; the standard schedule and its hops are covered in test_service.py with a fake clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.kafka_event import KafkaEventRecord
from standardwebhooks import Webhook

from lambdas.fanout import handler, runtime
from lambdas.fanout.delivery import MAX_RESPONSE_BYTES, WebhookSender
from lambdas.fanout.signing import make_webhook_id
from lambdas.webhooks_common.delivery_log import DeliveryLog
from lambdas.webhooks_common.signing_secrets import format_secret, generate_secret
from tests.lambdas.fanout.receivers import Answer, Receiver
from tests.lambdas.fanout.webhook_fixtures import (
    EVENTS_DIR,
    FakeLambdaContext,
    InsightsSource,
    Subscriber,
    WebhookAws,
    delivery_outcomes,
    kinesis_event,
    metric_values,
    sample_insight,
    sqs_event,
)

Receivers = Callable[[], Receiver]
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def process_retries(aws: WebhookAws, context: FakeLambdaContext, *, max_rounds: int = 30) -> int:
    """Feed the retry queue to the handler until it is empty; returns how many invocations that took."""
    for round_number in range(max_rounds):
        messages = aws.sqs.receive_message(
            QueueUrl=aws.resources.retry_queue_url, MaxNumberOfMessages=10
        ).get("Messages", [])
        if not messages:
            return round_number
        response = handler.handler(sqs_event(messages), context)
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                aws.sqs.delete_message(
                    QueueUrl=aws.resources.retry_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
    raise AssertionError("the retry queue did not drain")


def delivered_ids(aws: WebhookAws, subscription_id: str, webhook_ids: list[str]) -> set[str]:
    states = DeliveryLog(aws.dynamodb, aws.resources.delivery_log_table).states(
        (subscription_id, webhook_id) for webhook_id in webhook_ids
    )
    return {key[1] for key, state in states.items() if state.state == "delivered"}


def test_a_200_receiver_gets_each_insight_once_signed_per_standard_webhooks(
    webhook_aws: WebhookAws,
    fanout_env: dict[str, str],
    receiver: Receivers,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a subscriber for cart_abandoned and one for trending_product
    carts, trends = receiver(), receiver()
    cart_sub, cart_secret = webhook_aws.add_subscription(carts.url, ("cart_abandoned",))
    _, trend_secret = webhook_aws.add_subscription(trends.url, ("trending_product",))
    insights = [sample_insight(1), sample_insight(2), sample_insight(3, "trending_product")]
    # WHEN a batch of three insights arrives
    response = handler.handler(kinesis_event(*insights), lambda_context)
    # THEN every record succeeded and each subscriber got only its types
    assert response == {"batchItemFailures": []}
    assert len(carts.requests) == 2
    assert len(trends.requests) == 1
    # AND the independent standardwebhooks library verifies every delivery and gets the insight back
    received = [Webhook(cart_secret).verify(r.body, r.headers) for r in carts.requests]
    assert sorted(r["insight_id"] for r in received) == sorted(i["insight_id"] for i in insights[:2])
    assert Webhook(trend_secret).verify(trends.requests[0].body, trends.requests[0].headers) == insights[2]
    # AND webhook-id is the deterministic id of (insight, subscription)
    expected_ids = {make_webhook_id(i["insight_id"], cart_sub.subscription_id) for i in insights[:2]}
    assert {r.headers["webhook-id"] for r in carts.requests} == expected_ids
    assert all(r.headers["content-type"] == "application/json" for r in carts.requests)
    # AND the metrics say three deliveries were delivered
    assert delivery_outcomes(capsys.readouterr().out) == {"delivered": 3}


def test_rotated_secret_signs_with_both_secrets_during_the_grace_period(
    webhook_aws: WebhookAws,
    fanout_env: dict[str, str],
    receiver: Receivers,
    lambda_context: FakeLambdaContext,
) -> None:
    # GIVEN a subscription whose previous secret is still in its grace period, and one whose grace ended
    in_grace, ended = receiver(), receiver()
    old_secret = generate_secret()
    _, new_secret = webhook_aws.add_subscription(in_grace.url, previous_secret=old_secret)
    _, newest = webhook_aws.add_subscription(
        ended.url, previous_secret=old_secret, previous_expires_at="2020-01-01T00:00:00.000Z"
    )
    # WHEN an insight is delivered
    handler.handler(kinesis_event(sample_insight(1)), lambda_context)
    # THEN during the grace period two signatures are sent, and each secret verifies on its own
    request = in_grace.requests[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(new_secret).verify(request.body, request.headers)
    Webhook(format_secret(old_secret)).verify(request.body, request.headers)
    # AND after the grace period only the new secret signs
    late = ended.requests[0]
    assert len(late.headers["webhook-signature"].split(" ")) == 1
    Webhook(newest).verify(late.body, late.headers)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(format_secret(old_secret)).verify(late.body, late.headers)


def test_500_then_200_is_retried_from_the_retry_queue_with_the_same_webhook_id(
    webhook_aws: WebhookAws,
    fanout_env: dict[str, str],
    subscriber: Callable[..., Subscriber],
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    flaky, subscription, secret = subscriber(Answer(status=500, body=b"oops"), Answer(status=200))
    # WHEN the first attempt gets a 500
    assert handler.handler(kinesis_event(sample_insight(1)), lambda_context) == {"batchItemFailures": []}
    # THEN a retry is queued, and the retry-queue consumer delivers it
    assert process_retries(webhook_aws, lambda_context) == 1
    assert len(flaky.requests) == 2
    first, second = flaky.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    for request in flaky.requests:
        Webhook(secret).verify(request.body, request.headers)
    assert delivered_ids(webhook_aws, subscription.subscription_id, [first.headers["webhook-id"]])
    assert webhook_aws.queue_bodies(webhook_aws.resources.dead_letter_queue_url) == []
    printed = capsys.readouterr().out
    assert delivery_outcomes(printed) == {"retry_scheduled": 1, "delivered": 1}
    # AND DeliveryAttempts carries each request's attempt number (the monitoring stack graphs avg/max)
    assert metric_values(printed, "DeliveryAttempts") == [1.0, 2.0]
    assert len(metric_values(printed, "DeliveryLatency")) == 2


def test_410_disables_the_subscription_and_dead_letters_its_deliveries(
    webhook_aws: WebhookAws,
    fanout_env: dict[str, str],
    subscriber: Callable[..., Subscriber],
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gone, subscription, _ = subscriber(Answer(status=410))
    # WHEN the endpoint answers 410 Gone
    handler.handler(kinesis_event(sample_insight(1)), lambda_context)
    # THEN the subscription is disabled with the reason, and the delivery is in the dead-letter queue
    stored = webhook_aws.store.get(subscription.subscription_id)
    assert stored is not None
    assert stored.status == "disabled"
    assert "410" in (stored.disabled_reason or "")
    dead = webhook_aws.queue_bodies(webhook_aws.resources.dead_letter_queue_url)
    assert len(dead) == 1
    assert "410" in dead[0]["reason"]
    assert dead[0]["last_status_code"] == 410
    assert delivery_outcomes(capsys.readouterr().out) == {"subscription_disabled": 1}
    # AND later insights are not sent to it
    handler.handler(kinesis_event(sample_insight(2)), lambda_context)
    assert len(gone.requests) == 1


def test_a_redirect_is_a_permanent_failure_and_is_not_followed(
    webhook_aws: WebhookAws,
    fanout_env: dict[str, str],
    receiver: Receivers,
    subscriber: Callable[..., Subscriber],
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = receiver()
    redirecting = subscriber(Answer(status=307, headers={"location": target.url})).endpoint
    handler.handler(kinesis_event(sample_insight(1)), lambda_context)
    assert len(redirecting.requests) == 1
    assert target.requests == []
    dead = webhook_aws.queue_bodies(webhook_aws.resources.dead_letter_queue_url)
    assert len(dead) == 1
    assert "redirect" in dead[0]["reason"]
    assert dead[0]["last_status_code"] == 307
    assert webhook_aws.queue_bodies(webhook_aws.resources.retry_queue_url) == []
    assert delivery_outcomes(capsys.readouterr().out) == {"failed_permanent": 1}


def test_a_huge_response_body_is_capped_and_the_delivery_still_succeeds(
    webhook_aws: WebhookAws,
    fanout_env: dict[str, str],
    subscriber: Callable[..., Subscriber],
    lambda_context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a subscriber answering 200 with an 8 MiB body, and a spy on how much of it the sender read
    chatty, subscription, _ = subscriber(Answer(status=200, body=b"x" * (8 * 1024 * 1024)))
    reads: list[tuple[int, str, bool]] = []
    read_capped = WebhookSender._read_capped

    def spy(sender: WebhookSender, response: Any) -> tuple[int, str, bool]:
        reads.append(read_capped(sender, response))
        return reads[-1]

    monkeypatch.setattr(WebhookSender, "_read_capped", spy)
    # WHEN the insight is delivered
    assert handler.handler(kinesis_event(sample_insight(1)), lambda_context) == {"batchItemFailures": []}
    # THEN the sender stopped reading at the cap (the rest was never downloaded) and the delivery counts
    assert [(read, truncated) for read, _, truncated in reads] == [(MAX_RESPONSE_BYTES, True)]
    webhook_id = chatty.requests[0].headers["webhook-id"]
    assert delivered_ids(webhook_aws, subscription.subscription_id, [webhook_id]) == {webhook_id}


def test_a_hanging_subscriber_times_out_without_delaying_the_others(
    webhook_aws: WebhookAws,
    fanout_env: dict[str, str],
    subscriber: Callable[..., Subscriber],
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a read timeout far above what six loopback deliveries take even on a loaded machine, so that the
    # causality below does not depend on the machine's speed (with the fixtures' 0.5 s, a loaded run once saw the
    # healthy subscriber's sixth request 6 ms after the first hang-up)
    monkeypatch.setenv("READ_TIMEOUT_SECONDS", "3")
    runtime.fanout_service.cache_clear()
    # AND a subscriber that never answers and a healthy one, both for the same six insights
    hanging = subscriber(Answer(hang=True)).endpoint
    healthy = subscriber().endpoint
    # WHEN the batch is delivered
    response = handler.handler(kinesis_event(*(sample_insight(n) for n in range(6))), lambda_context)
    # THEN the healthy subscriber got all six before the hanging one's first timeout fired (the sender hung
    # up on it): delivery went on beside the hanging lanes, not after them. Causality from the receivers' own
    # records, not a wall-clock bound: sequential delivery (hanging first) would put them after a hang-up.
    assert response == {"batchItemFailures": []}
    assert len(healthy.requests) == 6
    assert hanging.hang_ups, "the sender never timed out on the hanging subscriber"
    assert max(r.received_at for r in healthy.requests) < min(hanging.hang_ups)
    # AND the hanging one held at most its four lanes; its other deliveries were not even sent
    assert 1 <= len(hanging.requests) <= 4
    assert len(hanging.hang_ups) == len(hanging.requests)
    # AND all six of its deliveries are queued for retry (none lost)
    queued = webhook_aws.queue_bodies(webhook_aws.resources.retry_queue_url)
    assert len(queued) == 6
    assert {q["attempt"] for q in queued} == {2}
    assert any("timed out" in q["last_error"] for q in queued)
    assert delivery_outcomes(capsys.readouterr().out) == {"delivered": 6, "retry_scheduled": 6}


def test_a_delivery_that_always_fails_walks_every_attempt_to_the_dead_letter_queue(
    webhook_aws: WebhookAws,
    fanout_env: dict[str, str],
    subscriber: Callable[..., Subscriber],
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken, subscription, secret = subscriber(Answer(status=503))
    handler.handler(kinesis_event(sample_insight(1)), lambda_context)
    process_retries(webhook_aws, lambda_context)
    # THEN it was tried exactly ten times (the Standard Webhooks schedule), always with the same webhook-id
    assert len(broken.requests) == 10
    assert len({r.headers["webhook-id"] for r in broken.requests}) == 1
    for request in broken.requests:
        Webhook(secret).verify(request.body, request.headers)
    # AND it ended in the dead-letter queue with the reason, not lost
    dead = webhook_aws.queue_bodies(webhook_aws.resources.dead_letter_queue_url)
    assert len(dead) == 1
    assert dead[0]["reason"].startswith("gave up after 10 attempts")
    assert "503" in dead[0]["reason"]
    assert dead[0]["webhook_id"] == broken.requests[0].headers["webhook-id"]
    # AND the delivery log has one record per attempt
    attempts, _ = DeliveryLog(webhook_aws.dynamodb, webhook_aws.resources.delivery_log_table).recent_attempts(
        subscription.subscription_id, limit=50
    )
    assert sorted(a["attempt"] for a in attempts) == list(range(1, 11))
    assert delivery_outcomes(capsys.readouterr().out) == {"retry_scheduled": 9, "dead_lettered": 1}


@pytest.mark.parametrize(
    "answers",
    [
        [Answer(status=200)],
        [Answer(status=500), Answer(status=502), Answer(status=200)],
        [Answer(status=429, headers={"retry-after": "0"}), Answer(status=204)],
        [Answer(status=408), Answer(status=200)],
        [Answer(status=400)],
        [Answer(status=410)],
        [Answer(status=301, headers={"location": "https://elsewhere.example"})],
        [Answer(status=500)],
        [Answer(hang=True), Answer(status=200)],
    ],
    ids=["200", "500-502-200", "429-204", "408-200", "400", "410", "301", "500-forever", "hang-200"],
)
def test_every_delivery_ends_delivered_or_dead_lettered(
    webhook_aws: WebhookAws,
    fanout_env: dict[str, str],
    subscriber: Callable[..., Subscriber],
    lambda_context: FakeLambdaContext,
    answers: list[Answer],
) -> None:
    _, subscription, _ = subscriber(*answers)
    insights = [sample_insight(n) for n in range(3)]
    handler.handler(kinesis_event(*insights), lambda_context)
    process_retries(webhook_aws, lambda_context)
    webhook_ids = [make_webhook_id(i["insight_id"], subscription.subscription_id) for i in insights]
    delivered = delivered_ids(webhook_aws, subscription.subscription_id, webhook_ids)
    dead = {d["webhook_id"] for d in webhook_aws.queue_bodies(webhook_aws.resources.dead_letter_queue_url)}
    assert delivered | dead == set(webhook_ids)
    assert not delivered & dead


def test_a_failing_record_is_reported_and_the_others_succeed(
    fanout_env: dict[str, str],
    subscriber: Callable[..., Subscriber],
    insights_source: InsightsSource,
    lambda_context: FakeLambdaContext,
) -> None:
    # GIVEN a batch whose second record is not an insight (on MSK: partition 1, offset 100)
    endpoint = subscriber().endpoint
    event = insights_source.event(sample_insight(1), b"{not json", sample_insight(3))
    # WHEN handled
    response = handler.handler(event, lambda_context)
    # THEN only that record is reported, in the identifier shape the source's event source mapping reads
    assert response == {
        "batchItemFailures": [{"itemIdentifier": insights_source.failure_identifier(event, 1)}]
    }
    assert len(endpoint.requests) == 2


def test_a_redelivered_batch_does_not_resend_acknowledged_deliveries(
    webhook_aws: WebhookAws,
    fanout_env: dict[str, str],
    subscriber: Callable[..., Subscriber],
    lambda_context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN one healthy subscriber and one failing one, and a retry queue that cannot be reached
    healthy = subscriber().endpoint
    failing = subscriber(Answer(status=500), Answer(status=200), event_types=("trending_product",)).endpoint
    monkeypatch.setenv("RETRY_QUEUE_URL", webhook_aws.resources.retry_queue_url + "-missing")
    runtime.fanout_service.cache_clear()
    event = kinesis_event(sample_insight(1), sample_insight(2, "trending_product"), sample_insight(3))
    # WHEN the batch is processed: the failing subscriber's retry cannot be queued
    response = handler.handler(event, lambda_context)
    # THEN only that record is reported failed (the event source mapping will deliver it again)
    failed_sequence = event["Records"][1]["kinesis"]["sequenceNumber"]
    assert response == {"batchItemFailures": [{"itemIdentifier": failed_sequence}]}
    assert len(healthy.requests) == 2
    assert len(failing.requests) == 1
    # WHEN the queue is back and Lambda re-delivers from the failed record on (records 2 and 3)
    monkeypatch.setenv("RETRY_QUEUE_URL", webhook_aws.resources.retry_queue_url)
    runtime.fanout_service.cache_clear()
    redelivered = {"Records": event["Records"][1:]}
    assert handler.handler(redelivered, lambda_context) == {"batchItemFailures": []}
    # THEN the healthy subscriber's acknowledged delivery (record 3) is not sent again; the failed one is
    assert len(healthy.requests) == 2
    assert len(failing.requests) == 2
    # AND a full re-delivery of the batch sends nothing at all
    assert handler.handler(event, lambda_context) == {"batchItemFailures": []}
    assert len(healthy.requests) == 2
    assert len(failing.requests) == 2


def test_an_insight_a_new_job_version_puts_on_its_own_stream_after_a_cutover_is_not_delivered_again(
    fanout_env: dict[str, str],
    subscriber: Callable[..., Subscriber],
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN v1 delivered an abandoned cart from its insights stream
    endpoint, subscription, _ = subscriber()
    delivered = sample_insight(1)
    assert handler.handler(kinesis_event(delivered), lambda_context) == {"batchItemFailures": []}
    assert len(endpoint.requests) == 1
    # WHEN, after the cut-over, v2 recomputed it with a longer timeout (same insight id: ids do not depend on
    # the version; new body) and put it on its own stream, next to a cart only v2 saw abandoned
    recomputed = {**delivered, "job_version": "v2", "occurred_at": "2026-11-25T12:15:00.000Z",
                  "emitted_at": "2026-11-26T09:00:00.000Z",
                  "payload": {**delivered["payload"], "abandon_after_minutes": 45}}  # fmt: skip
    only_v2 = {**sample_insight(2), "job_version": "v2"}
    event = kinesis_event(recomputed, only_v2)
    for record in event["Records"]:
        record["eventSourceARN"] = record["eventSourceARN"].replace("-insights", "-insights-v2")
    assert handler.handler(event, lambda_context) == {"batchItemFailures": []}
    # THEN the delivery log skips the recomputed insight (same webhook-id) and only v2's new one is sent
    webhook_ids = [r.headers["webhook-id"] for r in endpoint.requests]
    assert webhook_ids == [
        make_webhook_id(delivered["insight_id"], subscription.subscription_id),
        make_webhook_id(only_v2["insight_id"], subscription.subscription_id),
    ]
    assert json.loads(endpoint.requests[1].body)["job_version"] == "v2"
    assert metric_values(capsys.readouterr().out, "DuplicateDeliveriesSkipped") == [1.0]


def test_a_paused_subscription_receives_nothing_and_its_due_retries_are_dead_lettered(
    webhook_aws: WebhookAws,
    fanout_env: dict[str, str],
    subscriber: Callable[..., Subscriber],
    lambda_context: FakeLambdaContext,
) -> None:
    endpoint, subscription, _ = subscriber(Answer(status=500), Answer(status=200))
    handler.handler(kinesis_event(sample_insight(1)), lambda_context)
    # WHEN the subscription is paused while its retry waits
    current = webhook_aws.store.require(subscription.subscription_id)
    webhook_aws.store.replace(replace(current, status="paused"), expected=current)
    handler.handler(kinesis_event(sample_insight(2)), lambda_context)
    process_retries(webhook_aws, lambda_context)
    # THEN nothing more is sent, and the pending retry is kept in the dead-letter queue for a redrive
    assert len(endpoint.requests) == 1
    dead = webhook_aws.queue_bodies(webhook_aws.resources.dead_letter_queue_url)
    assert [d["reason"] for d in dead] == ["subscription is paused"]


def test_an_event_from_an_unknown_source_is_refused(
    fanout_env: dict[str, str], lambda_context: FakeLambdaContext
) -> None:
    with pytest.raises(ValueError, match="unexpected event source"):
        handler.handler({"Records": [{"eventSource": "aws:dynamodb"}]}, lambda_context)


def test_the_sample_events_are_valid_for_powertools(
    fanout_env: dict[str, str], lambda_context: FakeLambdaContext
) -> None:
    # An empty batch is a no-op, and the JSON samples parse as the shapes the handler reads.
    assert handler.handler({"Records": []}, lambda_context) == {"batchItemFailures": []}
    event: dict[str, Any] = kinesis_event(b"{}")
    assert json.loads(json.dumps(event))["Records"][0]["eventSource"] == "aws:kinesis"


def test_a_batch_from_either_log_is_delivered_signed_once_per_insight(
    fanout_env: dict[str, str],
    subscriber: Callable[..., Subscriber],
    insights_source: InsightsSource,
    lambda_context: FakeLambdaContext,
) -> None:
    # GIVEN a subscriber and three insights (on MSK: on two partitions of the insights topic)
    subscribed = subscriber()
    insights = [sample_insight(n) for n in range(3)]
    # WHEN the fan-out gets the batch
    response = handler.handler(insights_source.event(*insights), lambda_context)
    # THEN every record succeeded and each insight was delivered, signed, once
    assert response == {"batchItemFailures": []}
    received = [Webhook(subscribed.secret).verify(r.body, r.headers) for r in subscribed.endpoint.requests]
    assert sorted(r["insight_id"] for r in received) == sorted(i["insight_id"] for i in insights)


def test_the_msk_sample_event_parses_as_one_record_per_topic_partition(
    fanout_env: dict[str, str], lambda_context: FakeLambdaContext
) -> None:
    event = json.loads((EVENTS_DIR / "fanout_msk_event.json").read_text())
    assert event["eventSource"] == "aws:kafka"
    assert (
        handler.kafka_record_id(KafkaEventRecord(event["records"]["kappa-dev-insights-0"][0]))
        == "kappa-dev-insights-0-15"
    )
    assert handler.handler({"eventSource": "aws:kafka", "records": {}}, lambda_context) == {
        "batchItemFailures": []
    }
