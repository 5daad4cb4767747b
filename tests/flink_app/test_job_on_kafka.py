"""The job on a real Kafka broker: a recorded log on a raw topic keyed by user_id, read by the Kafka source and
written by the Kafka sink, gives the same insights as the files path over the same log; and the source starts
where `source.kafka.start_position` says (EARLIEST, LATEST, TIMESTAMP, GROUP_OFFSETS).

Every run is bounded (`source.kafka.bounded` = true: it stops at the offsets the topic has when it starts).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from events import format_rfc3339
from tests.flink_app.jobs import ONE_HOUR_ANALYTICS, JobRun, run_kafka_job
from tests.flink_app.kafka_records import (
    Record,
    commit_end_offsets,
    produce_lines,
    read_topic,
    total_end_offset,
)

pytestmark = [pytest.mark.slow, pytest.mark.flink]

RAW_TOPIC = "t-flink-job-raw-events"
INSIGHTS_TOPIC = "t-flink-job-insights"
POSITIONS_TOPIC = "t-flink-job-start-positions"
EXACTLY_ONCE_TOPIC = "t-flink-job-exactly-once-insights"


def kafka_source(broker, topic: str, **options: str) -> dict[str, str]:
    return {
        "type": "kafka",
        "kafka.bootstrap_servers": broker.bootstrap_servers,
        "kafka.topic": topic,
        "kafka.security": "plaintext",
        "kafka.bounded": "true",
        **{f"kafka.{key}": value for key, value in options.items()},
    }


@dataclass
class KafkaRun:
    produced: list[Record]
    insights: list[Record]
    run: JobRun

    def normalized(self) -> list[str]:
        return JobRun(
            lines=[r.value.decode() for r in self.insights], insights=[], late=[], stats=[], seconds=0
        ).normalized()


@pytest.fixture(scope="module")
def kafka_run(
    flink_environment, kafka_broker, connector_jar: Path, simulated_log, tmp_path_factory
) -> KafkaRun:
    """The simulator's hour (duplicates and late deliveries included) through Kafka → job → Kafka."""
    kafka_broker.create_topic(RAW_TOPIC, partitions=3)
    kafka_broker.create_topic(INSIGHTS_TOPIC, partitions=3)
    produced = produce_lines(
        kafka_broker.bootstrap_servers, RAW_TOPIC, simulated_log.events.read_text().splitlines()
    )
    run = run_kafka_job(
        tmp_path_factory.mktemp("run-kafka"),
        source=kafka_source(kafka_broker, RAW_TOPIC, group_id="t-flink-job-equivalence"),
        sink={
            "type": "kafka",
            "kafka.bootstrap_servers": kafka_broker.bootstrap_servers,
            "kafka.topic": INSIGHTS_TOPIC,
            "kafka.security": "plaintext",
        },
        connector_jar=connector_jar,
        analytics=ONE_HOUR_ANALYTICS,
    )
    return KafkaRun(produced, read_topic(kafka_broker.bootstrap_servers, INSIGHTS_TOPIC), run)


def test_the_job_on_kafka_gives_the_same_insights_as_on_files(kafka_run: KafkaRun, job_run) -> None:
    # GIVEN the same log on files and on a 3-partition topic keyed by user_id (users spread over partitions)
    assert len({record.partition for record in kafka_run.produced}) == 3
    # WHEN the job reads each THEN the insights are the same, byte for byte but emitted_at
    assert len(kafka_run.insights) > 1000
    assert kafka_run.normalized() == job_run.normalized()


def test_insight_records_are_keyed_by_user_id(kafka_run: KafkaRun) -> None:
    partitions_of_user: dict[str, set[int]] = defaultdict(set)
    for record in kafka_run.insights:
        insight = json.loads(record.value)
        user_id = insight.get("user_id")
        # THEN the key is the insight's user_id, or there is none (metrics, trends, conversion drops)
        assert record.key == (user_id.encode() if user_id else None), insight["type"]
        if user_id:
            partitions_of_user[user_id].add(record.partition)
    # AND each user's insights are on one partition, in order for the fan-out
    assert partitions_of_user
    assert {user: parts for user, parts in partitions_of_user.items() if len(parts) > 1} == {}
    assert any(record.key is None for record in kafka_run.insights)


def test_nothing_read_from_kafka_was_late_and_duplicates_were_counted(
    kafka_run: KafkaRun, simulated_log
) -> None:
    assert kafka_run.run.late == []
    assert sum(window["duplicates"] for window in kafka_run.run.stats) == simulated_log.truth["duplicates"]


# --- start positions, on a small log in two batches: A, then B (later in event time and in record time) ---


@dataclass
class Batches:
    a: list[Record]
    b: list[Record]


def _small_clean_log(directory: Path) -> list[str]:
    from kappa.simulate import SimulationConfig, simulate, write_ndjson

    path = directory / "events.ndjson"
    with path.open("wb") as stream:
        write_ndjson(simulate(SimulationConfig(seed=7, users=40, duration_seconds=900)).deliveries(), stream)
    unique: dict[str, str] = {}
    for line in path.read_text().splitlines():
        unique.setdefault(json.loads(line)["event_id"], line)
    return sorted(unique.values(), key=lambda line: json.loads(line)["occurred_at"])


def events_read(run: JobRun) -> int:
    """Events the job read: the per-minute metrics count every (unique, on-time) event once."""
    return sum(insight["payload"]["events"] for insight in run.of_type("metrics"))


