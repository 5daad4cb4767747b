"""Read a Kafka topic back (every partition from its start up to its current end), for the ingestion tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from kappa.local.kafka_records import read_to_end

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
    return [
        TopicRecord(
            record.partition,
            record.offset,
            None if record.key is None else record.key.decode(),
            orjson.loads(record.value),
        )
        for record in read_to_end(bootstrap_servers, topic, timeout=READ_TIMEOUT_S)
    ]
