"""Read a Kafka topic back (every partition from its start up to its current end), for the ingestion tests."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

READ_TIMEOUT_S = 30.0
"""An upper bound, not a wait: reading stops as soon as every partition reached its end offset."""


@dataclass(frozen=True)
class TopicRecord:
    partition: int
    offset: int
    key: str | None
    event: dict[str, Any]


def read_topic(bootstrap_servers: str, topic: str) -> list[TopicRecord]:
    """Every record on `topic`, partition by partition in offset order (the order consumers see)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        ends = {}
        for partition in metadata.partitions:
            _low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            if high > 0:
                ends[partition] = high
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        records: list[TopicRecord] = []
        deadline = time.monotonic() + READ_TIMEOUT_S
        while ends and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is None or message.error() is not None:
                continue
            key = message.key()
            records.append(
                TopicRecord(
                    message.partition(),
                    message.offset(),
                    None if key is None else key.decode(),
                    orjson.loads(message.value()),
                )
            )
            if message.offset() + 1 >= ends.get(message.partition(), 0):
                ends.pop(message.partition(), None)
        if ends:
            raise AssertionError(f"topic {topic!r}: partitions {sorted(ends)} not read to their end in time")
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()
