"""Local cut-over without Flink: what it refuses, what it records, and how replay and compare see it after."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kappa.cli import app
from kappa.local.active_version import read_active_version, runtime_version
from kappa.local.paths import DataDir, DataDirLock
from kappa.replay.aws import ReplayError
from kappa.replay.local import REPLAY_RECORD, LocalReplay
from stacks.config import load_config

CONFIG = load_config(env_name="dev")
RUNNING = CONFIG.processing.job_version
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
runner = CliRunner()


def insight(n: int, occurred_at: str, kind: str = "metrics", version: str = RUNNING) -> dict:
    return {"insight_id": f"{kind}:{n:04d}", "type": kind, "occurred_at": occurred_at,
            "emitted_at": occurred_at, "job_version": version, "payload": {"n": n}}  # fmt: skip


def write_insights(folder: Path, name: str, insights: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(i) + "\n" for i in insights))


def replayed(data: DataDir, version: str, insights: list[dict], *, finished: bool = True) -> None:
    """What `LocalReplay.run` leaves: properties, committed insights and (when it finished) its record."""
    folder = data.versions / version
    write_insights(folder / "insights", "part-0", insights)
    (folder / "application_properties.json").write_text(json.dumps([
        {"PropertyGroupId": "job", "PropertyMap": {"job_version": version, "checkpoint.interval_ms": "1000",
                                                  "watermark.out_of_orderness_ms": "3000"}},
        {"PropertyGroupId": "source", "PropertyMap": {"type": "files", "files.monitor_interval_ms": "0"}},
        {"PropertyGroupId": "sink", "PropertyMap": {"type": "files", "files.path": str(folder / "insights")}},
        {"PropertyGroupId": "analytics", "PropertyMap": {"abandonment.after_minutes": "45"}},
    ]))  # fmt: skip
    if finished:
        (folder / REPLAY_RECORD).write_text(json.dumps({"job_version": version}))


@pytest.fixture
def data(tmp_path: Path) -> DataDir:
    """A stopped runtime's data dir: v1 committed three insights, the fan-out finished the first two; v2 replayed."""
    data = DataDir.at(tmp_path / "data").create()
    write_insights(data.insights, "part-0", [
        insight(1, "2026-11-25T11:00:00.000Z"),
        insight(2, "2026-11-25T12:30:00.000Z"),
        insight(3, "2026-11-25T12:50:00.000Z"),  # committed, not yet delivered when the runtime stopped
    ])  # fmt: skip
    data.insights_done_ids.write_text("metrics:0001\nmetrics:0002\n")
    replayed(data, "v2", [insight(n, f"2026-11-25T1{n}:00:00.000Z", version="v2") for n in (1, 2, 4)])
    return data


def test_cutover_records_the_version_its_properties_and_what_it_will_deliver(data: DataDir) -> None:
    said: list[str] = []
    LocalReplay(data.root, config=CONFIG).cutover("v2", overlap_seconds=600, progress=said.append, now=NOW)
    active = read_active_version(data)
    assert active is not None
    assert (active.job_version, active.previous_version) == ("v2", RUNNING)
    # the properties v2 was replayed with, without where the replay ran
    assert active.job_properties == {
        "job": {"watermark.out_of_orderness_ms": "3000"},
        "analytics": {"abandonment.after_minutes": "45"},
    }
    assert active.switched_at == NOW
    # the newest insight v1's fan-out finished with (not the undelivered, newer one) minus the overlap
    assert active.previous_delivered_until == datetime(2026, 11, 25, 12, 30, tzinfo=UTC)
    assert active.deliver_from == datetime(2026, 11, 25, 12, 20, tzinfo=UTC)
    assert active.outputs == {RUNNING: "insights", "v2": "versions/v2/live/insights"}
    text = "\n".join(said)
    assert "runs v2" in text
    assert "2026-11-25T12:20:00.000Z" in text
    assert "kappa local up --data-dir" in text


def test_with_nothing_delivered_the_overlap_counts_back_from_the_switch(data: DataDir) -> None:
    data.insights_done_ids.unlink()
    active = LocalReplay(data.root, config=CONFIG).cutover(
        "v2", overlap_seconds=900, progress=lambda _m: None, now=NOW
    )
    assert active.previous_delivered_until is None
    assert active.deliver_from == datetime(2026, 11, 25, 12, 45, tzinfo=UTC)


def test_cutover_is_refused_while_the_runtime_holds_the_data_dir(data: DataDir) -> None:
    lock = DataDirLock(data).acquire()
    try:
        with pytest.raises(ReplayError, match=r"Stop `kappa local up` \(or `kappa demo`\) first"):
            LocalReplay(data.root, config=CONFIG).cutover("v2", progress=lambda _m: None)
    finally:
        lock.release()
    assert read_active_version(data) is None


@pytest.mark.parametrize(
    ("prepare", "to_version", "message"),
    [
        (lambda data: None, "v9", r"'v9' was never replayed .*kappa replay --job-version v9 --data-dir"),
        (lambda data: replayed(data, "v3", [], finished=False), "v3", r"the replay of v3 did not finish"),
        (lambda data: None, RUNNING, rf"{RUNNING} is already the job version the local runtime runs"),
    ],
    ids=["never-replayed", "replay-unfinished", "already-active"],
)
def test_cutover_refuses_what_cannot_take_over(data: DataDir, prepare, to_version: str, message: str) -> None:
    prepare(data)
    with pytest.raises(ReplayError, match=message):
        LocalReplay(data.root, config=CONFIG).cutover(to_version, progress=lambda _m: None)
    assert read_active_version(data) is None


