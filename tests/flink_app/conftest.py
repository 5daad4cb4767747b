"""Session-scoped Flink runs over simulator logs: each job configuration runs once, every test reads it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.flink_app.jobs import ONE_HOUR_ANALYTICS, JobRun, prepare_python_environment, run_job


@dataclass
class SimulatedLog:
    events: Path
    truth: dict[str, Any]


def _simulate(directory: Path, **options: Any) -> SimulatedLog:
    from kappa.simulate import SimulationConfig, simulate, write_ndjson

    simulation = simulate(SimulationConfig(seed=1, users=1000, duration_seconds=3600, **options))
    events = directory / "events.ndjson"
    with events.open("wb") as stream:
        write_ndjson(simulation.deliveries(), stream)
    return SimulatedLog(events=events, truth=json.loads(json.dumps(simulation.truth.as_dict())))


@pytest.fixture(scope="session")
def simulated_log(tmp_path_factory: pytest.TempPathFactory) -> SimulatedLog:
    """One hour, 1,000 shoppers, with the simulator's duplicates and late deliveries."""
    return _simulate(tmp_path_factory.mktemp("sim"))


@pytest.fixture(scope="session")
def clean_log(simulated_log: SimulatedLog, tmp_path_factory: pytest.TempPathFactory) -> SimulatedLog:
    """The same log delivered cleanly: each event once, in event-time order (ids and bytes unchanged)."""
    seen: set[str] = set()
    lines = []
    for line in simulated_log.events.read_text().splitlines():
        event = json.loads(line)
        if event["event_id"] not in seen:
            seen.add(event["event_id"])
            lines.append((event["occurred_at"], line))
    lines.sort(key=lambda pair: pair[0])  # all UTC with milliseconds: text order is time order
    events = tmp_path_factory.mktemp("sim-clean") / "events.ndjson"
    events.write_text("".join(line + "\n" for _, line in lines))
    return SimulatedLog(events=events, truth=simulated_log.truth)


@pytest.fixture(scope="session")
def flink_environment(connector_jar: Path) -> None:
    """Thread-mode Python on the job's paths, and the job's jar (its Java functions) built once per session."""
    prepare_python_environment()


@pytest.fixture(scope="session")
def job_run(
    flink_environment, simulated_log: SimulatedLog, tmp_path_factory: pytest.TempPathFactory
) -> JobRun:
    return run_job(simulated_log.events, tmp_path_factory.mktemp("run-p1"), analytics=ONE_HOUR_ANALYTICS)


@pytest.fixture(scope="session")
def job_run_parallel(
    flink_environment, simulated_log: SimulatedLog, tmp_path_factory: pytest.TempPathFactory
) -> JobRun:
    return run_job(
        simulated_log.events, tmp_path_factory.mktemp("run-p2"), parallelism=2, analytics=ONE_HOUR_ANALYTICS
    )


@pytest.fixture(scope="session")
def job_run_clean(
    flink_environment, clean_log: SimulatedLog, tmp_path_factory: pytest.TempPathFactory
) -> JobRun:
    return run_job(clean_log.events, tmp_path_factory.mktemp("run-clean"), analytics=ONE_HOUR_ANALYTICS)
