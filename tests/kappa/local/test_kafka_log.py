"""The runtime's Kafka log: one log per data directory, the contract's job properties, the ingest environment."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from flink_app.settings import KafkaSink, KafkaSource, settings_from_properties
from kappa.local.active_version import configured_version
from kappa.local.functions import INGEST, function_specs
from kappa.local.job_properties import runtime_job_properties
from kappa.local.kafka_log import (
    LogBackendError,
    check_log_backend,
    data_dir_log,
    ingest_environment,
    insights_topic,
    kafka_job_groups,
)
from kappa.local.paths import DataDir
from stacks.config import load_config


def test_a_data_directory_keeps_the_log_it_was_first_started_with(tmp_path: Path) -> None:
    data = DataDir.at(tmp_path).create()
    # GIVEN a data directory first started on Kafka
    check_log_backend(data, "kafka")
    assert data_dir_log(data) == "kafka"
    check_log_backend(data, "kafka")  # again: fine
    # WHEN it is started on Kinesis THEN the error says which log to use
    with pytest.raises(LogBackendError, match=r"was started with `--log kafka`: start it with `--log kafka`"):
        check_log_backend(data, "kinesis")


def test_kafka_is_refused_on_a_kinesis_runs_archive(tmp_path: Path) -> None:
    # GIVEN a data directory from before the log was recorded, with a Kinesis run's archive
    data = DataDir.at(tmp_path).create()
    (data.archive / "dt=2026-11-25" / "hour=10").mkdir(parents=True)
    (data.archive / "dt=2026-11-25" / "hour=10" / "a.ndjson.gz").write_bytes(gzip.compress(b"{}\n"))
    # WHEN it is started on Kafka THEN it is refused; on Kinesis it is recorded
    with pytest.raises(LogBackendError, match="already holds a Kinesis run's archive"):
        check_log_backend(data, "kafka")
    check_log_backend(data, "kinesis")
    assert data_dir_log(data) == "kinesis"
    with pytest.raises(LogBackendError, match="must be one of kinesis, kafka"):
        check_log_backend(data, "msk")


def test_job_properties_on_kafka_follow_the_contract_and_the_job_accepts_them(tmp_path: Path) -> None:
    config = load_config()
    data = DataDir.at(tmp_path)
    version = configured_version(config, data)
    # WHEN the runtime's properties get the Kafka log's groups
    groups = runtime_job_properties(
        config,
        data,
        version,
        checkpoint_interval_ms=500,
        overrides={"analytics": {"abandonment.after_minutes": "1"}},
        log_groups=kafka_job_groups(config, "127.0.0.1:9092", version.job_version),
    )
    by_id = {g["PropertyGroupId"]: g["PropertyMap"] for g in groups}
    # THEN the source reads the raw topic with the version's group from its committed offsets, the sink writes
    # the stacks' insights topic, and nothing of the files connector is left in either
    assert by_id["source"] == {
        "type": "kafka",
        "kafka.bootstrap_servers": "127.0.0.1:9092",
        "kafka.topic": config.names.raw_topic,
        "kafka.group_id": config.names.flink_consumer_group(version.job_version),
        "kafka.start_position": "GROUP_OFFSETS",
        "kafka.security": "plaintext",
    }
    assert by_id["sink"]["kafka.topic"] == config.names.insights_topic
    assert by_id["job"]["checkpoint.dir"] == str(version.checkpoint_dir)
    assert by_id["job"]["connector_jar"].endswith("kappa-flink-connectors.jar")
    assert by_id["analytics"]["abandonment.after_minutes"] == "1"
    # AND a partition without new records does not hold the live job's watermark back
    assert by_id["job"]["source.idle_timeout_ms"] == "2000"
    # AND the job's own settings reader accepts them as Kafka source and sink
    settings = settings_from_properties(by_id)
    assert isinstance(settings.source, KafkaSource)
    assert settings.source.group_id == config.names.flink_consumer_group(version.job_version)
    assert isinstance(settings.sink, KafkaSink)
    assert settings.sink.security == "plaintext"
    assert settings.source_idle_timeout_ms == 2000


def test_a_replayed_version_writes_its_own_topic_from_a_timestamp() -> None:
    config = load_config()
    assert insights_topic(config, config.processing.job_version) == config.names.insights_topic
    assert insights_topic(config, "v9") == f"{config.names.insights_topic}-v9"
    groups = kafka_job_groups(
        config, "127.0.0.1:1", "v9", start_position="TIMESTAMP", start_timestamp="2026-11-25T10:00:00Z"
    )
    assert groups["source"]["kafka.start_timestamp"] == "2026-11-25T10:00:00Z"
    assert groups["source"]["kafka.group_id"] == config.names.flink_consumer_group("v9")
    assert groups["sink"]["kafka.topic"] == f"{config.names.insights_topic}-v9"
    source = settings_from_properties({"job": {"job_version": "v9"}, **groups}).source
    assert isinstance(source, KafkaSource)
    assert source.start_position == "TIMESTAMP"


def test_ingest_runs_on_the_raw_topic_with_the_lambda_env_contract() -> None:
    config = load_config()
    environment = ingest_environment("127.0.0.1:9092", config)
    assert environment == {
        "LOG_BACKEND": "kafka",
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
        "RAW_TOPIC": config.names.raw_topic,
        "KAFKA_SECURITY": "plaintext",
    }
    specs = function_specs(
        config,
        aws_environment={},
        webhook_environment={},
        admin_key_ids=["a"],
        ingest_log_environment=environment,
    )
    assert specs[INGEST].environment["LOG_BACKEND"] == "kafka"
    assert specs[INGEST].environment["RAW_TOPIC"] == config.names.raw_topic
