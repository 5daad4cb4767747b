"""`FanoutService` with a fake clock: the full ~3-day Standard Webhooks schedule through SQS delay hops.

moto's SQS honours DelaySeconds against its own clock; the tests point that clock at the fake one, so a
24-hour wait takes a few loop turns instead of a day.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from events import parse_rfc3339
from lambdas.fanout.retry_queue import MAX_SQS_DELAY_SECONDS
from lambdas.fanout.retry_schedule import STANDARD_DELAYS_SECONDS, RetrySchedule
from lambdas.fanout.service import InsightRecord, QueuedRecord
from lambdas.webhooks_common.delivery_log import DeliveryLog
from tests.lambdas.fanout.receivers import Answer, Receiver
from tests.lambdas.fanout.webhook_fixtures import WebhookAws, build_service, sample_insight

Receivers = Callable[[], Receiver]


class FakeClock:
    def __init__(self, start: float = 1_795_608_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingSqs:
    """The moto SQS client, plus a record of every send (to know how long to advance the clock)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.sent: list[dict[str, Any]] = []

    def send_message(self, **request: Any) -> Any:
        self.sent.append(request)
        return self._client.send_message(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """One clock for the service and moto's SQS model, whatever today's date is.

    moto's SQS reads the time in two ways: `unix_time_millis` for delays and visibility, `unix_time` for
    the message retention period (`SentTimestamp` + retention ≤ now drops the message). Both must follow
    the fake clock, or once the real date passes the fixed start plus the retention every queued retry
    counts as expired and is never received.
    """
    fake = FakeClock()
    monkeypatch.setattr("moto.sqs.models.unix_time_millis", lambda: fake() * 1000)
    monkeypatch.setattr("moto.sqs.models.unix_time", fake)
    return fake


def far_deadline() -> float:
    return time.monotonic() + 60


def test_the_standard_schedule_is_followed_through_sqs_hops_to_the_dead_letter_queue(
    webhook_aws: WebhookAws, receiver: Receivers, clock: FakeClock
) -> None:
    # GIVEN an endpoint that always answers 503 and the real schedule (no jitter, to check exact times)
    endpoint = receiver().script(Answer(status=503))
    subscription, _ = webhook_aws.add_subscription(endpoint.url)
    sqs = RecordingSqs(webhook_aws.sqs)
    webhook_aws.sqs = sqs
    service = build_service(webhook_aws, clock=clock, schedule=RetrySchedule(jitter=0))
    # WHEN the insight is delivered, and then the retry queue is consumed as time passes
    service.deliver_insights([InsightRecord("seq-1", _json(sample_insight(1)))], deadline=far_deadline())
    hops = 0
    for _ in range(1000):
        if not sqs.sent or sqs.sent[-1]["QueueUrl"] != webhook_aws.resources.retry_queue_url:
            break
        clock.advance(sqs.sent[-1]["DelaySeconds"])
        messages = sqs.receive_message(
            QueueUrl=webhook_aws.resources.retry_queue_url, MaxNumberOfMessages=10
        )["Messages"]
        assert len(messages) == 1
        sent_before = len(sqs.sent)
        report = service.deliver_retries(
            [QueuedRecord(m["MessageId"], m["Body"]) for m in messages], deadline=far_deadline()
        )
        assert report.failures == {}
        hops += report.tally.retry_hops
        sqs.delete_message(
            QueueUrl=webhook_aws.resources.retry_queue_url, ReceiptHandle=messages[0]["ReceiptHandle"]
        )
        assert len(sqs.sent) == sent_before + 1
    # THEN there were ten attempts, spaced exactly by the schedule (5 s, 5 min, 30 min, ... 24 h)
    attempts, _ = DeliveryLog(webhook_aws.dynamodb, webhook_aws.resources.delivery_log_table).recent_attempts(
        subscription.subscription_id, limit=50
    )
    times = sorted(parse_rfc3339(a["attempted_at"]).timestamp() for a in attempts)
    assert len(endpoint.requests) == 10
    assert [round(b - a) for a, b in itertools.pairwise(times)] == [round(d) for d in STANDARD_DELAYS_SECONDS]
    # AND the long waits were done in SQS hops of at most 15 minutes
    assert all(m["DelaySeconds"] <= MAX_SQS_DELAY_SECONDS for m in sqs.sent if "DelaySeconds" in m)
    assert hops == sum(math.ceil(d / MAX_SQS_DELAY_SECONDS) - 1 for d in STANDARD_DELAYS_SECONDS)
    # AND it ended in the dead-letter queue ~75.6 hours after the first attempt
    dead = webhook_aws.queue_bodies(webhook_aws.resources.dead_letter_queue_url)
    assert len(dead) == 1
    assert dead[0]["attempt"] == 10
    assert (times[-1] - times[0]) / 3600 == pytest.approx(75.585, abs=0.01)


def test_throttling_defers_the_subscribers_other_deliveries_and_honours_retry_after(
    webhook_aws: WebhookAws, receiver: Receivers, clock: FakeClock
) -> None:
    endpoint = receiver().script(Answer(status=429, headers={"retry-after": "600"}))
    webhook_aws.add_subscription(endpoint.url)
    service = build_service(
        webhook_aws, clock=clock, schedule=RetrySchedule(jitter=0), lanes_per_subscriber=1
    )
    records = [InsightRecord(f"seq-{n}", _json(sample_insight(n))) for n in range(5)]
    report = service.deliver_insights(records, deadline=far_deadline())
    # THEN one request was sent; the other four were not, and all five wait at least the Retry-After
    assert len(endpoint.requests) == 1
    assert report.tally.outcomes == {"retry_scheduled": 5}
    assert report.tally.attempts == 1
    clock.advance(MAX_SQS_DELAY_SECONDS)
    queued = webhook_aws.queue_bodies(webhook_aws.resources.retry_queue_url)
    assert len(queued) == 5
    assert all(q["due_at"] >= clock.now - MAX_SQS_DELAY_SECONDS + 600 for q in queued)
    assert sum("not sent" in q["last_error"] for q in queued) == 4


def test_when_the_invocation_runs_out_of_time_deliveries_are_deferred_without_using_an_attempt(
    webhook_aws: WebhookAws, receiver: Receivers, clock: FakeClock
) -> None:
    endpoint = receiver()
    webhook_aws.add_subscription(endpoint.url)
    service = build_service(webhook_aws, clock=clock)
    report = service.deliver_insights(
        [InsightRecord("seq-1", _json(sample_insight(1)))], deadline=time.monotonic() + 1.0
    )
    assert endpoint.requests == []
    assert report.tally.outcomes == {"retry_scheduled": 1}
    clock.advance(10)
    queued = webhook_aws.queue_bodies(webhook_aws.resources.retry_queue_url)
    assert [(q["attempt"], q["last_error"]) for q in queued] == [
        (1, "not sent: the invocation ran out of time")
    ]


def test_a_retry_for_a_deleted_subscription_is_dropped_and_counted(
    webhook_aws: WebhookAws, receiver: Receivers, clock: FakeClock
) -> None:
    endpoint = receiver().script(Answer(status=500))
    subscription, _ = webhook_aws.add_subscription(endpoint.url)
    service = build_service(webhook_aws, clock=clock)
    service.deliver_insights([InsightRecord("seq-1", _json(sample_insight(1)))], deadline=far_deadline())
    webhook_aws.store.delete(subscription.subscription_id)
    messages = webhook_aws.drain(webhook_aws.resources.retry_queue_url)
    report = service.deliver_retries(
        [QueuedRecord(m["MessageId"], m["Body"]) for m in messages], deadline=far_deadline()
    )
    assert report.failures == {}
    assert report.tally.outcomes == {"failed_permanent": 1}
    assert len(endpoint.requests) == 1


def test_an_unreadable_retry_message_is_reported_failed(webhook_aws: WebhookAws, clock: FakeClock) -> None:
    service = build_service(webhook_aws, clock=clock)
    report = service.deliver_retries([QueuedRecord("m-1", '{"version": 99}')], deadline=far_deadline())
    assert "version-1 pending webhook delivery" in report.failures["m-1"]


def _json(value: Any) -> bytes:
    return orjson.dumps(value)
