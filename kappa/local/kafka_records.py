"""Kafka records as the local stand-ins see them, and the consumers they read with (plaintext, manual commits).

The Firehose stand-in and the MSK event source mapping stand-in both read a topic with a consumer group of
their own, never auto-commit, and commit a partition's next offset only once they are done with its records
(written to the archive, or processed by the function). confluent-kafka is imported lazily: only the Kafka
path of the runtime needs it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kappa.local.kinesis_shards import StreamRecord

TIMESTAMP_TYPES = {0: "NO_TIMESTAMP_TYPE", 1: "CREATE_TIME", 2: "LOG_APPEND_TIME"}
"""confluent-kafka's TIMESTAMP_* constants → the names Lambda's MSK events carry in `timestampType`."""


@dataclass(frozen=True)
class KafkaRecord:
    """One consumed record: where it is (topic, partition, offset) and what it carries."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int
    timestamp_type: str = "CREATE_TIME"
    headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def topic_partition(self) -> str:
        """`<topic>-<partition>`: how Lambda's MSK events group records and name a partition."""
        return f"{self.topic}-{self.partition}"

    def as_stream_record(self) -> StreamRecord:
        """The record in the Firehose stand-in's terms (arrival = the record's timestamp)."""
        return StreamRecord(
            shard_id=self.topic_partition,
            sequence_number=str(self.offset),
            partition_key=(self.key or b"").decode(errors="replace"),
            data=self.value,
            arrival=self.timestamp_ms / 1000,
        )


def from_message(message: Any) -> KafkaRecord:
    """A confluent-kafka `Message` (without error) as a `KafkaRecord`."""
    kind, timestamp = message.timestamp()
    return KafkaRecord(
        topic=message.topic(),
        partition=message.partition(),
        offset=message.offset(),
        key=message.key(),
        value=message.value() or b"",
        timestamp_ms=int(timestamp),
        timestamp_type=TIMESTAMP_TYPES.get(kind, "CREATE_TIME"),
        headers=tuple((name, value or b"") for name, value in (message.headers() or [])),
    )


def next_offsets(records: Iterable[KafkaRecord]) -> dict[tuple[str, int], int]:
    """Per (topic, partition): the offset after the last of `records`, i.e. what to commit when done with them."""
    offsets: dict[tuple[str, int], int] = {}
    for record in records:
        key = (record.topic, record.partition)
        offsets[key] = max(offsets.get(key, 0), record.offset + 1)
    return offsets


def manual_commit_consumer(bootstrap_servers: str, group_id: str, **overrides: Any) -> Any:
    """A plaintext consumer in `group_id` that starts at the earliest offset when the group has committed none
    and never commits on its own (the caller commits once it is done with the records)."""
    from confluent_kafka import Consumer

    config = {
        "bootstrap.servers": bootstrap_servers,
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "log_level": 3,
    }
    return Consumer(config | overrides)


def commit(consumer: Any, offsets: dict[tuple[str, int], int]) -> None:
    """Commit `offsets` synchronously (raises KafkaException when the broker refuses)."""
    from confluent_kafka import TopicPartition

    if offsets:
        consumer.commit(
            offsets=[
                TopicPartition(topic, partition, offset) for (topic, partition), offset in offsets.items()
            ],
            asynchronous=False,
        )


def end_offsets(consumer: Any, timeout: float = 5.0) -> dict[tuple[str, int], int]:
    """The high watermark of every partition assigned to `consumer` (the offset the next record will get)."""
    ends = {}
    for partition in consumer.assignment():
        _low, high = consumer.get_watermark_offsets(partition, timeout=timeout, cached=False)
        ends[(partition.topic, partition.partition)] = high
    return ends


def positions(consumer: Any) -> dict[tuple[str, int], int]:
    """Where `consumer` reads next in each assigned partition (negative: not fetched yet)."""
    return {(p.topic, p.partition): p.offset for p in consumer.position(consumer.assignment())}


def unread_records(consumer: Any) -> int:
    """Records on the consumer's assigned partitions past its position, by the high watermarks of its last
    fetches (no broker call: librdkafka caches them); partitions it has not fetched from yet count 0."""
    from confluent_kafka import TopicPartition

    total = 0
    for (topic, partition), position in positions(consumer).items():
        if position < 0:
            continue
        _low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), cached=True)
        total += max(high - position, 0) if high >= 0 else 0
    return total


class TopicReadError(RuntimeError):
    """A topic could not be read to its end: it does not exist, or its end was not reached in time."""


def read_to_end(bootstrap_servers: str, topic: str, *, timeout: float = 60.0) -> list[KafkaRecord]:
    """Every committed record of `topic` up to the end it has now, partition by partition in offset order,
    read without a group commit (read_committed: an exactly-once sink's aborted records are left out)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"kappa-topic-reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "log_level": 3,
        }
    )
    try:
        metadata = consumer.list_topics(topic=topic, timeout=10).topics.get(topic)
        if metadata is None or metadata.error is not None:
            raise TopicReadError(f"topic {topic!r} does not exist on {bootstrap_servers}")
        partitions = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(metadata.partitions)]
        ends = {p.partition: consumer.get_watermark_offsets(p, timeout=10)[1] for p in partitions}
        consumer.assign(partitions)
        records: dict[int, list[KafkaRecord]] = {p: [] for p in ends}
        reached = dict.fromkeys(ends, 0)
        deadline = time.monotonic() + timeout
        while any(reached[p] < end for p, end in ends.items()):
            if time.monotonic() > deadline:
                raise TopicReadError(f"reading {topic!r} did not reach its end within {timeout:.0f} s")
            for message in consumer.consume(num_messages=1000, timeout=0.5):
                if message.error() is not None:
                    continue
                records[message.partition()].append(from_message(message))
                reached[message.partition()] = message.offset() + 1
            for partition, end in ends.items():
                # Transaction markers take offsets but are no records: a position at the end counts.
                position = consumer.position([TopicPartition(topic, partition)])[0].offset
                reached[partition] = max(reached[partition], position if position >= 0 else 0)
                if end == 0:
                    reached[partition] = 0
        return [record for partition in sorted(records) for record in records[partition]]
    finally:
        consumer.close()
