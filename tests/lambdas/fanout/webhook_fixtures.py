"""Fixtures shared by the webhook tests (fan-out, management API, redrive): moto resources, receivers, events.

Each test package's conftest imports the fixtures it uses from here.
"""

from __future__ import annotations

import base64
import copy
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import boto3
import orjson
import pytest
from moto import mock_aws

from events import make_insight
from kappa.webhooks.local_resources import WebhookResources, create_webhook_resources
from lambdas.fanout import runtime
from lambdas.fanout.dead_letter import DeadLetterQueue
from lambdas.fanout.delivery import WebhookSender
from lambdas.fanout.matching import SubscriptionDirectory
from lambdas.fanout.retry_queue import RetryQueue
from lambdas.fanout.retry_schedule import RetrySchedule
from lambdas.fanout.service import FanoutService
from lambdas.webhooks_common.delivery_log import DeliveryLog
from lambdas.webhooks_common.signing_secrets import SecretCipher, format_secret, generate_secret
from lambdas.webhooks_common.subscriptions import Subscription, SubscriptionStore, new_subscription_id
from lambdas.webhooks_common.target_policy import TargetPolicy
from stacks.config import ResourceNames
from tests.lambdas.fanout.receivers import Answer, Receiver

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
REGION = "eu-west-1"


@dataclass
class WebhookAws:
    dynamodb: Any
    sqs: Any
    kms: Any
    resources: WebhookResources

    @property
    def store(self) -> SubscriptionStore:
        return SubscriptionStore(self.dynamodb, self.resources.subscriptions_table)

    @property
    def cipher(self) -> SecretCipher:
        return SecretCipher(self.kms, self.resources.signing_secrets_key_id)

    def add_subscription(
        self,
        url: str,
        event_types: tuple[str, ...] = ("cart_abandoned",),
        *,
        status: str = "active",
        previous_secret: bytes | None = None,
        previous_expires_at: str = "2999-01-01T00:00:00.000Z",
    ) -> tuple[Subscription, str]:
        """Store a subscription with a fresh secret; returns it and the `whsec_` text of the secret."""
        subscription_id = new_subscription_id()
        raw = generate_secret()
        subscription = Subscription(
            subscription_id=subscription_id,
            url=url,
            event_types=event_types,
            status=status,  # type: ignore[arg-type]
            created_at="2026-01-01T00:00:00.000Z",
            updated_at="2026-01-01T00:00:00.000Z",
            secret_ciphertext=self.cipher.encrypt(subscription_id, raw),
            previous_secret_ciphertext=self.cipher.encrypt(subscription_id, previous_secret)
            if previous_secret
            else None,
            previous_secret_expires_at=previous_expires_at if previous_secret else None,
        )
        self.store.put_new(subscription)
        return subscription, format_secret(raw)

    def drain(self, queue_url: str, *, max_messages: int = 10) -> list[dict[str, Any]]:
        """Receive (and delete) every visible message of a queue."""
        received: list[dict[str, Any]] = []
        while True:
            response = self.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=max_messages, AttributeNames=["All"]
            )
            messages = response.get("Messages", [])
            if not messages:
                return received
            for message in messages:
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            received.extend(messages)

    def queue_bodies(self, queue_url: str) -> list[dict[str, Any]]:
        return [json.loads(m["Body"]) for m in self.drain(queue_url)]


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "KappaCommerce")


@pytest.fixture
def webhook_aws(aws_credentials: None) -> Iterator[WebhookAws]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        kms = boto3.client("kms", region_name=REGION)
        resources = create_webhook_resources(dynamodb=dynamodb, sqs=sqs, kms=kms, names=ResourceNames("test"))
        yield WebhookAws(dynamodb, sqs, kms, resources)


@pytest.fixture
def receiver() -> Iterator[Callable[[], Receiver]]:
    started: list[Receiver] = []

    def start() -> Receiver:
        started.append(Receiver())
        return started[-1]

    yield start
    for each in started:
        each.stop()


class Subscriber(NamedTuple):
    """A receiver with an active subscription to it: what most delivery tests arrange first."""

    endpoint: Receiver
    subscription: Subscription
    secret: str


