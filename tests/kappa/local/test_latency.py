"""End-to-end latency is measured from the first event that made an insight possible."""

from __future__ import annotations

from kappa.local.latency import EventTimeIndex, LatencySample, decidable_at_ms


def test_first_received_at_is_the_first_event_at_or_past_the_event_time() -> None:
    index = EventTimeIndex()
    index.observe(occurred_at_ms=1_000, received_at_ms=10_000)
    index.observe(occurred_at_ms=900, received_at_ms=10_100)  # late event: no new high-water mark
    index.observe(occurred_at_ms=5_000, received_at_ms=10_500)
    index.observe(occurred_at_ms=9_000, received_at_ms=11_000)
    assert index.first_received_at(1_000) == 10_000
    assert index.first_received_at(1_001) == 10_500
    assert index.first_received_at(5_000) == 10_500
    assert index.first_received_at(8_000) == 11_000
    assert index.first_received_at(9_001) is None


def test_percentiles_use_nearest_rank() -> None:
    sample = LatencySample()
    assert sample.percentile(0.5) is None
    for value in [5.0, 1.0, 3.0, 2.0, 4.0]:
        sample.add(value)
    assert sample.percentile(0.5) == 3.0
    assert sample.percentile(0.99) == 5.0
    assert len(sample) == 5


def test_session_summary_is_decidable_only_after_its_gap() -> None:
    delays = {"session_summary": 60_000}
    summary = {"type": "session_summary", "occurred_at": "2026-11-25T12:00:00.000Z"}
    trend = {"type": "trending_product", "occurred_at": "2026-11-25T12:00:00.000Z"}
    assert decidable_at_ms(summary, delays) - decidable_at_ms(trend, delays) == 60_000
