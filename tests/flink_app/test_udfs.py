"""The UDF adapters called directly: counters in the `kinesisanalytics` group, rows in, insight JSON out."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from events import InsightValidator
from flink_app.settings import settings_from_properties
from flink_app.udfs import (
    METRIC_GROUP,
    DuplicateStatsRecord,
    LateEventRecord,
    MetricsInsight,
)

T0 = 1_767_225_600_000
MINUTE = 60_000


class FakeCounter:
    def __init__(self, counts: Counter, name: str) -> None:
        self.counts, self.name = counts, name

    def inc(self, n: int = 1) -> None:
        self.counts[self.name] += n


class FakeGroup:
    def __init__(self, counts: Counter, path: tuple[str, ...] = ()) -> None:
        self.counts, self.path = counts, path

    def add_group(self, name: str) -> FakeGroup:
        return FakeGroup(self.counts, (*self.path, name))

    def counter(self, name: str) -> FakeCounter:
        return FakeCounter(self.counts, ".".join((*self.path, name)))


class FakeContext:
    def __init__(self) -> None:
        self.counts: Counter = Counter()

    def get_metric_group(self) -> FakeGroup:
        return FakeGroup(self.counts)


@pytest.fixture
def settings():
    return settings_from_properties(
        {
            "job": {"job_version": "v9"},
            "source": {"type": "files", "files.path": "/in"},
            "sink": {"type": "files", "files.path": "/out"},
            "analytics": {"recommendation.top_k": "2", "recommendation.min_support": "1.0"},
        }
    )


def opened(function, context: FakeContext):
    function.open(context)
    return function


def test_metrics_insight_counts_in_the_kinesisanalytics_group(settings) -> None:
    context = FakeContext()
    function = opened(MetricsInsight(settings), context)
    line = function.eval(T0, T0 + MINUTE, 1, 2, 0, 0, 0, 0, 0, 3, 3, 2, 0, 0, 0, None)
    insight = json.loads(line)
    assert InsightValidator().validate(insight) == []
    assert insight["job_version"] == "v9"
    assert context.counts == {f"{METRIC_GROUP}.insights_metrics": 1}


def test_late_and_duplicate_counters() -> None:
    context = FakeContext()
    late = opened(LateEventRecord(), context)
    record = json.loads(
        late.eval("e1", "search", "2026-01-01T00:00:00Z", "u", "s", T0, "2026-01-01T00:05:00.000Z")
    )
    assert record["event_id"] == "e1"
    stats = opened(DuplicateStatsRecord(), context)
    assert json.loads(stats.eval(T0, MINUTE, 105, 100))["duplicates"] == 5
    stats.eval(T0 + MINUTE, MINUTE, 50, 50)
    assert context.counts == {f"{METRIC_GROUP}.late_events": 1, f"{METRIC_GROUP}.duplicate_events": 5}
