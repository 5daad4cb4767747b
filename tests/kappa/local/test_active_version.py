"""The active-version file: which job version the runtime runs after a cut-over, where it writes, with what."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kappa.local.active_version import (
    ActiveVersion,
    ActiveVersionError,
    active_version_path,
    computing_properties,
    read_active_version,
    runtime_version,
    write_active_version,
)
from kappa.local.job_properties import runtime_job_properties
from kappa.local.paths import DataDir
from stacks.config import load_config

CONFIG = load_config(env_name="dev")


def active_version_file(version: str = "v2", *, previous: str = "v1") -> ActiveVersion:
    """A cut-over from `previous` (which wrote `<data>/insights`) to `version`, switched at 12:00Z."""
    return ActiveVersion(
        job_version=version,
        previous_version=previous,
        job_properties={"analytics": {"abandonment.after_minutes": "45"}, "job": {"parallelism": "1"}},
        switched_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
        overlap_seconds=900,
        previous_delivered_until=None,
        deliver_from=datetime(2026, 11, 25, 11, 45, tzinfo=UTC),
        outputs={previous: "insights", version: f"versions/{version}/live/insights"},
    )


def groups(properties: list[dict]) -> dict[str, dict[str, str]]:
    return {g["PropertyGroupId"]: g["PropertyMap"] for g in properties}


def test_without_a_cutover_the_runtime_runs_cdk_jsons_version_in_the_classic_layout(tmp_path: Path) -> None:
    data = DataDir.at(tmp_path)
    version = runtime_version(CONFIG, data)
    assert version.job_version == CONFIG.processing.job_version
    assert (version.source, version.insights, version.diagnostics, version.checkpoint_dir) == (
        data.archive,
        data.insights,
        data.diagnostics,
        data.checkpoints,
    )
    assert version.deliver_from is None
    assert version.switch is None
    assert version.outputs == {CONFIG.processing.job_version: data.insights}


def test_after_a_cutover_the_runtime_runs_the_new_version_in_its_own_folders(tmp_path: Path) -> None:
    data = DataDir.at(tmp_path)
    # WHEN a cut-over to v2 is stored
    path = write_active_version(data, active_version_file("v2"))
    # THEN it round-trips, with RFC 3339 times in the file, and no temporary file is left beside it
    assert path == active_version_path(data)
    assert '"switched_at": "2026-11-25T12:00:00.000Z"' in path.read_text()
    assert read_active_version(data) == active_version_file("v2")
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    # AND the runtime runs v2, reading the archive through its in-order feed, writing and checkpointing
    # under versions/v2/live, not where v1 did
    version = runtime_version(CONFIG, data)
    live = data.versions / "v2" / "live"
    assert version.job_version == "v2"
    assert (version.source, version.insights, version.diagnostics, version.checkpoint_dir) == (
        live / "source",
        live / "insights",
        live / "diagnostics",
        live / "flink" / "checkpoints",
    )
    assert version.deliver_from == datetime(2026, 11, 25, 11, 45, tzinfo=UTC)
    assert version.outputs == {"v1": data.insights, "v2": live / "insights"}


def test_a_cut_over_version_computes_with_its_replayed_properties_over_the_runtimes_overrides(
    tmp_path: Path,
) -> None:
    data = DataDir.at(tmp_path)
    write_active_version(data, active_version_file("v2"))
    version = runtime_version(CONFIG, data)
    demo_like = {"analytics": {"abandonment.after_minutes": "1", "session.gap_minutes": "1"}}
    properties = groups(
        runtime_job_properties(CONFIG, data, version, checkpoint_interval_ms=500, overrides=demo_like)
    )
    assert properties["job"]["job_version"] == "v2"
    assert properties["job"]["checkpoint.interval_ms"] == "500"
    assert properties["job"]["checkpoint.dir"] == str(version.checkpoint_dir)
    assert properties["analytics"] == {"abandonment.after_minutes": "45", "session.gap_minutes": "1"}
    assert properties["sink"] == {"type": "files", "files.path": str(version.insights)}
    assert properties["diagnostics"]["files.path"] == str(version.diagnostics)
    assert properties["source"]["files.path"] == str(version.source)


def test_a_version_keeps_what_it_computes_and_drops_where_its_replay_ran() -> None:
    replayed = [
        {"PropertyGroupId": "job", "PropertyMap": {"job_version": "v2", "checkpoint.interval_ms": "1000",
                                                  "checkpoint.dir": "/x/versions/v2/checkpoints",
                                                  "watermark.out_of_orderness_ms": "3000"}},
        {"PropertyGroupId": "source", "PropertyMap": {"type": "files", "files.monitor_interval_ms": "0"}},
        {"PropertyGroupId": "sink", "PropertyMap": {"type": "files", "files.path": "/x/versions/v2/insights"}},
        {"PropertyGroupId": "diagnostics", "PropertyMap": {"type": "files"}},
        {"PropertyGroupId": "analytics", "PropertyMap": {"abandonment.after_minutes": "45"}},
    ]  # fmt: skip
    assert computing_properties(replayed) == {
        "job": {"watermark.out_of_orderness_ms": "3000"},
        "analytics": {"abandonment.after_minutes": "45"},
    }


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not JSON"),
        ('{"job_version": "v2"}', "previous_version: Field required"),
        (active_version_file().model_dump_json().replace('"v2"', '"v 2"', 1), "job_version: String should"),
    ],
    ids=["not-json", "missing-field", "bad-version-name"],
)
def test_an_unusable_active_version_file_says_which_file_and_what_to_do(
    tmp_path: Path, content: str, problem: str
) -> None:
    data = DataDir.at(tmp_path)
    active_version_path(data).parent.mkdir(parents=True)
    active_version_path(data).write_text(content)
    with pytest.raises(ActiveVersionError) as raised:
        runtime_version(CONFIG, data)
    message = str(raised.value)
    assert str(active_version_path(data)) in message
    assert problem in message
    assert "delete it to run cdk.json's job version again" in message
