"""The ingestion handler end to end on a real Kafka broker (LOG_BACKEND=kafka, plaintext): what the API answers
when the broker acknowledges, is unreachable, refuses one record, or stops answering in the middle of a batch.

The rule checked everywhere: an event answered `accepted` is on the topic; every other valid event is answered
`failed` (503), none is left out. Tests bound their own duration with pytest-timeout and short delivery budgets
(`PUT_RECORDS_TIME_BUDGET_SECONDS`), never with wall-clock assertions.
"""

from __future__ import annotations

import json
import os
import random
import signal
import string
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import NewTopic

from kappa.local.kafka_broker import KafkaBroker
from kappa.local.ports import free_port
from lambdas.ingest import handler, kafka_log
from tests.lambdas.ingest.conftest import FakeLambdaContext
from tests.lambdas.ingest.kafka_topic_reader import read_topic

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

SHORT_BUDGET_S = "2"
"""The delivery budget of the fault tests: the producer gives up on a record after 2 s (message.timeout.ms)."""


def call(request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = handler.handler(request, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"])


def statuses(body: dict[str, Any]) -> list[str]:
    return [result["status"] for result in body["results"]]


def event_ids_with(body: dict[str, Any], status: str) -> set[str]:
    return {r["event_id"] for r in body["results"] if r["status"] == status}


def stored_event_ids(bootstrap_servers: str, topic: str) -> set[str]:
    return {record.event["event_id"] for record in read_topic(bootstrap_servers, topic)}


def new_topic(broker: KafkaBroker, *, partitions: int = 3, config: dict[str, str] | None = None) -> str:
    name = f"t-ingest-{uuid.uuid4().hex[:8]}"
    if config:
        broker.admin().create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1, config=config)]
        )[name].result(timeout=30)
    broker.create_topic(name, partitions=partitions)  # waits for the leaders (and accepts the existing topic)
    return name