@pytest.fixture(scope="module")
def batch_a(flink_environment, kafka_broker, tmp_path_factory) -> tuple[list[str], list[Record]]:
    lines = _small_clean_log(tmp_path_factory.mktemp("positions"))
    kafka_broker.create_topic(POSITIONS_TOPIC, partitions=2)
    half = len(lines) // 2
    return lines[half:], produce_lines(kafka_broker.bootstrap_servers, POSITIONS_TOPIC, lines[:half])


@pytest.fixture(scope="module")
def group_first_run(batch_a, kafka_broker, connector_jar: Path, tmp_path_factory) -> JobRun:
    """GROUP_OFFSETS with a group that has committed nothing: reads from the earliest offsets (batch A)."""
    return run_kafka_job(
        tmp_path_factory.mktemp("run-group-1"),
        source=kafka_source(
            kafka_broker, POSITIONS_TOPIC, group_id="t-positions", start_position="GROUP_OFFSETS"
        ),
        connector_jar=connector_jar,
    )


@pytest.fixture(scope="module")
def batches(batch_a, group_first_run, kafka_broker) -> Batches:
    """Batch B produced after the first group run: later CreateTime timestamps than all of A.

    Before B, the group's offsets are committed at A's end by the test: the job commits them on its final
    checkpoint too, but Flink's Kafka source commits asynchronously and only for monitoring (its own
    positions are in the checkpoint), so a bounded run can end before that last commit is sent."""
    rest, a = batch_a
    commit_end_offsets(kafka_broker.bootstrap_servers, "t-positions", POSITIONS_TOPIC)
    time.sleep(0.05)  # so that B's record timestamps (milliseconds) all come after A's
    b = produce_lines(kafka_broker.bootstrap_servers, POSITIONS_TOPIC, rest)
    assert min(r.timestamp_ms for r in b) > max(r.timestamp_ms for r in a)
    return Batches(a=a, b=b)


def run_from(kafka_broker, connector_jar: Path, directory: Path, **options: str) -> JobRun:
    return run_kafka_job(
        directory, source=kafka_source(kafka_broker, POSITIONS_TOPIC, **options), connector_jar=connector_jar
    )


def test_group_offsets_start_at_the_earliest_offset_then_resume_where_the_group_committed(
    batches: Batches, group_first_run: JobRun, kafka_broker, connector_jar: Path, tmp_path: Path
) -> None:
    # GIVEN a first run of a new group, which read batch A
    assert events_read(group_first_run) == len(batches.a)
    # WHEN the same group, with its offsets at A's end, runs again after batch B arrived THEN it reads B only
    second = run_from(
        kafka_broker, connector_jar, tmp_path, group_id="t-positions", start_position="GROUP_OFFSETS"
    )
    assert events_read(second) == len(batches.b)


def test_earliest_reads_everything_whatever_the_group_committed_into_an_exactly_once_sink(
    batches: Batches, kafka_broker, connector_jar: Path, tmp_path: Path
) -> None:
    # GIVEN an exactly-once Kafka sink (transactions committed on checkpoints)
    kafka_broker.create_topic(EXACTLY_ONCE_TOPIC, partitions=2)
    sink = {
        "type": "kafka",
        "kafka.bootstrap_servers": kafka_broker.bootstrap_servers,
        "kafka.topic": EXACTLY_ONCE_TOPIC,
        "kafka.security": "plaintext",
        "kafka.delivery_guarantee": "exactly-once",
    }
    # WHEN the job starts from EARLIEST with the group that has committed everything
    run_kafka_job(
        tmp_path,
        source=kafka_source(kafka_broker, POSITIONS_TOPIC, group_id="t-positions", start_position="EARLIEST"),
        sink=sink,
        connector_jar=connector_jar,
    )
    # THEN it read both batches, and a read_committed reader sees each insight once
    records = read_topic(kafka_broker.bootstrap_servers, EXACTLY_ONCE_TOPIC)
    lines = [record.value.decode() for record in records]
    run = JobRun(lines=lines, insights=[json.loads(line) for line in lines], late=[], stats=[], seconds=0)
    assert events_read(run) == len(batches.a) + len(batches.b)
    ids = [insight["insight_id"] for insight in run.insights]
    assert len(ids) == len(set(ids))
    # AND the records were written in transactions: their commit markers take offsets too
    assert total_end_offset(kafka_broker.bootstrap_servers, EXACTLY_ONCE_TOPIC) > len(records)


def test_timestamp_starts_at_the_first_record_at_or_after_it(
    batches: Batches, kafka_broker, connector_jar: Path, tmp_path: Path
) -> None:
    # GIVEN the CreateTime of B's first record, as RFC 3339 with an offset
    first_b = min(r.timestamp_ms for r in batches.b)
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=first_b)
    start = format_rfc3339(moment).replace("Z", "+00:00")
    # WHEN the job starts there THEN it reads B, not A
    run = run_from(
        kafka_broker,
        connector_jar,
        tmp_path,
        group_id="t-positions-ts",
        start_position="TIMESTAMP",
        start_timestamp=start,
    )
    assert events_read(run) == len(batches.b)


def test_latest_reads_only_what_arrives_after_the_start(
    batches: Batches, kafka_broker, connector_jar: Path, tmp_path: Path
) -> None:
    # A bounded run stops at the offsets the topic had when it started: from LATEST that is nothing
    run = run_from(
        kafka_broker, connector_jar, tmp_path, group_id="t-positions-latest", start_position="LATEST"
    )
    assert run.insights == []
