"""Source and sink DDL for files, Kinesis and Kafka, checked as text here (the files and Kafka DDL also run
in the Flink tests; the Kinesis connector is not served here)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from flink_app.connectors import (
    EPOCH_MILLIS_FUNCTION,
    INSIGHTS_TABLE,
    STATS_TABLE,
    diagnostics_sink_ddls,
    insert_statement,
    insights_sink_ddl,
    source_ddl,
)
from flink_app.java_functions import SOURCE_FUNCTIONS
from flink_app.settings import DiagnosticsSettings, settings_from_properties
from flink_app.sql import Insert

ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/kappa-dev-raw-events"
OUT_ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/kappa-dev-insights-v1"


def kinesis_settings(**source: str):
    return settings_from_properties(
        {
            "job": {"watermark.out_of_orderness_ms": "7500"},
            "source": {"type": "kinesis", "kinesis.stream_arn": ARN, **source},
            "sink": {"type": "kinesis", "kinesis.stream_arn": OUT_ARN},
        }
    )


def options_of(ddl: str) -> dict[str, str]:
    return dict(re.findall(r"'([^']+)' = '([^']*)'", ddl))


def test_kinesis_source_ddl() -> None:
    ddl = source_ddl(kinesis_settings(**{"kinesis.start_position": "TRIM_HORIZON"}))
    assert options_of(ddl) == {
        "connector": "kinesis",
        "stream.arn": ARN,
        "aws.region": "eu-west-1",
        "source.init.position": "TRIM_HORIZON",
        "format": "json",
        "json.fail-on-missing-field": "false",
        "json.ignore-parse-errors": "false",
    }
    assert "WATERMARK FOR `ts` AS `ts` - INTERVAL '0 00:00:07.500' DAY TO SECOND(3)" in ddl
    assert "`proc_time` AS PROCTIME()" in ddl


def test_kinesis_at_timestamp_uses_the_connector_timestamp_format() -> None:
    ddl = source_ddl(
        kinesis_settings(
            **{"kinesis.start_position": "AT_TIMESTAMP", "kinesis.start_timestamp": "2026-11-25T12:00:00Z"}
        )
    )
    options = options_of(ddl)
    assert options["source.init.position"] == "AT_TIMESTAMP"
    assert options["source.init.timestamp"] == "2026-11-25T12:00:00.000+00:00"
    datetime.strptime(options["source.init.timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z")


def test_kinesis_insights_sink_ddl() -> None:
    options = options_of(insights_sink_ddl(kinesis_settings()))
    assert options == {
        "connector": "kinesis",
        "stream.arn": OUT_ARN,
        "aws.region": "eu-west-1",
        "format": "raw",
        "sink.partitioner": "random",
        "sink.fail-on-error": "false",
    }


def test_files_source_bounded_and_monitored() -> None:
    groups = {
        "source": {"type": "files", "files.path": "/a/archive"},
        "sink": {"type": "files", "files.path": "/out"},
    }
    bounded = options_of(source_ddl(settings_from_properties(groups)))
    assert bounded == {
        "connector": "filesystem",
        "path": "/a/archive",
        "format": "json",
        "json.fail-on-missing-field": "false",
        "json.ignore-parse-errors": "false",
    }
    groups["source"]["files.monitor_interval_ms"] = "2000"
    assert options_of(source_ddl(settings_from_properties(groups)))["source.monitor-interval"] == "2000 ms"


@pytest.mark.parametrize(
    ("kind", "connectors"),
    [
        ("files", ["filesystem", "filesystem"]),
        ("log", ["print", "print"]),
        ("discard", ["blackhole", "blackhole"]),
    ],
)
def test_diagnostics_sinks(kind: str, connectors: list[str]) -> None:
    tables = diagnostics_sink_ddls(DiagnosticsSettings(type=kind, path="/d" if kind == "files" else None))
    assert [options_of(t.ddl)["connector"] for t in tables] == connectors
    if kind == "files":
        assert [options_of(t.ddl)["path"] for t in tables] == ["/d/late", "/d/stats"]


def test_event_time_is_the_java_function_of_occurred_at() -> None:
    # GIVEN the source DDL; THEN both event-time columns come from the Java function (no Python call per event;
    # the function runs in tests/flink_app/test_event_time_expression.py and its JUnit tests)
    ddl = source_ddl(kinesis_settings())
    assert f"`ts_ms` AS {EPOCH_MILLIS_FUNCTION}(`occurred_at`)," in ddl
    assert f"`ts` AS TO_TIMESTAMP_LTZ({EPOCH_MILLIS_FUNCTION}(`occurred_at`), 3)," in ddl
    assert SOURCE_FUNCTIONS[EPOCH_MILLIS_FUNCTION] == "dev.kappa.flink.time.EpochMillis"


MSK = "b-1.kappa.abc123.kafka.eu-west-1.amazonaws.com:9098"
IAM_OPTIONS = {
    "properties.security.protocol": "SASL_SSL",
    "properties.sasl.mechanism": "AWS_MSK_IAM",
    "properties.sasl.jaas.config": "software.amazon.msk.auth.iam.IAMLoginModule required;",
    "properties.sasl.client.callback.handler.class": "software.amazon.msk.auth.iam.IAMClientCallbackHandler",
}


def kafka_settings(source: dict[str, str] | None = None, sink: dict[str, str] | None = None):
    return settings_from_properties(
        {
            "job": {"job_version": "v3"},
            "source": {
                "type": "kafka",
                "kafka.bootstrap_servers": MSK,
                "kafka.topic": "kappa-dev-raw-events",
                **(source or {}),
            },
            "sink": {
                "type": "kafka",
                "kafka.bootstrap_servers": MSK,
                "kafka.topic": "kappa-dev-insights",
                **(sink or {}),
            },
        }
    )


def test_kafka_source_ddl_resumes_from_the_group_with_msk_iam_by_default() -> None:
    # GIVEN the contract's defaults WHEN the source DDL is built
    ddl = source_ddl(kafka_settings())
    # THEN it reads the topic's JSON values from the group's offsets (earliest where none), over IAM
    assert options_of(ddl) == {
        "connector": "kafka",
        "topic": "kappa-dev-raw-events",
        "properties.bootstrap.servers": MSK,
        "properties.group.id": "kappa-analytics-v3",
        "scan.startup.mode": "group-offsets",
        "properties.auto.offset.reset": "earliest",
        **IAM_OPTIONS,
        "format": "json",
        "json.fail-on-missing-field": "false",
        "json.ignore-parse-errors": "false",
    }
    assert "WATERMARK FOR `ts`" in ddl


@pytest.mark.parametrize(("position", "mode"), [("EARLIEST", "earliest-offset"), ("LATEST", "latest-offset")])
def test_kafka_source_start_positions(position: str, mode: str) -> None:
    options = options_of(source_ddl(kafka_settings({"kafka.start_position": position})))
    assert options["scan.startup.mode"] == mode
    assert "properties.auto.offset.reset" not in options
    assert "scan.startup.timestamp-millis" not in options


def test_kafka_source_from_a_timestamp_in_epoch_millis() -> None:
    options = options_of(
        source_ddl(
            kafka_settings(
                {"kafka.start_position": "TIMESTAMP", "kafka.start_timestamp": "2026-11-25T13:00:00+01:00"}
            )
        )
    )
    assert options["scan.startup.mode"] == "timestamp"
    assert options["scan.startup.timestamp-millis"] == str(
        int(datetime(2026, 11, 25, 12, tzinfo=UTC).timestamp() * 1000)
    )


def test_bounded_plaintext_kafka_source_stops_at_the_latest_offsets() -> None:
    options = options_of(source_ddl(kafka_settings({"kafka.bounded": "true", "kafka.security": "plaintext"})))
    assert options["scan.bounded.mode"] == "latest-offset"
    assert options["properties.security.protocol"] == "PLAINTEXT"
    assert not [key for key in options if key.startswith("properties.sasl.")]


def test_kafka_insights_sink_keys_records_by_user_id() -> None:
    ddl = insights_sink_ddl(kafka_settings())
    # THEN the table carries the line and the key column; the key is user_id in raw UTF-8, the value the line
    assert "`line` STRING,\n  `user_id` STRING" in ddl
    assert options_of(ddl) == {
        "connector": "kafka",
        "topic": "kappa-dev-insights",
        "properties.bootstrap.servers": MSK,
        "key.format": "raw",
        "key.fields": "user_id",
        "value.format": "raw",
        "value.fields-include": "EXCEPT_KEY",
        "sink.partitioner": "default",
        "sink.delivery-guarantee": "at-least-once",
        **IAM_OPTIONS,
    }


def test_exactly_once_kafka_sink_has_a_per_version_transaction_prefix_and_a_broker_safe_timeout() -> None:
    options = options_of(insights_sink_ddl(kafka_settings(sink={"kafka.delivery_guarantee": "exactly-once"})))
    assert options["sink.delivery-guarantee"] == "exactly-once"
    assert options["sink.transactional-id-prefix"] == "kappa-analytics-v3-kappa-dev-insights"
    # Brokers refuse transaction timeouts above transaction.max.timeout.ms (15 min by default)
    assert int(options["properties.transaction.timeout.ms"]) <= 15 * 60 * 1000


def test_inserts_into_a_kafka_insights_table_add_the_user_id_key() -> None:
    # GIVEN an analysis' insert of insight lines
    insert = Insert(INSIGHTS_TABLE, "SELECT session_insight(`x`) FROM `windows`")
    # WHEN the sink is Kafka THEN the line is wrapped with its user_id; otherwise the insert is unchanged
    keyed = insert_statement(insert, kafka_settings().sink)
    assert keyed.startswith("INSERT INTO `insights_sink`\nSELECT `line`, JSON_VALUE(`line`, '$.user_id')")
    assert "SELECT session_insight(`x`) FROM `windows`\n) AS `insight`(`line`)" in keyed
    assert insert_statement(insert, kinesis_settings().sink) == insert.statement
    stats = Insert(STATS_TABLE, "SELECT 1")
    assert insert_statement(stats, kafka_settings().sink) == stats.statement