@pytest.fixture
def kafka_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Point the handler at a Kafka topic the way the MSK stack does (environment), with a fresh producer."""

    def configure(bootstrap_servers: str, topic: str, *, budget_s: str = "8") -> None:
        monkeypatch.setenv("LOG_BACKEND", "kafka")
        monkeypatch.setenv("KAFKA_SECURITY", "plaintext")
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", bootstrap_servers)
        monkeypatch.setenv("RAW_TOPIC", topic)
        monkeypatch.setenv("PUT_RECORDS_TIME_BUDGET_SECONDS", budget_s)
        handler.ingest_service.cache_clear()

    yield configure
    handler.ingest_service.cache_clear()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    """A broker of this test alone, for tests that freeze or stop it."""
    with KafkaBroker.start(tmp_path / "broker") as broker:
        yield broker


def incompressible_properties(size: int, seed: int = 7) -> dict[str, str]:
    """Event `properties` of about `size` random characters (lz4 cannot shrink them below the topic's limit)."""
    draw = random.Random(seed)
    alphabet = string.ascii_letters + string.digits
    return {f"blob_{n}": "".join(draw.choices(alphabet, k=1000)) for n in range(size // 1000)}


def test_a_batch_is_acknowledged_and_lands_keyed_by_user_in_order_per_user(
    kafka_broker: KafkaBroker, kafka_backend, make_event, api_request
) -> None:
    # GIVEN the handler on a 3-partition topic and a batch interleaving three users
    topic = new_topic(kafka_broker)
    kafka_backend(kafka_broker.bootstrap_servers, topic)
    events = [make_event(user_id=f"user-{n % 3}", session_id=f"s-{n % 3}") for n in range(30)]
    # WHEN it is posted
    status, body = call(api_request({"events": events}))
    # THEN every event is accepted
    assert status == 202
    assert body["accepted"] == 30
    assert set(statuses(body)) == {"accepted"}
    # AND the topic holds each event once, keyed by its user, each user on one partition in request order
    records = read_topic(kafka_broker.bootstrap_servers, topic)
    assert sorted(r.event["event_id"] for r in records) == sorted(e["event_id"] for e in events)
    assert all(r.key == r.event["user_id"] for r in records)
    for user in ("user-0", "user-1", "user-2"):
        own = [r for r in records if r.key == user]
        assert len({r.partition for r in own}) == 1
        assert [r.event["event_id"] for r in own] == [e["event_id"] for e in events if e["user_id"] == user]
    assert all(r.event["_meta"]["producer"] for r in records)


def test_an_unreachable_broker_is_a_503_reporting_every_valid_event(
    kafka_backend, make_event, api_request
) -> None:
    # GIVEN bootstrap servers where nobody listens, and a 2 s delivery budget
    kafka_backend(f"127.0.0.1:{free_port()}", "t-nowhere", budget_s=SHORT_BUDGET_S)
    events = [make_event() for _ in range(4)] + [{"event_id": "bad-1", "event_type": "nope"}]
    # WHEN a batch is posted
    status, body = call(api_request({"events": events}))
    # THEN the answer is 503: every valid event failed (retry), the invalid one rejected, none accepted
    assert status == 503
    assert statuses(body) == ["failed"] * 4 + ["rejected"]
    assert body["accepted"] == 0
    assert body["results"][0]["error"] == [{"path": "", "message": "log unavailable, retry"}]


def test_a_stopped_broker_is_a_503_and_the_next_request_after_restart_is_accepted(
    tmp_path: Path, kafka_backend, make_event, api_request
) -> None:
    # GIVEN the handler writing to a broker that accepted a first batch
    port = free_port()
    broker = KafkaBroker.start(tmp_path / "broker", port=port)
    try:
        topic = new_topic(broker, partitions=2)
        kafka_backend(broker.bootstrap_servers, topic, budget_s=SHORT_BUDGET_S)
        assert call(api_request({"events": [make_event()]}))[0] == 202
        # WHEN the broker is stopped and a batch is posted to the same (warm) function
        broker.stop()
        status, body = call(api_request({"events": [make_event() for _ in range(3)]}))
        # THEN every event is reported failed
        assert status == 503
        assert statuses(body) == ["failed"] * 3
    finally:
        broker.stop()
    # AND once a broker is back on that address (fresh storage), the warm function's producer recovers
    with KafkaBroker.start(tmp_path / "broker-again", port=port) as again:
        again.create_topic(topic, partitions=2)
        retry = [make_event() for _ in range(2)]
        status, body = call(api_request({"events": retry}))
        assert status == 202, body
        assert stored_event_ids(again.bootstrap_servers, topic) == {e["event_id"] for e in retry}


def test_one_record_too_large_for_the_topic_fails_alone_and_its_batch_mates_are_accepted(
    kafka_broker: KafkaBroker, kafka_backend, make_event, api_request
) -> None:
    # GIVEN a topic that takes record batches of at most 4 KiB (compressed), and a batch where one event of
    # user-1 is ~8 KB of incompressible properties, between small events of the same user and of others
    topic = new_topic(kafka_broker, partitions=2, config={"max.message.bytes": "4096"})
    kafka_backend(kafka_broker.bootstrap_servers, topic)
    events = [make_event(user_id=f"user-{n % 2}") for n in range(6)]
    big = make_event(user_id="user-1", properties=incompressible_properties(8000))
    events.insert(3, big)
    # WHEN it is posted
    status, body = call(api_request({"events": events}))
    # THEN only the large event failed (the broker refuses the whole record batch it sits in; the others are
    # not condemned with it), and it was not retried as if the log were unavailable
    assert status == 503
    assert event_ids_with(body, "failed") == {big["event_id"]}
    assert body["accepted"] == 6
    # AND every accepted event is on the topic, each user's in request order
    records = read_topic(kafka_broker.bootstrap_servers, topic)
    assert {r.event["event_id"] for r in records} == event_ids_with(body, "accepted")
    for user in ("user-0", "user-1"):
        assert [r.event["event_id"] for r in records if r.key == user] == [
            e["event_id"] for e in events if e["user_id"] == user and e is not big
        ]


class FreezingProducer:
    """The real producer, except that after the `after`-th record it waits for that record's acknowledgement
    and then freezes the broker (SIGSTOP): the broker stops answering in the middle of the batch."""

    def __init__(self, producer: Any, broker: KafkaBroker, *, after: int) -> None:
        self._producer = producer
        self._broker = broker
        self._left = after

    def produce(self, *args: Any, **kwargs: Any) -> None:
        self._producer.produce(*args, **kwargs)
        self._left -= 1
        if self._left == 0:
            assert self._producer.flush(30) == 0
            os.killpg(self._broker.process.pid, signal.SIGSTOP)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._producer, name)


def test_a_broker_that_stops_answering_mid_batch_gets_only_acknowledged_events_reported_accepted(
    own_broker: KafkaBroker, kafka_backend, make_event, api_request, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a producer whose broker freezes once the first 3 of 8 events were acknowledged
    topic = new_topic(own_broker, partitions=2)
    real_make_producer = kafka_log.make_producer
    monkeypatch.setattr(
        kafka_log,
        "make_producer",
        lambda *a, **k: FreezingProducer(real_make_producer(*a, **k), own_broker, after=3),
    )
    kafka_backend(own_broker.bootstrap_servers, topic, budget_s=SHORT_BUDGET_S)
    events = [make_event() for _ in range(8)]
    try:
        # WHEN the batch is posted
        status, body = call(api_request({"events": events}))
    finally:
        os.killpg(own_broker.process.pid, signal.SIGCONT)
    # THEN the caller is told: 503, the acknowledged events accepted, the rest failed (resend them). The
    # three acknowledged before the freeze are accepted; how many of the rest the broker had acknowledged
    # before SIGSTOP took hold is the machine's timing (under load a few more can be), so the test holds
    # the guarantee instead: what is answered `accepted` is on the topic, and at least one event failed.
    assert status == 503
    assert statuses(body)[:3] == ["accepted"] * 3
    assert set(statuses(body)) == {"accepted", "failed"}
    assert body["accepted"] == statuses(body).count("accepted")
    # AND nothing answered `accepted` is missing from the topic (failed ones may still arrive: at least once)
    stored = stored_event_ids(own_broker.bootstrap_servers, topic)
    assert event_ids_with(body, "accepted") <= stored
    assert stored <= {e["event_id"] for e in events}


def test_a_delivery_budget_too_short_for_any_acknowledgement_reports_no_event_accepted(
    kafka_broker: KafkaBroker, kafka_backend, make_event, api_request
) -> None:
    # GIVEN a 1 ms delivery budget: records time out in the producer before an acknowledgement can arrive
    topic = new_topic(kafka_broker, partitions=2)
    kafka_backend(kafka_broker.bootstrap_servers, topic, budget_s="0.001")
    events = [make_event() for _ in range(20)]
    # WHEN a batch is posted
    status, body = call(api_request({"events": events}))
    # THEN the caller is told they failed; whatever is answered accepted is on the topic
    assert status == 503
    assert "failed" in statuses(body)
    assert event_ids_with(body, "accepted") <= stored_event_ids(kafka_broker.bootstrap_servers, topic)
