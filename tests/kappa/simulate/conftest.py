"""Shared simulation runs (session scope: each is generated once for the whole test session)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from kappa.simulate import Simulation, SimulationConfig, Truth, simulate, write_ndjson
from tests.kappa.simulate.ingestion_stub import Answer, IngestionStub


@dataclass(frozen=True)
class Run:
    config: SimulationConfig
    simulation: Simulation
    ndjson: bytes
    events: list[dict[str, Any]]
    truth: Truth

    @property
    def unique_events(self) -> list[dict[str, Any]]:
        seen: set[str] = set()
        unique = []
        for event in self.events:
            if event["event_id"] not in seen:
                seen.add(event["event_id"])
                unique.append(event)
        return unique


def generate(config: SimulationConfig) -> Run:
    simulation = simulate(config)
    buffer = io.BytesIO()
    write_ndjson(simulation.deliveries(), buffer)
    data = buffer.getvalue()
    return Run(config, simulation, data, [orjson.loads(line) for line in data.splitlines()], simulation.truth)


DEFAULT = SimulationConfig(seed=1, users=1000)
LIVE_DEMO = SimulationConfig(
    seed=5,
    users=300,
    duration_seconds=120,
    start=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    abandon_after_minutes=1,
    time_scale=30,
)
"""What a two-minute live demo runs: compressed shoppers, one-minute abandonment."""
TINY_SPAN = SimulationConfig(seed=9, users=200, duration_seconds=90)
"""Sessions longer than the span are squeezed into it."""
MESSY_DELIVERY = SimulationConfig(
    seed=11,
    users=400,
    duration_seconds=1800,
    out_of_order_rate=0.2,
    duplicate_rate=0.1,
    max_disorder_seconds=30,
)
"""Lots of late and duplicate deliveries: the truth must not change because of them."""
EXTREME = SimulationConfig(
    seed=13, users=300, duration_seconds=10, time_scale=1000, abandon_after_minutes=0.05
)
"""Millisecond think times and a three-second abandonment window in a ten-second span."""
STATISTICS = SimulationConfig(seed=2, users=5000, duration_seconds=7200)
"""Enough orders and views for the planted patterns to stand out from noise."""

CONFIGS = {
    "default": DEFAULT,
    "live-demo": LIVE_DEMO,
    "tiny-span": TINY_SPAN,
    "messy-delivery": MESSY_DELIVERY,
    "extreme": EXTREME,
}


@pytest.fixture(scope="session")
def runs() -> dict[str, Run]:
    return {name: generate(config) for name, config in CONFIGS.items()}


@pytest.fixture(scope="session")
def default_run(runs: dict[str, Run]) -> Run:
    return runs["default"]


@pytest.fixture(scope="session")
def statistics_run() -> Run:
    return generate(STATISTICS)


@pytest.fixture(params=sorted(CONFIGS))
def any_run(request: pytest.FixtureRequest, runs: dict[str, Run]) -> Run:
    return runs[request.param]


@pytest.fixture
def stub_factory() -> Iterator[Callable[[Answer], IngestionStub]]:
    """Start ingestion stubs on free loopback ports; all are stopped after the test."""
    started: list[IngestionStub] = []

    def start(answer: Answer) -> IngestionStub:
        stub = IngestionStub(answer)
        stub.thread.start()
        started.append(stub)
        return stub

    yield start
    for stub in started:
        stub.server.shutdown()
        stub.server.server_close()
