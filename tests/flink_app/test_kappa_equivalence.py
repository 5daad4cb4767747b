"""Kappa equivalence: the stream job's per-minute metrics and session summaries equal a batch computation
(pandas, tests/flink_app/reference.py) over the same log, exactly."""

from __future__ import annotations

import pytest

from tests.flink_app.reference import metrics_by_window, sessions, unique_events

pytestmark = [pytest.mark.slow, pytest.mark.flink]


def test_per_minute_metrics_equal_the_batch_computation(job_run, simulated_log) -> None:
    # GIVEN the simulator's log (duplicates and late deliveries included) WHEN the job and pandas both run
    expected = metrics_by_window(unique_events(simulated_log.events))
    actual = {i["payload"]["window_start"]: i["payload"] for i in job_run.of_type("metrics")}
    # THEN every minute has the same numbers, and there are as many minutes
    assert len(actual) == len(expected) == 60
    assert actual == expected


def test_session_summaries_equal_the_batch_computation(job_run, simulated_log) -> None:
    expected = sessions(unique_events(simulated_log.events), gap_minutes=30)
    actual = {
        (i["user_id"], i["payload"]["session_id"], i["payload"]["started_at"]): i["payload"]
        for i in job_run.of_type("session_summary")
    }
    assert len(job_run.of_type("session_summary")) == len(actual)
    assert actual == expected


def test_no_event_was_late_or_lost(job_run, simulated_log) -> None:
    # The simulator delays deliveries by at most 5 s; the watermark allows 10 s: nothing may be late.
    assert job_run.late == []
    events = unique_events(simulated_log.events)
    assert sum(i["payload"]["events"] for i in job_run.of_type("metrics")) == len(events)
