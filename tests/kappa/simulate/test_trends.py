"""Planted trends: a trending product's views and cart adds jump inside its window."""

from __future__ import annotations

from events import to_epoch_millis
from tests.kappa.simulate.conftest import Run


def _rates(
    run: Run, product_id: str, event_type: str, start_ms: int, end_ms: int
) -> tuple[float, float, int]:
    inside = outside = 0
    for event in run.unique_events:
        if event["event_type"] == event_type and event["product"]["product_id"] == product_id:
            if start_ms <= to_epoch_millis(event["occurred_at"]) < end_ms:
                inside += 1
            else:
                outside += 1
    window = end_ms - start_ms
    rest = run.config.end_ms - run.config.start_ms - window
    return inside / window, outside / rest, inside


def test_trending_products_are_viewed_several_times_more_often_in_their_window(statistics_run: Run) -> None:
    trends = statistics_run.truth.trends
    assert len(trends) == 3
    for trend in trends:
        # GIVEN a planted trend (multiplier 8)
        assert trend.multiplier == 8.0
        start, end = to_epoch_millis(trend.start), to_epoch_millis(trend.end)
        # WHEN we compare its view rate inside the window with its rate outside
        inside, outside, views = _rates(statistics_run, trend.product_id, "product_view", start, end)
        # THEN it is several times higher
        assert views >= 30, trend
        assert inside >= 4 * outside, trend


def test_trending_products_are_also_added_to_carts_more_often(statistics_run: Run) -> None:
    inside_total = outside_total = 0.0
    for trend in statistics_run.truth.trends:
        inside, outside, _ = _rates(
            statistics_run,
            trend.product_id,
            "add_to_cart",
            to_epoch_millis(trend.start),
            to_epoch_millis(trend.end),
        )
        inside_total += inside
        outside_total += outside
    assert inside_total >= 3 * outside_total


def test_trend_windows_lie_inside_the_span_after_a_baseline(any_run: Run) -> None:
    start, end = any_run.config.start_ms, any_run.config.end_ms
    for trend in any_run.truth.trends:
        window_start, window_end = to_epoch_millis(trend.start), to_epoch_millis(trend.end)
        assert start + 0.3 * (end - start) <= window_start < window_end <= end
