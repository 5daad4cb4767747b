"""The local runtime's log on Kafka (`--log kafka`): the broker, its topics, and what each part is told about them.

The production topology with MSK (docs/log-backends.md), on one machine:

```
ingest (LOG_BACKEND=kafka) ─▶ raw topic ─┬─▶ Flink job (kafka source, group <prefix>-analytics-<v>) ─▶ insights topic
                                         └─▶ archive stand-in (group <prefix>-raw-events-archive)      │
                                               archive/dt=…/hour=…/                                   ▼
                                                              MSK mapping stand-in (group <prefix>-webhook-fanout) ─▶ fanout
```
Names come from `stacks.config.ResourceNames`; partition counts from `log.msk` in cdk.json. The broker keeps its
storage in `<data>/kafka`, so topics, records and every group's committed offsets survive a restart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from flink_app.settings import DEFAULT_CONNECTOR_JAR
from kappa.local.kafka_broker import KafkaBroker
from kappa.local.paths import DataDir, write_atomically
from stacks.config import AppConfig

LOG_BACKENDS: Final = ("kinesis", "kafka")
KAFKA: Final = "kafka"
LIVE_IDLE_TIMEOUT_MS: Final = 2000
"""`job.source.idle_timeout_ms` of the live job on Kafka. The watermark is the minimum over the raw topic's
partitions, and local traffic (a few users) leaves some partitions without new records for long: without
idleness their old watermark holds every window and timer back (no trending products, no abandoned carts).
2 s is longer than the gaps within a burst of traffic, so a partition is idle only between bursts. A bounded
replay uses 0 (every partition is read to its end; determinism first)."""


class LogBackendError(RuntimeError):
    """The data directory and the chosen log do not fit together, or the Kafka path lacks a part."""


def check_log_backend(data: DataDir, log: str) -> None:
    """Refuse to start a data directory with another log than it was started with; remember the first choice.

    The job's checkpoints hold its source's state (archive files read, or Kafka offsets) and the insights of
    one log are not in the other, so one data directory runs on one log.
    """
    if log not in LOG_BACKENDS:
        raise LogBackendError(f"the log must be one of {', '.join(LOG_BACKENDS)}, not {log!r}")
    recorded = data_dir_log(data)
    if recorded is None:
        has_history = any(data.archive.rglob("*.ndjson*")) if data.archive.exists() else False
        if has_history and log == KAFKA:
            raise LogBackendError(
                f"{data.root} already holds a Kinesis run's archive: the Kafka log starts empty, so start it "
                "with `--log kinesis`, or choose another --data-dir for Kafka"
            )
        write_atomically(data.log_backend_file, f"{log}\n".encode())
        return
    if recorded != log:
        raise LogBackendError(
            f"{data.root} was started with `--log {recorded}`: start it with `--log {recorded}`, "
            f"or choose another --data-dir for `--log {log}`"
        )


def data_dir_log(data: DataDir) -> str | None:
    """The log a data directory was started with (None before its first start)."""
    try:
        return data.log_backend_file.read_text().strip() or None
    except FileNotFoundError:
        return None


def insights_topic(config: AppConfig, job_version: str) -> str:
    """The topic a job version writes: the stacks' insights topic for cdk.json's version, else its own."""
    name = config.names.insights_topic
    return name if job_version == config.processing.job_version else f"{name}-{job_version}"


def start_broker(data: DataDir, config: AppConfig, *, insights_topics: list[str]) -> KafkaBroker:
    """The broker on `<data>/kafka` with the raw topic and `insights_topics` created (existing ones are kept)."""
    broker = KafkaBroker.start(data.kafka)
    try:
        msk = config.log.msk
        broker.create_topic(config.names.raw_topic, partitions=msk.raw_partitions)
        for topic in insights_topics:
            broker.create_topic(topic, partitions=msk.insights_partitions)
    except BaseException:
        broker.stop()
        raise
    write_atomically(
        data.kafka_broker_file, json.dumps({"bootstrap_servers": broker.bootstrap_servers}).encode()
    )
    return broker


def running_broker(data: DataDir) -> str | None:
    """The bootstrap servers the runtime's broker announced at its last start (trust it only while it runs)."""
    try:
        return str(json.loads(data.kafka_broker_file.read_text())["bootstrap_servers"])
    except (FileNotFoundError, KeyError, ValueError):
        return None


def ingest_environment(bootstrap_servers: str, config: AppConfig) -> dict[str, str]:
    """The ingestion Lambda's environment on Kafka, as stacks/constructs/kafka_log.py sets it (plaintext locally)."""
    from lambdas.ingest import settings

    return {
        settings.LOG_BACKEND_ENV: "kafka",
        settings.KAFKA_BOOTSTRAP_SERVERS_ENV: bootstrap_servers,
        settings.RAW_TOPIC_ENV: config.names.raw_topic,
        settings.KAFKA_SECURITY_ENV: "plaintext",
    }


def kafka_job_groups(
    config: AppConfig,
    bootstrap_servers: str,
    job_version: str,
    *,
    start_position: str = "GROUP_OFFSETS",
    start_timestamp: str | None = None,
    connector_jar: Path = DEFAULT_CONNECTOR_JAR,
    idle_timeout_ms: int = LIVE_IDLE_TIMEOUT_MS,
) -> dict[str, dict[str, str]]:
    """The job's `source` and `sink` groups on Kafka (the contract in docs/contract.md), and its connector jar."""
    source = {
        "type": "kafka",
        "kafka.bootstrap_servers": bootstrap_servers,
        "kafka.topic": config.names.raw_topic,
        "kafka.group_id": config.names.flink_consumer_group(job_version),
        "kafka.start_position": start_position,
        "kafka.security": "plaintext",
    }
    if start_timestamp is not None:
        source["kafka.start_timestamp"] = start_timestamp
    return {
        "source": source,
        "sink": {
            "type": "kafka",
            "kafka.bootstrap_servers": bootstrap_servers,
            "kafka.topic": insights_topic(config, job_version),
            "kafka.security": "plaintext",
            "kafka.delivery_guarantee": "at-least-once",
        },
        "job": {"connector_jar": str(connector_jar), "source.idle_timeout_ms": str(idle_timeout_ms)},
    }
