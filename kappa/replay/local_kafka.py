"""Kappa replay on a Kafka data directory (`kappa local up --log kafka`): the log is the raw topic.

A new job version reads the raw topic from a time (`kafka.start_position` TIMESTAMP; the whole topic without
`--from`) up to the offsets there are when it starts (`kafka.bounded`), with its own consumer group
(`<prefix>-analytics-<version>`), into its own insights topic (`<prefix>-insights-<version>`); its insights
are then copied into `<data>/versions/<version>/insights/` so `kappa compare` and `kappa cutover` read them
like a Kinesis replay's. The running version's insights are its topic (`<prefix>-insights`).

The broker is the runtime's when it runs (the replay runs beside it, as in AWS), else one started on
`<data>/kafka` for the replay and stopped after it.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from kappa.local.kafka_broker import KafkaBroker, KafkaBrokerError, create_topic
from kappa.local.kafka_log import running_broker
from kappa.local.paths import DataDir, DataDirBusyError, DataDirLock
from kappa.replay.aws import ReplayError


@contextlib.contextmanager
def kafka_log(data: DataDir) -> Iterator[str]:
    """Bootstrap servers of the data directory's broker: the running runtime's, or one started for the block."""
    lock = DataDirLock(data)
    try:
        lock.acquire()
    except DataDirBusyError:
        bootstrap = running_broker(data)
        if bootstrap is None:
            raise ReplayError(
                f"{data.root} is in use but its runtime announced no Kafka broker ({data.kafka_broker_file}); "
                "stop the runtime and try again"
            ) from None
        yield bootstrap
        return
    try:
        if not data.kafka.exists():
            raise ReplayError(f"no Kafka log in {data.kafka}: run `kappa local up --log kafka` first")
        try:
            broker = KafkaBroker.start(data.kafka)
        except KafkaBrokerError as error:
            raise ReplayError(str(error)) from None
        try:
            yield broker.bootstrap_servers
        finally:
            broker.stop()
    finally:
        lock.release()


def admin(bootstrap_servers: str) -> Any:
    from confluent_kafka.admin import AdminClient

    return AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})


def make_topic(bootstrap_servers: str, name: str, partitions: int) -> None:
    try:
        create_topic(admin(bootstrap_servers), name, partitions)
    except KafkaBrokerError as error:
        raise ReplayError(str(error)) from None


def read_topic(bootstrap_servers: str, topic: str, timeout: float = 60.0) -> list[bytes]:
    """Every committed record value of `topic`, partition by partition in offset order (no group commits)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    metadata = admin(bootstrap_servers).list_topics(topic=topic, timeout=10).topics.get(topic)
    if metadata is None or metadata.error is not None:
        raise ReplayError(f"topic {topic!r} does not exist on {bootstrap_servers}")
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"kappa-replay-reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "log_level": 3,
        }
    )
    try:
        partitions = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(metadata.partitions)]
        ends = {p.partition: consumer.get_watermark_offsets(p, timeout=10)[1] for p in partitions}
        consumer.assign(partitions)
        values: dict[int, list[bytes]] = {p: [] for p in ends}
        reached = {p: 0 for p in ends}
        deadline = time.monotonic() + timeout
        while any(reached[p] < end for p, end in ends.items()):
            if time.monotonic() > deadline:
                raise ReplayError(f"reading {topic!r} did not reach its end within {timeout:.0f} s")
            for message in consumer.consume(num_messages=1000, timeout=0.5):
                if message.error() is not None:
                    continue
                values[message.partition()].append(message.value() or b"")
                reached[message.partition()] = message.offset() + 1
            for partition, end in ends.items():
                # Transaction markers take offsets but are no records: a position at the end counts.
                position = consumer.position([TopicPartition(topic, partition)])[0].offset
                reached[partition] = max(reached[partition], position if position >= 0 else 0)
                if end == 0:
                    reached[partition] = 0
        return [value for p in sorted(values) for value in values[p]]
    finally:
        consumer.close()


def read_topic_insights(bootstrap_servers: str, topic: str) -> list[dict[str, Any]]:
    """The insights in `topic`, each id once (an at-least-once sink may have written one twice)."""
    seen: set[str] = set()
    insights = []
    for value in read_topic(bootstrap_servers, topic):
        with contextlib.suppress(ValueError):
            insight = json.loads(value)
            if isinstance(insight, dict) and insight.get("insight_id") not in seen:
                seen.add(insight.get("insight_id"))
                insights.append(insight)
    return insights
