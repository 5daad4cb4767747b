"""The retry schedule: Standard Webhooks delays, jitter, Retry-After, and the end of the schedule."""

from __future__ import annotations

import random

import pytest

from lambdas.fanout.retry_schedule import MAX_RETRY_AFTER_SECONDS, STANDARD_DELAYS_SECONDS, RetrySchedule

HOUR = 3600


def test_the_standard_schedule_is_immediately_then_5s_5m_30m_2h_5h_10h_14h_20h_24h() -> None:
    schedule = RetrySchedule(jitter=0)
    delays = [schedule.delay_after(attempt) for attempt in range(1, 10)]
    assert delays == [5, 300, 1800, 2 * HOUR, 5 * HOUR, 10 * HOUR, 14 * HOUR, 20 * HOUR, 24 * HOUR]
    assert schedule.max_attempts == 10
    assert schedule.delay_after(10) is None
    assert sum(STANDARD_DELAYS_SECONDS) / HOUR == pytest.approx(75.585, abs=0.01)


def test_jitter_spreads_delays_within_ten_percent() -> None:
    schedule = RetrySchedule(rng=random.Random(7))
    samples = [schedule.delay_after(3) for _ in range(500)]
    assert all(1620 <= s <= 1980 for s in samples)
    assert len({round(s) for s in samples}) > 100


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [(None, 5.0), (1.0, 5.0), (120.0, 120.0), (10 * 24 * HOUR, float(MAX_RETRY_AFTER_SECONDS))],
)
def test_retry_after_is_honoured_when_longer_and_capped_at_a_day(
    retry_after: float | None, expected: float
) -> None:
    assert RetrySchedule(jitter=0).delay_after(1, retry_after=retry_after) == expected


def test_a_custom_schedule_comes_from_text_and_bad_text_is_explained() -> None:
    assert RetrySchedule.from_text("1,2").delays == (1.0, 2.0)
    assert RetrySchedule.from_text(None).delays == STANDARD_DELAYS_SECONDS
    with pytest.raises(ValueError, match="comma-separated seconds"):
        RetrySchedule.from_text("5s,10s")
