"""The Firehose stand-in on Kafka archives the raw topic exactly once, across stops and a lost commit."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from kappa.local.kafka_archive import KafkaArchive
from kappa.local.kafka_broker import KafkaBroker
from kappa.local.kafka_records import manual_commit_consumer

pytestmark = pytest.mark.slow


def produce(broker: KafkaBroker, topic: str, events: list[dict]) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "acks": "all"})
    for event in events:
        producer.produce(topic, key=event["user_id"].encode(), value=json.dumps(event).encode())
    assert producer.flush(10) == 0


def archived(root: Path) -> list[str]:
    lines = []
    for path in sorted(root.rglob("*.ndjson.gz")):
        assert not path.name.startswith(".")
        assert path.parent.name.startswith("hour=")
        assert path.parent.parent.name.startswith("dt=")
        lines.extend(json.loads(line)["event_id"] for line in gzip.decompress(path.read_bytes()).splitlines())
    return lines


def events(start: int, count: int) -> list[dict]:
    return [{"event_id": f"e{i}", "user_id": f"u{i % 7}"} for i in range(start, start + count)]


class CommitsLost:
    """A consumer whose commits never reach the broker (as if the process died right after writing a file)."""

    def __init__(self, consumer: Any) -> None:
        self._consumer = consumer

    def commit(self, *args: Any, **kwargs: Any) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._consumer, name)


def archive(broker: KafkaBroker, topic: str, tmp_path: Path, **options: Any) -> KafkaArchive:
    return KafkaArchive(
        broker.bootstrap_servers,
        topic,
        tmp_path / "archive",
        group_id=f"{topic}-archive",
        offsets_file=tmp_path / "state" / "raw-archive-offsets.json",
        buffer_seconds=0.2,
        poll_seconds=0.1,
        **options,
    )


def test_topic_is_archived_once_across_stops(kafka_broker: KafkaBroker, tmp_path: Path) -> None:
    # GIVEN a raw topic with 3 partitions and 40 events
    topic = f"t-archive-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=3)
    produce(kafka_broker, topic, events(0, 40))
    # WHEN the archive runs and stops (draining the topic), then 15 more arrive and a new archive runs
    first = archive(kafka_broker, topic, tmp_path).start()
    first.stop()
    assert sorted(archived(tmp_path / "archive")) == sorted(f"e{i}" for i in range(40))
    produce(kafka_broker, topic, events(40, 15))
    second = archive(kafka_broker, topic, tmp_path).start()
    second.stop()
    # THEN every event is archived exactly once, each user's events in order
    lines = archived(tmp_path / "archive")
    assert sorted(lines) == sorted(f"e{i}" for i in range(55))
    assert len(lines) == 55
    for user in range(7):
        mine = [int(line[1:]) for line in lines if int(line[1:]) % 7 == user]
        assert mine == sorted(mine) or len(mine) < 2
    assert second.records_delivered == 15


def test_a_file_written_but_not_committed_is_not_archived_again(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    # GIVEN an archive that wrote a file of 10 events, and its commit to the group was lost (a crash)
    topic = f"t-archive-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=2)
    produce(kafka_broker, topic, events(0, 10))
    crashed = archive(
        kafka_broker,
        topic,
        tmp_path,
        consumer_factory=lambda *args: CommitsLost(manual_commit_consumer(*args)),
    ).start()
    crashed.stop()
    assert len(archived(tmp_path / "archive")) == 10
    # WHEN more events arrive and the archive starts again from the group's (older) offsets
    produce(kafka_broker, topic, events(10, 5))
    again = archive(kafka_broker, topic, tmp_path).start()
    again.stop()
    # THEN it resumed where the file ended (its offsets file), not where the group's commit was
    lines = archived(tmp_path / "archive")
    assert sorted(lines) == sorted(f"e{i}" for i in range(15))
