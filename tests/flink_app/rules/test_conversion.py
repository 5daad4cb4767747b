"""The conversion-drop rule."""

from __future__ import annotations

import pytest

from flink_app.rules.conversion import ConversionDropRule

RULE = ConversionDropRule(window_minutes=15, baseline_minutes=120, drop_threshold=0.5, min_sessions=50)


@pytest.mark.parametrize(
    ("recent", "total", "history", "dropped"),
    [
        pytest.param((100, 2), (1000, 102), 120, True, id="2% against a 11% baseline"),
        pytest.param((100, 9), (1000, 109), 120, False, id="9% against 11% is within the threshold"),
        pytest.param((30, 0), (1000, 100), 120, False, id="too few sessions in the window"),
        pytest.param((100, 0), (130, 10), 120, False, id="too few sessions in the baseline"),
        pytest.param((100, 0), (1000, 100), 10, False, id="no history before the window"),
        pytest.param((100, 0), (1000, 0), 120, False, id="no baseline conversion to drop from"),
    ],
)
def test_conversion_drop_decision(recent, total, history, dropped) -> None:
    check = RULE.evaluate(
        recent_viewing=recent[0],
        recent_purchasing=recent[1],
        total_viewing=total[0],
        total_purchasing=total[1],
        history_minutes=history,
    )
    assert check.dropped is dropped


def test_drop_is_relative_to_the_baseline_excluding_the_window() -> None:
    check = RULE.evaluate(
        recent_viewing=100, recent_purchasing=5, total_viewing=1100, total_purchasing=105, history_minutes=120
    )
    assert check.baseline == pytest.approx(0.1)
    assert check.conversion == pytest.approx(0.05)
    assert check.drop == pytest.approx(0.5)
    assert check.dropped
