"""Test support: put a recorded log on a Kafka topic the way ingestion does (key = user_id), read a topic back."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from confluent_kafka import Consumer, Producer, TopicPartition

from kappa.local.kafka_records import read_to_end


@dataclass(frozen=True)
class Record:
    key: bytes | None
    value: bytes
    partition: int
    timestamp_ms: int


def produce_lines(bootstrap_servers: str, topic: str, lines: Iterable[str]) -> list[Record]:
    """Each NDJSON line as one record keyed by its user_id, in order; returns what the broker stored (with the
    partition and the CreateTime timestamp it was given), in the order the lines were given."""
    producer = Producer({"bootstrap.servers": bootstrap_servers, "linger.ms": 5, "enable.idempotence": True})
    delivered: dict[int, Record] = {}
    errors: list[str] = []

    def on_delivery(index: int):
        def report(error, message) -> None:
            if error is not None:
                errors.append(str(error))
                return
            delivered[index] = Record(
                message.key(), message.value(), message.partition(), message.timestamp()[1]
            )

        return report

    for index, line in enumerate(lines):
        key = json.loads(line)["user_id"].encode()
        producer.produce(topic, value=line.encode(), key=key, on_delivery=on_delivery(index))
        producer.poll(0)
    remaining = producer.flush(30)
    assert not errors, f"records refused: {errors[:3]}"
    assert remaining == 0, f"{remaining} records not delivered within 30 s"
    return [delivered[index] for index in sorted(delivered)]


def read_topic(bootstrap_servers: str, topic: str, *, timeout_s: float = 60) -> list[Record]:
    """Every committed record of `topic`, from the beginning to the end it has now (read_committed)."""
    return [
        Record(record.key, record.value, record.partition, record.timestamp_ms)
        for record in read_to_end(bootstrap_servers, topic, timeout=timeout_s)
    ]


def total_end_offset(bootstrap_servers: str, topic: str) -> int:
    """The sum of the partitions' end offsets: records plus, on a transactional topic, commit/abort markers."""
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": f"test-offsets-{topic}"})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in metadata.partitions
        )
    finally:
        consumer.close()


def commit_end_offsets(bootstrap_servers: str, group_id: str, topic: str) -> None:
    """Commit, synchronously, `group_id`'s offsets at `topic`'s current end offsets (every partition)."""
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": group_id})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        offsets = [
            TopicPartition(topic, p, consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1])
            for p in sorted(partitions)
        ]
        consumer.commit(offsets=offsets, asynchronous=False)
    finally:
        consumer.close()
