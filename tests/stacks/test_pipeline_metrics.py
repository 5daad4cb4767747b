"""`MonitoredResources` refuses names that would break metric queries; metric factories name what they build."""

from __future__ import annotations

import dataclasses

import pytest

from stacks.constructs.pipeline_metrics import MonitoredResources, PipelineMetrics

NAMES = {
    field.name: f"kappa-test-{field.name.replace('_', '-')}"
    for field in dataclasses.fields(MonitoredResources)
}


@pytest.mark.parametrize("bad", ["", "   ", "it's", 'say "hi"'])
def test_empty_or_quoted_names_are_rejected_with_the_field_name(bad: str) -> None:
    with pytest.raises(ValueError, match=r"MonitoredResources\.raw_stream_name must"):
        MonitoredResources(**{**NAMES, "raw_stream_name": bad})


def test_every_field_is_required() -> None:
    with pytest.raises(TypeError, match="api_name"):
        MonitoredResources(**{key: value for key, value in NAMES.items() if key != "api_name"})


def test_counter_increases_use_one_id_per_counter_so_they_can_share_a_graph() -> None:
    metrics = PipelineMetrics(MonitoredResources(**NAMES))

    first = metrics.flink_increase("insights_cart_abandoned", "abandoned")
    second = metrics.flink_increase("late_events", "late")

    assert (
        first.expression
        == "IF(DIFF(total_insights_cart_abandoned) > 0, DIFF(total_insights_cart_abandoned), 0)"
    )
    assert set(first.using_metrics) != set(second.using_metrics)
