"""The MSK event source mapping stand-in: Lambda's `aws:kafka` events, partial failures, retries, commits."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kappa.local.function_host import Invocation
from kappa.local.kafka_broker import KafkaBroker
from kappa.local.kafka_mapping import KafkaEventSourceMapping, failed_offsets, msk_cluster_arn, msk_event
from kappa.local.kafka_records import KafkaRecord
from kappa.local.stream_mapping import StreamMappingSettings
from lambdas.fanout.handler import kafka_record_id
from tests.kappa.local.mapping_doubles import FAST, PoisonedFunction

SAMPLE_EVENT = Path(__file__).resolve().parents[2] / "events" / "fanout_msk_event.json"


def records(count: int, *, partition: int = 0, topic: str = "insights", start: int = 0) -> list[KafkaRecord]:
    return [
        KafkaRecord(
            topic=topic,
            partition=partition,
            offset=start + i,
            key=f"user-{i}".encode(),
            value=json.dumps({"n": f"{partition}:{start + i}"}).encode(),
            timestamp_ms=int(time.time() * 1000),
        )
        for i in range(count)
    ]


class RecordingFunction(PoisonedFunction[str]):
    """A stand-in function that fails (as told) for the records named in `poison` (`"<partition>:<offset>"`)."""

    def numbered_records(self, event: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
        assert event["eventSource"] == "aws:kafka"
        flat = [r for group in event["records"].values() for r in group]
        return [(r, json.loads(base64.b64decode(r["value"]))["n"]) for r in flat]

    def item_identifier(self, record: dict[str, Any]) -> Any:
        return {"partition": f"{record['topic']}-{record['partition']}", "offset": record["offset"]}


def mapping(
    function: RecordingFunction, settings: StreamMappingSettings = FAST
) -> tuple[KafkaEventSourceMapping, list]:
    failures: list[dict[str, Any]] = []
    esm = KafkaEventSourceMapping(
        "127.0.0.1:9",
        "insights",
        function,
        settings,
        group_id="fanout",
        function_name="fanout",
        cluster_arn=msk_cluster_arn("kappa-dev-log"),
        on_failure=failures.append,
    )
    return esm, failures


def test_event_has_the_shape_of_lambdas_msk_event() -> None:
    # GIVEN two records of partition 1 and one of partition 0, one without a key
    keyless = KafkaRecord("insights", 0, 7, None, b'{"n":"0:7"}', 1764072000123, headers=(("h", b"ab"),))
    batch = [*records(2, partition=1, start=15), keyless]
    # WHEN the mapping builds the event
    event = msk_event(batch, arn="arn:aws:kafka:x", bootstrap_servers="127.0.0.1:9092")
    # THEN it has the keys of the sample MSK event, records grouped by topic-partition, base64 key and value
    sample = json.loads(SAMPLE_EVENT.read_text())
    assert set(event) == set(sample)
    assert list(event["records"]) == ["insights-1", "insights-0"]
    first = event["records"]["insights-1"][0]
    assert set(first) == set(sample["records"]["kappa-dev-insights-0"][0])
    assert (first["partition"], first["offset"], first["timestampType"]) == (1, 15, "CREATE_TIME")
    assert base64.b64decode(first["key"]) == b"user-0"
    (without_key,) = event["records"]["insights-0"]
    assert "key" not in without_key
    assert without_key["headers"] == [{"h": [97, 98]}]
    assert without_key["timestamp"] == 1764072000123


def test_fanout_handler_reads_the_records_ids_the_mapping_expects_back() -> None:
    from aws_lambda_powertools.utilities.data_classes.kafka_event import KafkaEvent

    event = msk_event(records(1, partition=3, start=42), arn="arn", bootstrap_servers="b")
    (record,) = list(KafkaEvent(event).records)
    assert kafka_record_id(record) == "insights-3-42"
    assert record.decoded_value == b'{"n": "3:42"}'


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (None, None),
        ({"batchItemFailures": []}, None),
        ({"batchItemFailures": None}, None),
        (
            {"batchItemFailures": [{"itemIdentifier": {"partition": "insights-0", "offset": 3}}]},
            {"insights-0": 3},
        ),
        (
            {
                "batchItemFailures": [
                    {"itemIdentifier": {"partition": "insights-0", "offset": 4}},
                    {"itemIdentifier": {"partition": "insights-0", "offset": "2"}},
                ]
            },
            {"insights-0": 2},
        ),
        ({"batchItemFailures": [{"itemIdentifier": {"partition": "insights-0", "offset": 99}}]}, {}),
        ({"batchItemFailures": [{"itemIdentifier": "insights-0-3"}]}, {}),
        ({"batchItemFailures": "all"}, {}),
    ],
)
def test_partial_batch_responses_are_read_like_lambda(result: Any, expected: Any) -> None:
    assert failed_offsets(result, records(5)) == expected


def test_a_failed_partition_is_retried_from_its_lowest_failed_offset_and_others_are_done() -> None:
    # GIVEN a batch over two partitions where record 0:2 fails once
    function = RecordingFunction("report", {"0:2"})
    esm, failures = mapping(function)
    done: list[list[str]] = []
    batch = records(4, partition=0) + records(2, partition=1)

    def commit(records_done: list[KafkaRecord]) -> None:
        done.append([f"{r.partition}:{r.offset}" for r in records_done])
        if len(done) == 1:
            function.poison.clear()  # the retry succeeds

    # WHEN it is delivered
    assert esm.deliver(batch, commit)
    # THEN partition 1 and the records before 0:2 were done first, then 0:2 and 0:3 were retried
    assert function.batches[1] == ["0:2", "0:3"]
    assert done == [["0:0", "0:1", "1:0", "1:1"], ["0:2", "0:3"]]
    assert failures == []
    assert esm.stats.partial_failures == 1


def test_exhausted_retries_send_a_kafka_batch_pointer_and_move_on() -> None:
    # GIVEN a record that always fails
    function = RecordingFunction("report", {"0:1"})
    esm, failures = mapping(function)
    done: list[list[str]] = []
    # WHEN its batch is delivered
    assert esm.deliver(records(3), lambda rs: done.append([f"{r.partition}:{r.offset}" for r in rs]))
    # THEN after the first try and 2 retries, the rest of the partition is discarded with a pointer to it
    assert len(function.batches) == 3
    assert done == [["0:0"], ["0:1", "0:2"]]
    (failure,) = failures
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    info = failure["KafkaBatchInfo"]
    assert info["batchSize"] == 2
    assert info["recordsInfo"]["insights-0"]["firstRecordOffset"] == "1"
    assert info["recordsInfo"]["insights-0"]["lastRecordOffset"] == "2"
    assert esm.stats.records_discarded == 2


def test_a_function_error_bisects_the_batch() -> None:
    function = RecordingFunction("raise", {"0:3"})
    esm, failures = mapping(
        function, StreamMappingSettings(batch_size=10, max_retry_attempts=0, retry_backoff_seconds=0)
    )
    done: list[str] = []
    assert esm.deliver(records(4), lambda rs: done.extend(f"{r.partition}:{r.offset}" for r in rs))
    assert done == ["0:0", "0:1", "0:2", "0:3"]
    assert len(failures) == 1
    assert failures[0]["KafkaBatchInfo"]["recordsInfo"]["insights-0"]["firstRecordOffset"] == "3"


def produce(broker: KafkaBroker, topic: str, values: list[bytes], partition: int | None = None) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "acks": "all"})
    for value in values:
        if partition is None:
            producer.produce(topic, value=value)
        else:
            producer.produce(topic, value=value, partition=partition)
    assert producer.flush(10) == 0


def wait_until(condition: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.slow
def test_committed_records_are_not_redelivered_and_unfinished_ones_are_after_a_restart(
    kafka_broker: KafkaBroker,
) -> None:
    # GIVEN a topic with two partitions and 6 records
    topic = f"t-esm-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=2)
    produce(kafka_broker, topic, [json.dumps({"n": f"0:{i}"}).encode() for i in range(3)], partition=0)
    produce(kafka_broker, topic, [json.dumps({"n": f"1:{i}"}).encode() for i in range(3)], partition=1)
    seen: list[str] = []

    def function(event: dict[str, Any]) -> Invocation:
        for group in event["records"].values():
            seen.extend(json.loads(base64.b64decode(r["value"]))["n"] for r in group)
        return Invocation(True, result={"batchItemFailures": []})

    # Record timestamps come from librdkafka's clock, which a test's wall-clock shift does not move: no record age.
    settings = replace(FAST, max_record_age_seconds=-1)

    def start(invoke: Any) -> KafkaEventSourceMapping:
        return KafkaEventSourceMapping(
            kafka_broker.bootstrap_servers,
            topic,
            invoke,
            settings,
            group_id=f"{topic}-fanout",
            function_name="fanout",
            cluster_arn="arn",
        ).start()

    # WHEN a mapping delivers them and stops
    esm = start(function)
    assert wait_until(lambda: len(seen) == 6)
    esm.stop()
    # AND more records arrive while a second mapping keeps failing (it never commits them) and stops
    produce(kafka_broker, topic, [json.dumps({"n": "0:3"}).encode()], partition=0)
    refused: list[str] = []

    def failing(event: dict[str, Any]) -> Invocation:
        refused.extend(
            json.loads(base64.b64decode(r["value"]))["n"] for g in event["records"].values() for r in g
        )
        return Invocation(False, error_type="Sandbox.Timedout", error_message="slow")

    slow = KafkaEventSourceMapping(
        kafka_broker.bootstrap_servers,
        topic,
        failing,
        StreamMappingSettings(
            batch_size=10,
            max_batching_window_seconds=0,
            retry_backoff_seconds=5,
            poll_seconds=0.05,
            max_record_age_seconds=-1,
        ),
        group_id=f"{topic}-fanout",
        function_name="fanout",
        cluster_arn="arn",
    ).start()
    assert wait_until(lambda: refused == ["0:3"])
    slow.stop()
    # THEN a third mapping of the same group delivers only the unfinished record
    esm = start(function)
    assert wait_until(lambda: len(seen) == 7)
    time.sleep(1.0)
    esm.stop()
    assert sorted(seen) == ["0:0", "0:1", "0:2", "0:3", "1:0", "1:1", "1:2"]


@pytest.mark.slow
def test_backlog_counts_the_records_the_function_has_not_finished(kafka_broker: KafkaBroker) -> None:
    # GIVEN a topic with 4 records and a mapping whose function is held on its first invocation (one
    # partition: a partition the consumer has not read from yet counts 0 until its first record)
    topic = f"t-esm-backlog-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=1)
    produce(kafka_broker, topic, [json.dumps({"n": f"0:{i}"}).encode() for i in range(4)], partition=0)
    release = threading.Event()
    delivered: list[str] = []

    def function(event: dict[str, Any]) -> Invocation:
        release.wait(60)
        delivered.extend(
            json.loads(base64.b64decode(r["value"]))["n"] for g in event["records"].values() for r in g
        )
        return Invocation(True, result={"batchItemFailures": []})

    esm = KafkaEventSourceMapping(
        kafka_broker.bootstrap_servers,
        topic,
        function,
        replace(FAST, max_record_age_seconds=-1),
        group_id=f"{topic}-fanout",
        function_name="fanout",
        cluster_arn="arn",
    ).start()
    try:
        # WHEN the function has not finished THEN all four records are the mapping's backlog
        assert wait_until(lambda: esm.backlog == 4), esm.backlog
        # WHEN it finishes THEN the backlog is empty and every record was delivered
        release.set()
        assert wait_until(lambda: len(delivered) == 4 and esm.backlog == 0), (delivered, esm.backlog)
        # AND a record produced later shows in the backlog until delivered (nothing holds it now)
        produce(kafka_broker, topic, [json.dumps({"n": "0:4"}).encode()], partition=0)
        assert wait_until(lambda: "0:4" in delivered and esm.backlog == 0)
    finally:
        release.set()
        esm.stop()
