"""Application properties → JobSettings: defaults, conversions and every problem reported in plain words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flink_app.settings import (
    FilesSink,
    FilesSource,
    KinesisSink,
    KinesisSource,
    SettingsError,
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
    assert settings.diagnostics.type == "log"


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
        (("sink", "type", "s3"), "sink.type must be one of: files, kinesis"),
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
