"""The metrics window's plan (flink_app/sql/metrics.py): every session count shares one distinct map."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flink_app.settings import settings_from_properties
from flink_app.sql.metrics import FUNNEL_STEPS, METRIC_WINDOWS, metrics_statements

pytestmark = [pytest.mark.slow, pytest.mark.flink]


def test_the_funnel_session_counts_filter_the_distinct_sessions_rather_than_distinct_a_case() -> None:
    (windows,) = metrics_statements(
        settings_from_properties(_groups(Path("/tmp/in"), Path("/tmp/out"))).analytics
    ).views
    for step in FUNNEL_STEPS:
        assert (
            f"COUNT(DISTINCT `session_id`) FILTER (WHERE `event_type` = '{step}') AS `{step}_sessions`"
            in (windows.query)
        )


def test_the_window_keeps_two_distinct_maps_users_and_sessions(flink_environment, tmp_path: Path) -> None:
    # GIVEN the job's views on a table environment (planned, not run)
    from flink_app.main import build_job, build_table_environment

    settings = settings_from_properties(_groups(tmp_path / "in", tmp_path / "out"))
    _env, t_env = build_table_environment(settings, local=True)
    build_job(t_env, settings)
    # WHEN the metrics window is planned
    plan = t_env.sql_query(f"SELECT * FROM `{METRIC_WINDOWS}`").explain()
    # THEN its aggregates keep one distinct map of users and one of sessions (active sessions and every funnel
    # step: a flag per filter), not one per funnel step (a map per distinct argument, six before): each map is
    # written per event in the local aggregate and per distinct value in the global one (RocksDB state there)
    local = next(
        line for line in plan.splitlines() if "LocalWindowAggregate" in line and "session_id" in line
    )
    assert sorted(re.findall(r"DISTINCT\(([^)]+)\)", local)) == ["session_id", "user_id"]


def _groups(source: Path, out: Path) -> dict[str, dict[str, str]]:
    return {
        "job": {"job_version": "test", "parallelism": "2", "checkpoint.dir": str(out / "checkpoints")},
        "source": {"type": "files", "files.path": str(source)},
        "sink": {"type": "files", "files.path": str(out / "insights")},
    }