def test_after_a_cutover_the_active_and_earlier_versions_are_refused(data: DataDir) -> None:
    replay = LocalReplay(data.root, config=CONFIG)
    replay.cutover("v2", progress=lambda _m: None, now=NOW)
    with pytest.raises(ReplayError, match="v2 is already the job version"):
        replay.cutover("v2", progress=lambda _m: None)
    # a version the runtime ran before (its output is v1's folder) cannot be cut over to again
    replayed(data, RUNNING, [])
    with pytest.raises(ReplayError, match=f"{RUNNING} ran in the local runtime before"):
        replay.cutover(RUNNING, progress=lambda _m: None)


def test_cutover_of_a_missing_data_dir_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="no data directory"):
        LocalReplay(tmp_path / "nothing", config=CONFIG).cutover("v2", progress=lambda _m: None)
    assert not (tmp_path / "nothing").exists()


def test_compare_after_a_cutover_reads_each_version_where_it_ran(data: DataDir) -> None:
    replay = LocalReplay(data.root, config=CONFIG)
    replay.cutover("v2", progress=lambda _m: None, now=NOW)
    # GIVEN the runtime has run v2: its live output re-derives the replay's insight 2 and adds insight 5
    live = runtime_version(CONFIG, data).insights
    write_insights(live, "part-0", [insight(2, "2026-11-25T12:00:00.000Z", version="v2"),
                                    insight(5, "2026-11-25T15:00:00.000Z", version="v2")])  # fmt: skip
    # THEN v1 is still read from the runtime's original folder
    assert replay.insights_dir(RUNNING) == data.insights
    assert sorted(i["insight_id"] for i in replay.read_insights(RUNNING)) == [
        "metrics:0001", "metrics:0002", "metrics:0003"
    ]  # fmt: skip
    # AND v2 from its live output first, then what only its replay holds, each id once
    assert replay.insights_dirs("v2") == [live, data.versions / "v2" / "insights"]
    assert sorted(i["insight_id"] for i in replay.read_insights("v2")) == [
        "metrics:0001", "metrics:0002", "metrics:0004", "metrics:0005"
    ]  # fmt: skip


def test_a_replay_after_a_cutover_starts_from_the_active_versions_properties(data: DataDir) -> None:
    replay = LocalReplay(data.root, config=CONFIG)
    replay.cutover("v2", progress=lambda _m: None, now=NOW)
    # WHEN v3 is prepared before the runtime ran v2 (its last properties file is still v1's)
    data.flink_properties.write_text(json.dumps([
        {"PropertyGroupId": "job", "PropertyMap": {"job_version": RUNNING}},
        {"PropertyGroupId": "analytics", "PropertyMap": {"abandonment.after_minutes": "1"}},
    ]))  # fmt: skip
    groups = {g["PropertyGroupId"]: g["PropertyMap"] for g in replay.properties("v3", {})}
    # THEN v2's analytics are the template, with v3's own version, bounded source and outputs
    assert groups["analytics"]["abandonment.after_minutes"] == "45"
    assert groups["job"]["job_version"] == "v3"
    assert groups["job"]["watermark.out_of_orderness_ms"] == "3000"
    assert groups["source"] == {
        "type": "files",
        "files.path": str(data.versions / "v3" / "source"),
        "files.monitor_interval_ms": "0",
    }
    assert groups["sink"]["files.path"] == str(data.versions / "v3" / "insights")


def test_a_replay_takes_the_running_jobs_properties_as_its_template(data: DataDir) -> None:
    # GIVEN the runtime last ran its version with the demo's one-minute abandonment timeout
    data.flink_properties.write_text(json.dumps([
        {"PropertyGroupId": "job", "PropertyMap": {"job_version": RUNNING, "parallelism": "1",
                                                  "checkpoint.dir": str(data.checkpoints)}},
        {"PropertyGroupId": "sink", "PropertyMap": {"type": "files", "files.path": str(data.insights)}},
        {"PropertyGroupId": "analytics", "PropertyMap": {"abandonment.after_minutes": "1",
                                                         "session.gap_minutes": "1"}},
    ]))  # fmt: skip
    groups = {
        g["PropertyGroupId"]: g["PropertyMap"]
        for g in LocalReplay(data.root, config=CONFIG).properties(
            "v3", {"analytics": {"abandonment.after_minutes": "2"}}
        )
    }
    # THEN only the changed setting differs from what runs, and the replay writes its own folder
    assert groups["analytics"] == {"abandonment.after_minutes": "2", "session.gap_minutes": "1"}
    assert groups["sink"]["files.path"] == str(data.versions / "v3" / "insights")
    # AND checkpoints there too: in the runtime's folder, a restart would resume from the replay's checkpoint
    assert groups["job"]["checkpoint.dir"] == str(data.versions / "v3" / "checkpoints")


def test_cutover_command_with_data_dir(data: DataDir) -> None:
    result = runner.invoke(
        app,
        ["cutover", "v2", "--data-dir", str(data.root), "--overlap-seconds", "60"],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 0, result.output
    assert "the local runtime runs v2 from its next start" in result.output
    active = read_active_version(data)
    assert active is not None
    assert active.overlap_seconds == 60
    again = runner.invoke(app, ["cutover", "v2", "--data-dir", str(data.root)], env={"COLUMNS": "300"})
    assert again.exit_code == 1
    assert "already the job version" in again.output


def test_a_corrupt_active_version_file_is_a_clear_error_for_every_command(data: DataDir) -> None:
    (data.state / "active-version.json").write_text("{oops")
    for command in (["compare", RUNNING, "v2"], ["cutover", "v2"]):
        result = runner.invoke(app, [*command, "--data-dir", str(data.root)], env={"COLUMNS": "300"})
        assert result.exit_code == 1, result.output
        assert "is not a valid active-version file" in result.output
