"""The Flink benchmark's own arithmetic and options (no cluster: the passes themselves are not run here)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench import async_profile
from bench.async_profile import AttachedProfiler, ProfilerError
from bench.bench_flink_job import (
    BREAKDOWN,
    JobRun,
    ProfileRecorder,
    added_cost,
    steady_microseconds_per_event,
    table_option,
)
from flink_app.pipeline import ANALYSES


def _rows(cpu_by_label: dict[str, float]) -> list[dict[str, object]]:
    return [
        {"run": label, "without": list(without), "cpu_seconds": cpu_by_label[label]}
        for label, without in BREAKDOWN
    ]


def test_added_cost_is_the_cpu_saved_by_leaving_each_analysis_out_per_line() -> None:
    # GIVEN a breakdown over 1,000,000 lines: full job 100 s of CPU, 60 s without recommendations, 20 s base
    cpu = {label: 90.0 for label, _ in BREAKDOWN}
    cpu |= {"full job": 100.0, "without recommendations": 60.0, "dedupe + late side output only": 20.0}

    # WHEN the added cost per analysis is derived
    added = dict(added_cost(_rows(cpu), 1_000_000))

    # THEN each analysis adds (full − without) µs per line, and the base reports its own cost
    assert added["recommendations"] == pytest.approx(40.0)
    assert added["carts"] == pytest.approx(10.0)
    assert added["metrics + conversion"] == pytest.approx(10.0)
    assert added["base (dedupe + late side output)"] == pytest.approx(20.0)


def test_breakdown_covers_every_analysis_once_and_the_base() -> None:
    left_out = [name for _, without in BREAKDOWN[1:-1] for name in without]
    assert sorted(left_out) == sorted(ANALYSES)
    assert BREAKDOWN[0][1] == ()
    assert set(BREAKDOWN[-1][1]) == set(ANALYSES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("table.exec.mini-batch.enabled=true", ("table.exec.mini-batch.enabled", "true")),
        (" table.exec.mini-batch.size = 5000 ", ("table.exec.mini-batch.size", "5000")),
        ("pipeline.name=a=b", ("pipeline.name", "a=b")),
    ],
)
def test_table_option_splits_key_and_value_at_the_first_equals_sign(
    text: str, expected: tuple[str, str]
) -> None:
    assert table_option(text) == expected


@pytest.mark.parametrize("text", ["table.exec.mini-batch.enabled", "=true", ""])
def test_table_option_without_a_key_and_value_says_the_expected_form(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="KEY=VALUE"):
        table_option(text)


def test_steady_cost_leaves_out_what_a_submission_costs_anyway() -> None:
    # GIVEN 1,001,000 lines in 150 s of CPU, and the same job over 1,000 lines in 10 s
    job = JobRun(lines=1_001_000, seconds=100.0, cpu_seconds=150.0)
    fixed = JobRun(lines=1_000, seconds=5.0, cpu_seconds=10.0)

    # WHEN the steady cost per event is derived
    steady = steady_microseconds_per_event(job, fixed)

    # THEN it is the 140 s of CPU beyond the fixed run over the 1,000,000 lines beyond it
    assert steady == pytest.approx(140.0)
    assert job.cpu_microseconds_per_event == pytest.approx(149.85, rel=1e-3)


def test_every_pass_runs_on_the_state_backend_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench import bench_flink_job

    assert bench_flink_job.job_settings(
        tmp_path / "log", tmp_path, parallelism=2, mode="thread"
    ).state_backend == ("hashmap")
    monkeypatch.setitem(bench_flink_job.EXTRA_JOB_PROPERTIES, "state_backend", "rocksdb")
    settings = bench_flink_job.job_settings(tmp_path / "log", tmp_path, parallelism=2, mode="thread")
    assert settings.state_backend == "rocksdb"


@pytest.mark.parametrize(
    "options", [["--threads-from", "1000", "--threads-lines", "1000"], ["--threads-from", "-1"]]
)
def test_threads_from_must_fall_inside_the_measured_lines(
    options: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import bench_flink_job

    # WHEN the per-thread figures would start at or after the last line measured (or before the first)
    with pytest.raises(SystemExit):
        bench_flink_job.main(["--only-threads", *options])
    # THEN the command refuses before anything runs, naming both options
    error = capsys.readouterr().err
    assert "--threads-from" in error
    assert "--threads-lines" in error


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ProfileRecorder:
    """A `--profile` recorder whose agent is never fetched nor attached: jcmd's commands are recorded."""
    monkeypatch.setattr(async_profile, "library", lambda progress: tmp_path / "libasyncProfiler.so")
    return ProfileRecorder(tmp_path / "job.collapsed")


def test_the_profile_recorder_starts_at_the_baseline_and_writes_when_the_job_ended(
    recorder: ProfileRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands: list[tuple[int, str]] = []
    monkeypatch.setattr(
        AttachedProfiler, "start", lambda self, **kwargs: commands.append((self.pid, "start"))
    )

    def stop(self: AttachedProfiler, output: Path) -> Path:
        commands.append((self.pid, str(output)))
        return output.with_name("job.html")

    monkeypatch.setattr(AttachedProfiler, "stop", stop)

    recorder.attach(4321)  # the sampler's baseline, in the JVM it found
    recorder.finish()

    assert commands == [(4321, "start"), (4321, str(recorder.output))]


def test_a_profile_that_never_started_fails_after_the_job_and_says_why(
    recorder: ProfileRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a job shorter than --threads-from: no baseline, no attach
    with pytest.raises(ProfilerError, match="before its source reached --threads-from"):
        recorder.finish()

    # an attach that failed (in the sampler's thread) is raised by finish, not lost
    def refuse(self: AttachedProfiler, **kwargs: object) -> None:
        raise ProfilerError("async-profiler start in JVM 4321 failed: no perf events")

    monkeypatch.setattr(AttachedProfiler, "start", refuse)
    recorder.attach(4321)
    with pytest.raises(ProfilerError, match="no perf events"):
        recorder.finish()
