"""Source and sink DDL for files and Kinesis (the Kinesis connector is not on the local classpath, so its DDL
is checked as text here, and the files DDL by the Flink tests)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from flink_app.connectors import diagnostics_sink_ddls, epoch_millis_sql, insights_sink_ddl, source_ddl
from flink_app.settings import DiagnosticsSettings, settings_from_properties

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


def test_event_time_expression_reads_offsets_and_fractions() -> None:
    # The expression itself runs in the Flink tests; here: it is one expression with no Python call.
    expression = epoch_millis_sql("`occurred_at`")
    assert "UNIX_TIMESTAMP" in expression
    assert expression.count("(") == expression.count(")")
