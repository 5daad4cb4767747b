"""The Flink job runner: its generated config, which checkpoint it resumes from, Java checks, job status."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from kappa.local import flink_job
from kappa.local.flink_job import (
    FlinkJobError,
    FlinkJobSettings,
    flink_config,
    job_checkpoint_dir,
    latest_checkpoint,
    require_java,
)
from kappa.local.flink_status import _SOURCE_RECORDS_OUT, rest_url
from kappa.local.job_properties import local_job_properties
from kappa.local.paths import DataDir
from stacks.config import load_config


def checkpoint(root: Path, job: str, number: int, *, mtime: float, complete: bool = True) -> Path:
    folder = root / job / f"chk-{number}"
    folder.mkdir(parents=True)
    if complete:
        (folder / "_metadata").write_bytes(b"x")
        os.utime(folder / "_metadata", (mtime, mtime))
    return folder


def checkpointing_to(folder: Path | str) -> list[dict]:
    """Job properties that only say where the job checkpoints."""
    return [{"PropertyGroupId": "job", "PropertyMap": {"checkpoint.dir": str(folder)}}]


def test_latest_completed_checkpoint_wins_across_runs(tmp_path: Path) -> None:
    assert latest_checkpoint(tmp_path) is None
    checkpoint(tmp_path, "job-a", 7, mtime=100)
    newest = checkpoint(tmp_path, "job-b", 2, mtime=200)
    checkpoint(tmp_path, "job-b", 3, mtime=300, complete=False)  # in progress when the job stopped
    assert latest_checkpoint(tmp_path) == newest


def test_config_retains_checkpoints_binds_loopback_and_uses_this_python(tmp_path: Path) -> None:
    data = DataDir.at(tmp_path)
    settings = FlinkJobSettings(
        main=tmp_path / "main.py",
        properties=checkpointing_to(data.checkpoints),
        checkpoint_interval_ms=750,
        python="/venv/bin/python",
    )
    config = flink_config(settings, {"env.java.opts.all": "--add-opens=x"})
    assert config["execution.checkpointing.interval"] == "750ms"
    assert config["execution.checkpointing.dir"] == data.checkpoints.as_uri()
    assert config["execution.checkpointing.externalized-checkpoint-retention"] == "RETAIN_ON_CANCELLATION"
    assert config["execution.target"] == "local"
    assert config["rest.bind-address"] == "127.0.0.1"
    assert config["rest.bind-port"] == "0"
    assert config["python.executable"] == config["python.client.executable"] == "/venv/bin/python"
    assert config["env.java.opts.all"] == "--add-opens=x"
    assert int(config["restart-strategy.fixed-delay.attempts"]) > 0


def test_missing_java_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flink_job, "java_major_version", lambda: None)
    with pytest.raises(FlinkJobError, match=r"Java is required .* openjdk"):
        require_java()
    monkeypatch.setattr(flink_job, "java_major_version", lambda: 8)
    with pytest.raises(FlinkJobError, match="Java 11 or newer"):
        require_java()


def test_missing_entry_point_is_a_clear_error(tmp_path: Path) -> None:
    job = flink_job.FlinkJob(FlinkJobSettings(main=tmp_path / "nope.py", properties=[]), DataDir.at(tmp_path))
    with pytest.raises(FlinkJobError, match=r"entry point .*nope.py does not exist"):
        job.start()


def test_rest_url_is_read_from_the_mini_cluster_log(tmp_path: Path) -> None:
    (tmp_path / "flink-x-client-h.log").write_text(
        "... DispatcherRestEndpoint [] - Web frontend listening at http://127.0.0.1:40433.\n"
    )
    assert rest_url(tmp_path) == "http://127.0.0.1:40433"
    assert _SOURCE_RECORDS_OUT.match("0.Source__archive[1].numRecordsOut")
    assert not _SOURCE_RECORDS_OUT.match("0.Source__archive[1].numRecordsOutPerSecond")
    assert not _SOURCE_RECORDS_OUT.match("0.Calc[2].numRecordsOut")


def test_local_properties_point_the_job_at_the_data_directory(tmp_path: Path) -> None:
    data = DataDir.at(tmp_path)
    groups = {
        g["PropertyGroupId"]: g["PropertyMap"]
        for g in local_job_properties(load_config(), data, checkpoint_interval_ms=1000)
    }
    assert groups["source"] == {
        "type": "files",
        "files.path": str(data.archive),
        "files.monitor_interval_ms": "250",
    }
    assert groups["sink"] == {"type": "files", "files.path": str(data.insights)}
    assert groups["job"]["checkpoint.interval_ms"] == "1000"
    assert groups["job"]["checkpoint.dir"] == str(data.checkpoints)
    assert all(isinstance(v, str) for group in groups.values() for v in group.values())


def test_local_properties_are_valid_job_settings_and_make_the_job_checkpoint_in_the_data_directory(
    tmp_path: Path,
) -> None:
    settings = pytest.importorskip("flink_app.settings")
    from flink_app.main import execution_configuration

    data = DataDir.at(tmp_path)
    groups = {
        g["PropertyGroupId"]: g["PropertyMap"]
        for g in local_job_properties(load_config(), data, checkpoint_interval_ms=1000)
    }
    job = settings.settings_from_properties(groups)
    assert job.source.path == str(tmp_path / "archive")
    assert not job.source.bounded
    # the job itself (not the runtime's config.yaml) decides its checkpoint storage: it must be the data dir's
    assert (
        execution_configuration(job, local=True)["execution.checkpointing.dir"] == data.checkpoints.as_uri()
    )


def test_job_left_running_by_a_killed_runtime_is_stopped_on_the_next_start(tmp_path: Path) -> None:
    # GIVEN a process group an earlier runtime started for this data directory, then lost (pid file kept)
    data = DataDir.at(tmp_path).create()
    leftover = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", str(data.flink_conf)], start_new_session=True
    )
    (data.flink / "job.pid").write_text(str(leftover.pid))
    # (a leftover has long been running; this one must first finish exec-ing, or it still shows pytest's
    # command line, which the runtime rightly does not recognise as its job)
    deadline = time.monotonic() + 30
    while str(data.flink_conf) not in " ".join(psutil.Process(leftover.pid).cmdline()):
        assert time.monotonic() < deadline, "the stand-in leftover process did not start"
        time.sleep(0.01)
    job = flink_job.FlinkJob(FlinkJobSettings(main=tmp_path / "main.py", properties=[]), data)
    # WHEN the next job starts
    job._stop_leftover()
    # THEN the leftover is gone, and so is the pid file
    leftover.wait(timeout=30)  # returns at once: it is gone (its exit status was collected by the cleanup)
    assert not psutil.pid_exists(leftover.pid)
    assert not (data.flink / "job.pid").exists()


def test_unrelated_process_in_a_stale_pid_file_is_left_alone(tmp_path: Path) -> None:
    data = DataDir.at(tmp_path).create()
    (data.flink / "job.pid").write_text(str(os.getpid()))
    flink_job.FlinkJob(FlinkJobSettings(main=tmp_path / "main.py", properties=[]), data)._stop_leftover()
    assert not (data.flink / "job.pid").exists()  # and this test process is still alive


def test_a_job_version_with_its_own_checkpoint_root_neither_writes_nor_resumes_elsewhere(
    tmp_path: Path,
) -> None:
    # GIVEN checkpoints of the previous version's job in the data directory's flink/
    data = DataDir.at(tmp_path).create()
    checkpoint(data.checkpoints, "v1-job", 4, mtime=100)
    own = tmp_path / "versions" / "v2" / "live" / "flink" / "checkpoints"
    job = flink_job.FlinkJob(
        FlinkJobSettings(main=tmp_path / "main.py", properties=checkpointing_to(own)), data
    )
    # THEN the new version's job checkpoints in its own folder and finds nothing to resume there
    assert job.checkpoint_dir == own
    assert flink_config(job.settings, {})["execution.checkpointing.dir"] == own.as_uri()
    assert latest_checkpoint(job.checkpoint_dir) is None
    # AND once it has checkpointed, that is what a restart resumes from
    mine = checkpoint(own, "v2-job", 1, mtime=50)
    assert latest_checkpoint(job.checkpoint_dir) == mine


def test_job_output_watch_explains_a_sink_that_never_commits_and_checkpoints_kept_elsewhere(
    tmp_path: Path,
) -> None:
    from kappa.local.flink_status import JobStatus
    from kappa.local.runtime import JobOutputWatch

    data = DataDir.at(tmp_path).create()
    watch = JobOutputWatch(data.insights, data.checkpoints)
    status = JobStatus("RUNNING", source_records=10, checkpoints_completed=5, checkpoints_failed=0)
    (data.insights / ".part-1-0-0.inprogress.abc").write_text('{"insight_id": "x"}\n')
    first = watch.problems(status, now=100.0)
    assert any(f"none in {data.checkpoints}" in p for p in first)
    assert not any("in-progress" in p for p in first)
    later = watch.problems(status, now=140.0)
    assert any("in-progress file" in p and "roll part files" in p for p in later)
    checkpoint(data.checkpoints, "job", 1, mtime=1)
    (data.insights / ".part-1-0-0.inprogress.abc").unlink()
    assert watch.problems(status, now=200.0) == []


def test_a_restart_resumes_from_the_checkpoint_dir_the_runtimes_properties_give_the_job(
    tmp_path: Path,
) -> None:
    # GIVEN the properties the runtime writes for its job, and checkpoints there and elsewhere in the data dir
    data = DataDir.at(tmp_path).create()
    properties = local_job_properties(load_config(), data, checkpoint_interval_ms=1000)
    job = flink_job.FlinkJob(FlinkJobSettings(main=tmp_path / "main.py", properties=properties), data)
    configured = checkpoint(data.checkpoints, "job-a", 3, mtime=100)
    checkpoint(data.flink / "tmp" / "kappa-flink-checkpoints", "job-b", 9, mtime=200)  # the old TMPDIR place
    # THEN the job is told to checkpoint in the data directory's flink/checkpoints, and only that is searched
    assert job.checkpoint_dir == data.checkpoints
    assert latest_checkpoint(job.checkpoint_dir) == configured


@pytest.mark.parametrize(
    ("value", "folder"),
    [("/data/flink/checkpoints", "/data/flink/checkpoints"), ("file:///data/my%20chk", "/data/my chk")],
)
def test_the_checkpoint_dir_is_read_from_the_job_properties(value: str, folder: str) -> None:
    assert job_checkpoint_dir(checkpointing_to(value)) == Path(folder)


@pytest.mark.parametrize("value", [None, "checkpoints", "s3://bucket/chk", "file://host/chk"])
def test_a_checkpoint_dir_the_runtime_cannot_resume_from_is_a_clear_error(value: str | None) -> None:
    properties = [] if value is None else checkpointing_to(value)
    with pytest.raises(FlinkJobError, match="must be an absolute path or a file:// URI"):
        job_checkpoint_dir(properties)


def test_a_job_jar_that_cannot_be_built_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a stale jar whose Maven build fails
    from flink_app import packaging

    def failing_build() -> Path:
        raise packaging.PackagingError("Maven (mvn) is not installed; ... (apt-get install maven, ...)")

    monkeypatch.setattr(packaging, "jar_is_stale", lambda jar=None: True)
    monkeypatch.setattr(packaging, "ensure_job_jar", lambda progress=None: failing_build())
    said: list[str] = []
    # WHEN the runtime asks for the job's jar THEN it says it builds it, and fails saying what to install
    with pytest.raises(FlinkJobError, match=r"jar could not be built: Maven \(mvn\) is not installed"):
        flink_job.require_job_jar(said.append)
    assert said == ["building the Flink job's jar (Java functions and connectors) with Maven"]
