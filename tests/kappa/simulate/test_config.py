"""Simulation options: duration and start parsing, and the plain-words errors for values we cannot use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kappa.simulate import SimulationConfig, SimulationOptionError, parse_duration, parse_start


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("1h", 3600),
        ("2d", 172800),
        ("1h30m", 5400),
        ("1.5h", 5400),
        (" 2M ", 120),
    ],
)
def test_durations_are_read_with_their_unit(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "90", "h", "1x", "1h-5m", "-1h", "1h 30"])
def test_a_duration_without_a_unit_or_with_junk_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration; use a number with a unit s, m, h or d"):
        parse_duration(text)


def test_start_is_now_or_an_rfc3339_time_in_utc_to_the_millisecond() -> None:
    now = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)
    assert parse_start("now", now=now) == datetime(2026, 11, 25, 12, 0, 0, 123000, tzinfo=UTC)
    assert parse_start("2026-03-01T10:00:00+02:00", now=now) == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="use 'now' or an RFC 3339 timestamp"):
        parse_start("yesterday", now=now)
    with pytest.raises(ValueError, match="use 'now' or an RFC 3339 timestamp"):
        parse_start("2026-03-01T10:00:00", now=now)


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({"users": 0}, "users", "at least 1"),
        ({"duration_seconds": 5}, "duration_seconds", "between 10 seconds"),
        ({"abandon_after_minutes": 0}, "abandon_after_minutes", "more than 0"),
        ({"max_disorder_seconds": -1}, "max_disorder_seconds", "between 0 and 300"),
        ({"duplicate_rate": 0.9}, "duplicate_rate", "share between 0 and 0.5"),
        ({"out_of_order_rate": -0.1}, "out_of_order_rate", "share between 0 and 0.5"),
        ({"trends": 51}, "trends", "between 0 and 50 for 1000 products"),
        ({"trend_multiplier": 0.5}, "trend_multiplier", "between 1 and 100"),
        ({"time_scale": 0}, "time_scale", "between 0.001 and 1000"),
        ({"currency": "euro"}, "currency", "3-letter code"),
    ],
)
def test_unusable_options_are_refused_naming_the_option(options: dict, field: str, words: str) -> None:
    with pytest.raises(SimulationOptionError, match=words) as caught:
        SimulationConfig(**options)
    assert caught.value.option == field


def test_the_config_knows_its_span_in_epoch_milliseconds() -> None:
    config = SimulationConfig(start=datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC), duration_seconds=90)
    assert config.start_ms == 1_767_225_600_123
    assert config.end_ms - config.start_ms == 90_000
    assert config.abandon_after_ms == 30 * 60_000
