"""The trending statistic."""

from __future__ import annotations

import pytest

from flink_app.rules.trending import TrendingRule

RULE = TrendingRule(
    window_minutes=10, baseline_minutes=60, threshold=3.0, min_views=20, min_history_minutes=30
)


@pytest.mark.parametrize(
    ("recent", "baseline_total", "history", "trending"),
    [
        pytest.param(60, 60 + 50, 60, True, id="6x the baseline rate with enough views"),
        pytest.param(25, 25 + 50, 60, False, id="2.5x the baseline is not enough"),
        pytest.param(15, 15, 60, False, id="below min_views even with no baseline"),
        pytest.param(40, 40, 20, False, id="not enough history (cold start)"),
        pytest.param(40, 40, 40, True, id="new product bursting after the warm-up"),
        pytest.param(500, 500 + 2500, 60, False, id="a best seller at its usual rate"),
    ],
)
def test_trending_decision(recent: int, baseline_total: int, history: float, trending: bool) -> None:
    assert (
        RULE.evaluate(recent=recent, baseline_total=baseline_total, history_minutes=history).trending
        is trending
    )


def test_expected_views_use_only_the_history_the_product_has() -> None:
    # GIVEN 40 minutes of history (30 of baseline besides the 10-minute window) with 30 baseline views
    score = RULE.evaluate(recent=30, baseline_total=60, history_minutes=40)
    # THEN the baseline rate is 1 view/minute, so 10 expected in the window
    assert score.expected == pytest.approx(10.0)
    assert score.score == pytest.approx(31 / 11)


def test_baseline_must_be_longer_than_window() -> None:
    with pytest.raises(ValueError, match="longer"):
        TrendingRule(window_minutes=10, baseline_minutes=10, threshold=3, min_views=1, min_history_minutes=0)
