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
from collections.abc import Iterator
from typing import Any

from kappa.local.kafka_broker import KafkaBroker, KafkaBrokerError, create_topic
from kappa.local.kafka_log import running_broker
from kappa.local.kafka_records import TopicReadError, read_to_end
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


def read_topic_insights(bootstrap_servers: str, topic: str) -> list[dict[str, Any]]:
    """The insights in `topic`, each id once (an at-least-once sink may have written one twice)."""
    seen: set[str] = set()
    insights = []
    try:
        records = read_to_end(bootstrap_servers, topic)
    except TopicReadError as error:
        raise ReplayError(str(error)) from None
    for record in records:
        with contextlib.suppress(ValueError):
            insight = json.loads(record.value)
            if isinstance(insight, dict) and insight.get("insight_id") not in seen:
                seen.add(insight.get("insight_id"))
                insights.append(insight)
    return insights
