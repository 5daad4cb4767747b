"""Application properties → JobSettings: defaults, conversions and every problem reported in plain words."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from flink_app.settings import (
    DEFAULT_CONNECTOR_JAR,
    AnalyticsSettings,
    FilesSink,
    FilesSource,
    KafkaSink,
    KafkaSource,
    KinesisSink,
    KinesisSource,
    SettingsError,
    epoch_millis,
    load_property_groups,
    settings_from_properties,
)

ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/kappa-dev-raw-events"
OUT_ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/kappa-dev-insights-v1"
PROPERTIES_DIR = Path(__file__).resolve().parents[2] / "flink_app" / "properties"


def files_groups(**analytics: str) -> dict[str, dict[str, str]]:
    return {
        "job": {"job_version": "v2"},
        "source": {"type": "files", "files.path": "/data/archive", "files.monitor_interval_ms": "1000"},
        "sink": {"type": "files", "files.path": "/data/out"},
        "analytics": dict(analytics),
    }


def problems_of(groups: dict) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        settings_from_properties(groups)
    return caught.value.problems


def test_files_source_and_sink_with_defaults() -> None:
    settings = settings_from_properties(files_groups())
    assert settings.job_version == "v2"
    assert settings.source == FilesSource(path="/data/archive", monitor_interval_ms=1000)
    assert not settings.source.bounded
    assert settings.sink == FilesSink(path="/data/out")
    assert settings.python_execution_mode == "thread"
    assert settings.analytics.session_gap_minutes == 30
    assert settings.state_backend == "hashmap"
    assert settings.diagnostics.type == "log"


def analytics_fields(value: object, path: str = "analytics") -> dict[str, object]:
    """Every leaf field of (nested) analytics settings by its dotted path."""
    if not dataclasses.is_dataclass(value):
        return {path: value}
    fields: dict[str, object] = {}
    for field in dataclasses.fields(value):
        fields.update(analytics_fields(getattr(value, field.name), f"{path}.{field.name}"))
    return fields


def test_unset_analytics_properties_take_the_documented_defaults_of_the_settings_classes() -> None:
    # GIVEN no analytics properties at all
    parsed = settings_from_properties(files_groups()).analytics
    # THEN every value is the settings dataclass's default (docs/flink-job.md lists them): the parser and the
    # classes once disagreed on the cart history (360 parsed, 120 documented)
    assert analytics_fields(parsed) == analytics_fields(AnalyticsSettings())
    assert parsed.recommendation.cart_history_minutes == 120


def test_kinesis_source_takes_its_region_from_the_arn() -> None:
    settings = settings_from_properties(
        {
            "source": {
                "type": "kinesis",
                "kinesis.stream_arn": ARN,
                "kinesis.start_position": "trim_horizon",
            },
            "sink": {"type": "kinesis", "kinesis.stream_arn": OUT_ARN},
        }
    )
    assert settings.source == KinesisSource(stream_arn=ARN, region="eu-west-1", start_position="TRIM_HORIZON")
    assert settings.sink == KinesisSink(stream_arn=OUT_ARN, region="eu-west-1")


def test_at_timestamp_needs_a_timestamp() -> None:
    groups = {
        "source": {"type": "kinesis", "kinesis.stream_arn": ARN, "kinesis.start_position": "AT_TIMESTAMP"},
        "sink": {"type": "files", "files.path": "/out"},
    }
    assert problems_of(groups) == [
        "source.kinesis.start_timestamp is required when start_position is AT_TIMESTAMP"
    ]
    groups["source"]["kinesis.start_timestamp"] = "2026-11-25T12:00:00+01:00"
    assert settings_from_properties(groups).source.start_timestamp == "2026-11-25T12:00:00+01:00"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("job", "parallelism", "0"), "job.parallelism must be between 1 and 256 (got 0)"),
        (
            ("job", "python.execution_mode", "fibers"),
            "job.python.execution_mode must be one of: thread, process",
        ),
        (("job", "checkpoint.interval_ms", "soon"), "job.checkpoint.interval_ms must be a whole number"),
        (("job", "state_backend", "memory"), "job.state_backend must be one of: hashmap, rocksdb"),
        (("job", "job_version", "v 1"), "job.job_version may only contain"),
        (
            ("job", "checkpoint.dir", "file://checkpoints/kappa"),
            "job.checkpoint.dir must name an absolute path in a file URI, e.g. file:///checkpoints/kappa",
        ),
        (("job", "checkpoint.dir", "s3://"), "job.checkpoint.dir must be a path or a URI such as"),
        (("job", "checkpoint.dir", "not a scheme://x"), "job.checkpoint.dir must be a path or a URI such as"),
        (("analytics", "sesion.gap_minutes", "5"), "did you mean 'session.gap_minutes'?"),
        (
            ("analytics", "trending.threshold", "0.5"),
            "analytics.trending.threshold must be between 1 and 1000",
        ),
        (("analytics", "trending.window_minutes", "7"), "must be a multiple of trending.slide_minutes"),
        (("analytics", "conversion.baseline_minutes", "10"), "must be longer than conversion.window_minutes"),
        (("sink", "type", "s3"), "sink.type must be one of: files, kinesis, kafka"),
        (("jobb", "x", "1"), "property group 'jobb' is not known (did you mean 'job'?)"),
    ],
)
def test_bad_values_are_reported_with_group_key_and_value(change, problem) -> None:
    groups = files_groups()
    group, key, value = change
    groups.setdefault(group, {})[key] = value
    if change[:2] == ("analytics", "trending.window_minutes"):
        groups["analytics"]["trending.slide_minutes"] = "2"
    assert any(problem in found for found in problems_of(groups)), problems_of(groups)


def test_all_problems_are_reported_together() -> None:
    problems = problems_of({"source": {"type": "kinesis", "kinesis.stream_arn": "stream-1"}, "sink": {}})
    assert len(problems) == 2
    assert "source.kinesis.stream_arn must look like arn:aws:kinesis" in problems[0]
    assert problems[1].startswith("sink.type is required")


def test_region_must_agree_with_the_arn() -> None:
    groups = {
        "source": {"type": "kinesis", "kinesis.stream_arn": ARN, "kinesis.region": "us-east-1"},
        "sink": {"type": "files", "files.path": "/out"},
    }
    assert "but the stream ARN is in eu-west-1" in problems_of(groups)[0]


def test_relative_file_paths_are_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    groups = files_groups()
    groups["source"]["files.path"] = "archive"
    assert settings_from_properties(groups).source.path == str(tmp_path / "archive")


def test_checkpoint_dir_is_unset_by_default_a_path_made_absolute_or_a_uri_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN no job.checkpoint.dir: the job keeps its default location (None here)
    assert settings_from_properties(files_groups()).checkpoint_dir is None
    groups = files_groups()
    # WHEN it is a relative path THEN it is taken from the working directory, like the files paths
    monkeypatch.chdir(tmp_path)
    groups["job"]["checkpoint.dir"] = "state/checkpoints"
    assert settings_from_properties(groups).checkpoint_dir == str(tmp_path / "state" / "checkpoints")
    # AND a URI is kept as written, for Flink's file systems to resolve
    for uri in ("file:///var/kappa/checkpoints", "s3://bucket/kappa/checkpoints"):
        groups["job"]["checkpoint.dir"] = uri
        assert settings_from_properties(groups).checkpoint_dir == uri


def test_settings_are_frozen() -> None:
    settings = settings_from_properties(files_groups())
    with pytest.raises(AttributeError):
        settings.job_version = "v3"  # type: ignore[misc]


def test_properties_file_in_the_managed_flink_shape(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps([{"PropertyGroupId": "job", "PropertyMap": {"parallelism": 2}}]))
    assert load_property_groups(path) == {"job": {"parallelism": "2"}}
    path.write_text('{"job": {}}')
    with pytest.raises(SettingsError, match="must be a JSON list"):
        load_property_groups(path)
    with pytest.raises(SettingsError, match="does not exist"):
        load_property_groups(tmp_path / "missing.json")


def test_run_options_group_is_not_ours_to_read() -> None:
    groups = files_groups()
    groups["kinesis.analytics.flink.run.options"] = {"python": "main.py", "jarfile": "lib/x.jar"}
    assert settings_from_properties(groups).job_version == "v2"


@pytest.mark.parametrize("name", ["local.json", "replay.json"])
def test_shipped_properties_files_are_valid(name: str) -> None:
    settings = settings_from_properties(load_property_groups(PROPERTIES_DIR / name))
    assert isinstance(settings.source, FilesSource)


def kafka_groups(source: dict[str, str] | None = None, sink: dict[str, str] | None = None) -> dict:
    return {
        "job": {"job_version": "v7"},
        "source": {
            "type": "kafka",
            "kafka.bootstrap_servers": "b-1.kappa.abc123.kafka.eu-west-1.amazonaws.com:9098",
            "kafka.topic": "kappa-dev-raw-events",
            **(source or {}),
        },
        "sink": {
            "type": "kafka",
            "kafka.bootstrap_servers": "b-1.kappa.abc123.kafka.eu-west-1.amazonaws.com:9098",
            "kafka.topic": "kappa-dev-insights",
            **(sink or {}),
        },
    }


def test_kafka_source_and_sink_defaults_follow_the_contract() -> None:
    # GIVEN only the required keys WHEN validated
    settings = settings_from_properties(kafka_groups())
    # THEN the group is per job version, offsets resume from the group, security is MSK IAM, at-least-once
    assert settings.source == KafkaSource(
        bootstrap_servers="b-1.kappa.abc123.kafka.eu-west-1.amazonaws.com:9098",
        topic="kappa-dev-raw-events",
        group_id="kappa-analytics-v7",
        start_position="GROUP_OFFSETS",
        security="iam",
        bounded=False,
    )
    assert settings.sink == KafkaSink(
        bootstrap_servers="b-1.kappa.abc123.kafka.eu-west-1.amazonaws.com:9098",
        topic="kappa-dev-insights",
        security="iam",
        delivery_guarantee="at-least-once",
    )
    assert settings.uses_kafka
    assert settings.connector_jar is None


def test_kafka_options_are_read_case_insensitively_and_servers_tidied() -> None:
    settings = settings_from_properties(
        kafka_groups(
            source={
                "kafka.bootstrap_servers": "127.0.0.1:9092 , [::1]:9093",
                "kafka.group_id": "replay-1",
                "kafka.start_position": "earliest",
                "kafka.security": "PLAINTEXT",
                "kafka.bounded": "true",
            },
            sink={"kafka.delivery_guarantee": "EXACTLY-ONCE", "kafka.security": "plaintext"},
        )
    )
    assert settings.source.bootstrap_servers == "127.0.0.1:9092,[::1]:9093"
    assert (settings.source.group_id, settings.source.start_position) == ("replay-1", "EARLIEST")
    assert settings.source.security == "plaintext"
    assert settings.source.bounded
    assert settings.sink.delivery_guarantee == "exactly-once"


def test_kafka_timestamp_start_needs_an_rfc3339_timestamp() -> None:
    groups = kafka_groups(source={"kafka.start_position": "TIMESTAMP"})
    assert problems_of(groups) == [
        "source.kafka.start_timestamp is required when kafka.start_position is TIMESTAMP "
        "(RFC 3339, e.g. 2026-11-25T12:00:00Z)"
    ]
    groups["source"]["kafka.start_timestamp"] = "25/11/2026"
    assert "source.kafka.start_timestamp must be an RFC 3339 timestamp" in problems_of(groups)[0]
    groups["source"]["kafka.start_timestamp"] = "2026-11-25T12:00:00+01:00"
    assert settings_from_properties(groups).source.start_timestamp == "2026-11-25T12:00:00+01:00"


@pytest.mark.parametrize(
    ("source", "sink", "problem"),
    [
        ({"kafka.bootstrap_servers": ""}, {}, "source.kafka.bootstrap_servers is required"),
        (
            {"kafka.bootstrap_servers": "broker:9092,broker2"},
            {},
            "source.kafka.bootstrap_servers must be host:port[,host:port] with ports 1-65535, "
            "e.g. b-1.kappa.abc123.kafka.eu-west-1.amazonaws.com:9098 (bad: 'broker2')",
        ),
        ({}, {"kafka.bootstrap_servers": "broker:70000"}, "sink.kafka.bootstrap_servers must be host:port"),
        ({"kafka.topic": ""}, {}, "source.kafka.topic is required"),
        ({}, {"kafka.topic": "insights/v1"}, "sink.kafka.topic may only contain letters, digits and . _ -"),
        ({"kafka.group_id": "a group"}, {}, "source.kafka.group_id may only contain letters"),
        (
            {"kafka.start_position": "TRIM_HORIZON"},
            {},
            "source.kafka.start_position must be one of: GROUP_OFFSETS, EARLIEST, LATEST, TIMESTAMP",
        ),
        (
            {"kafka.start_timestamp": "2026-11-25T12:00:00Z"},
            {},
            "source.kafka.start_timestamp is only allowed with kafka.start_position TIMESTAMP",
        ),
        ({"kafka.security": "sasl"}, {}, "source.kafka.security must be one of: iam, plaintext"),
        ({"kafka.bounded": "maybe"}, {}, "source.kafka.bounded must be true or false"),
        ({}, {"kafka.delivery_guarantee": "once"}, "must be one of: at-least-once, exactly-once"),
        ({}, {"kafka.group_id": "g"}, "sink.kafka.group_id is not a known property"),
        (
            {"kafka.topik": "x"},
            {},
            "source.kafka.topik is not a known property (did you mean 'kafka.topic'?)",
        ),
    ],
)
def test_bad_kafka_values_are_reported_with_group_key_and_how_to_fix(source, sink, problem) -> None:
    problems = problems_of(kafka_groups(source=source, sink=sink))
    assert any(problem in found for found in problems), problems


def test_connector_jar_is_a_path_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    groups = kafka_groups()
    groups["job"]["connector_jar"] = "jars/connectors.jar"
    assert settings_from_properties(groups).connector_jar == str(tmp_path / "jars" / "connectors.jar")


def test_default_connector_jar_is_where_the_pom_builds_it() -> None:
    assert PROPERTIES_DIR.parent / "target" / "kappa-flink-connectors.jar" == DEFAULT_CONNECTOR_JAR


def test_epoch_millis_of_rfc3339_timestamps() -> None:
    assert epoch_millis("2026-11-25T12:00:00.123+01:00") == epoch_millis("2026-11-25T11:00:00.123Z")
    assert epoch_millis("1970-01-01T00:00:00Z") == 0
    assert epoch_millis("1969-12-31T23:59:59.999Z") == -1
