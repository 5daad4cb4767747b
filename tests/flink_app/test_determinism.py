"""Determinism: the same log gives the same insights byte for byte (emitted_at aside), whatever the
parallelism, and duplicates or bounded disorder in delivery do not change them."""

from __future__ import annotations

from pathlib import Path

import pytest

from events import InsightValidator
from tests.flink_app.jobs import ONE_HOUR_ANALYTICS, run_job

pytestmark = [pytest.mark.slow, pytest.mark.flink]


def test_parallelism_does_not_change_the_insights(job_run, job_run_parallel) -> None:
    assert len(job_run.lines) > 1000
    assert job_run_parallel.normalized() == job_run.normalized()


def test_the_state_backend_managed_flink_runs_gives_the_same_insights(
    job_run, flink_environment, simulated_log, tmp_path: Path
) -> None:
    # GIVEN the log run again with every state in RocksDB (Managed Flink's only backend), at parallelism 2
    on_rocksdb = run_job(
        simulated_log.events,
        tmp_path / "rocksdb",
        parallelism=2,
        analytics=ONE_HOUR_ANALYTICS,
        job={"state_backend": "rocksdb"},
    )
    # THEN it ran on RocksDB: each keyed operator's RocksDB instance wrote its info log beside the checkpoints
    # (the checkpoints themselves are discarded when a bounded job finishes)
    assert list((tmp_path / "rocksdb" / "checkpoints" / "rocksdb-log").glob("*_LOG"))
    # AND every state round trip through its serializer keeps the insights and the duplicate counts
    assert on_rocksdb.normalized() == job_run.normalized()
    by_window = sorted(on_rocksdb.stats, key=lambda window: window["window_start"])
    assert by_window == sorted(job_run.stats, key=lambda window: window["window_start"])


def test_duplicates_and_disorder_do_not_change_the_insights(job_run, job_run_clean, simulated_log) -> None:
    # GIVEN the same shoppers delivered with duplicates and late deliveries, and delivered cleanly
    assert simulated_log.truth["duplicates"] > 0
    assert simulated_log.truth["out_of_order"] > 0
    # THEN the insights are identical
    assert job_run_clean.normalized() == job_run.normalized()


def test_duplicates_are_counted_not_counted_twice(job_run, simulated_log) -> None:
    assert sum(window["duplicates"] for window in job_run.stats) == simulated_log.truth["duplicates"]


def test_every_insight_is_valid_and_unique(job_run) -> None:
    validator = InsightValidator()
    assert [i for i in job_run.insights if validator.validate(i)] == []
    ids = [i["insight_id"] for i in job_run.insights]
    assert len(ids) == len(set(ids))
    assert {i["job_version"] for i in job_run.insights} == {"replay"}