@pytest.fixture
def subscriber(webhook_aws: WebhookAws, receiver: Callable[[], Receiver]) -> Callable[..., Subscriber]:
    """Factory: `gone, subscription, secret = subscriber(Answer(status=410))` starts a receiver scripted with
    those answers (200 when none) and subscribes it to `event_types` (cart_abandoned unless told)."""

    def make(*answers: Answer, event_types: tuple[str, ...] = ("cart_abandoned",)) -> Subscriber:
        endpoint = receiver()
        if answers:
            endpoint.script(*answers)
        subscription, secret = webhook_aws.add_subscription(endpoint.url, event_types)
        return Subscriber(endpoint, subscription, secret)

    return make


@dataclass(frozen=True)
class InsightsSource:
    """Where the fan-out's batch comes from (the Kinesis stream or the MSK topic): the event Lambda's event
    source mapping sends, and the `itemIdentifier` it wants back for a failed record."""

    name: str
    event: Callable[..., dict[str, Any]]
    failure_identifier: Callable[[dict[str, Any], int], Any]


def _kinesis_failure(event: dict[str, Any], index: int) -> Any:
    return event["Records"][index]["kinesis"]["sequenceNumber"]


def _msk_failure(event: dict[str, Any], index: int) -> Any:
    """Record `index` of `msk_event` (two partitions): partition index % 2, offset 100 + index // 2."""
    topic = next(iter(event["records"].values()))[0]["topic"]
    return {"partition": f"{topic}-{index % 2}", "offset": 100 + index // 2}


INSIGHTS_SOURCES = {
    "kinesis": InsightsSource("kinesis", lambda *records: kinesis_event(*records), _kinesis_failure),
    "msk": InsightsSource("msk", lambda *records: msk_event(*records), _msk_failure),
}


@pytest.fixture(params=sorted(INSIGHTS_SOURCES))
def insights_source(request: pytest.FixtureRequest) -> InsightsSource:
    """Each test using it runs once per log backend the fan-out reads (Kinesis, MSK)."""
    return INSIGHTS_SOURCES[request.param]


FAST_RETRIES = "0,0,0,0,0,0,0,0,0"


@pytest.fixture
def fanout_env(webhook_aws: WebhookAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Environment of the fan-out Lambda (loopback allowed, short timeouts, instant retries)."""
    settings = webhook_aws.resources.lambda_environment(
        ALLOW_LOOPBACK_TARGETS="true",
        CONNECT_TIMEOUT_SECONDS="1",
        READ_TIMEOUT_SECONDS="0.5",
        RETRY_SCHEDULE_SECONDS=FAST_RETRIES,
        SUBSCRIPTION_CACHE_SECONDS="0",
        MAX_CONCURRENCY="16",
    )
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    runtime.fanout_service.cache_clear()
    yield settings
    if runtime.fanout_service.cache_info().currsize:
        runtime.fanout_service().close()
    runtime.fanout_service.cache_clear()


class FakeLambdaContext:
    function_name = "kappa-test-fanout"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:kappa-test-fanout"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def __init__(self, remaining_ms: int = 60_000) -> None:
        self._remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining_ms


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


def sample_insight(number: int, insight_type: str = "cart_abandoned") -> dict[str, Any]:
    payloads: dict[str, dict[str, Any]] = {
        "cart_abandoned": {
            "items": [{"product_id": f"p-{number}", "quantity": 1, "price": 9.5}],
            "value": 9.5,
            "currency": "EUR",
            "last_cart_change_at": "2026-11-25T11:30:00.000Z",
        },
        "trending_product": {
            "product_id": f"p-{number}",
            "window_start": "2026-11-25T11:00:00.000Z",
            "window_end": "2026-11-25T12:00:00.000Z",
            "score": 3.5,
        },
    }
    needs_user = insight_type == "cart_abandoned"
    return dict(
        make_insight(
            insight_type,  # type: ignore[arg-type]
            key=(f"user-{number}", number),
            occurred_at="2026-11-25T12:00:00.000Z",
            emitted_at="2026-11-25T12:00:01.000Z",
            job_version="v1",
            payload=payloads[insight_type],
            user_id=f"user-{number}" if needs_user else None,
        )
    )


def kinesis_event(*records: dict[str, Any] | bytes) -> dict[str, Any]:
    """A Kinesis event (from tests/events/fanout_kinesis_event.json) with one record per insight/raw bytes."""
    template = json.loads((EVENTS_DIR / "fanout_kinesis_event.json").read_text())["Records"][0]
    event_records = []
    for index, record in enumerate(records):
        data = record if isinstance(record, bytes) else orjson.dumps(record)
        entry = copy.deepcopy(template)
        sequence = f"4959033827149025660855969253836157109592157598913658{index:04d}"
        entry["kinesis"]["sequenceNumber"] = sequence
        entry["kinesis"]["data"] = base64.b64encode(data).decode()
        entry["eventID"] = f"shardId-000000000000:{sequence}"
        event_records.append(entry)
    return {"Records": event_records}


def msk_event(*records: dict[str, Any] | bytes, partitions: int = 2) -> dict[str, Any]:
    """An MSK event (tests/events/fanout_msk_event.json): record n on partition n % partitions, grouped per partition."""
    sample = json.loads((EVENTS_DIR / "fanout_msk_event.json").read_text())
    template = next(iter(sample["records"].values()))[0]
    grouped: dict[str, list[dict[str, Any]]] = {}
    for index, record in enumerate(records):
        data = record if isinstance(record, bytes) else orjson.dumps(record)
        entry = copy.deepcopy(template)
        entry["partition"] = index % partitions
        entry["offset"] = 100 + index // partitions
        entry["value"] = base64.b64encode(data).decode()
        grouped.setdefault(f"{entry['topic']}-{entry['partition']}", []).append(entry)
    return {**{k: v for k, v in sample.items() if k != "records"}, "records": grouped}


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """An SQS event (from tests/events/fanout_sqs_retry_event.json) carrying received SQS messages."""
    template = json.loads((EVENTS_DIR / "fanout_sqs_retry_event.json").read_text())["Records"][0]
    event_records = []
    for message in messages:
        entry = copy.deepcopy(template)
        entry["messageId"] = message["MessageId"]
        entry["receiptHandle"] = message["ReceiptHandle"]
        entry["body"] = message["Body"]
        event_records.append(entry)
    return {"Records": event_records}


def build_service(
    aws: WebhookAws,
    *,
    policy: TargetPolicy | None = None,
    schedule: RetrySchedule | None = None,
    clock: Callable[[], float] | None = None,
    read_timeout: float = 0.5,
    lanes_per_subscriber: int = 4,
) -> FanoutService:
    """A `FanoutService` on the moto resources, for tests that need a fake clock or DNS (no env vars)."""
    clock = clock or time.time
    policy = policy or TargetPolicy(allow_loopback=True)
    return FanoutService(
        directory=SubscriptionDirectory(aws.store, aws.cipher, max_age_seconds=0),
        store=aws.store,
        delivery_log=DeliveryLog(aws.dynamodb, aws.resources.delivery_log_table),
        retry_queue=RetryQueue(aws.sqs, aws.resources.retry_queue_url, clock=clock),
        dead_letters=DeadLetterQueue(aws.sqs, aws.resources.dead_letter_queue_url),
        sender=WebhookSender(policy, connect_timeout=1.0, read_timeout=read_timeout),
        executor=ThreadPoolExecutor(max_workers=16),
        schedule=schedule or RetrySchedule(delays=[0.0] * 9, jitter=0),
        lanes_per_subscriber=lanes_per_subscriber,
        attempt_budget_seconds=1.0 + read_timeout,
        clock=clock,
    )


def emitted_metrics(captured_stdout: str) -> list[dict[str, Any]]:
    """The EMF documents printed by Powertools (one JSON object per line with an `_aws` key)."""
    documents = []
    for line in captured_stdout.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            documents.append(json.loads(line))
    return documents


def delivery_outcomes(captured_stdout: str) -> dict[str, float]:
    """Sum of the `Deliveries` metric per `outcome` dimension value."""
    totals: dict[str, float] = {}
    for document in emitted_metrics(captured_stdout):
        if "Deliveries" in document and "outcome" in document:
            values = document["Deliveries"]
            totals[document["outcome"]] = totals.get(document["outcome"], 0) + sum(
                values if isinstance(values, list) else [values]
            )
    return totals


def metric_values(captured_stdout: str, name: str) -> list[float]:
    """Every value of one metric across the EMF documents printed."""
    values: list[float] = []
    for document in emitted_metrics(captured_stdout):
        if name in document:
            found = document[name]
            values.extend(found if isinstance(found, list) else [found])
    return values
