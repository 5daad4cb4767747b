"""RFC 3339 parsing and formatting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from events import format_rfc3339, parse_rfc3339, to_epoch_millis


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-25T12:00:00Z", datetime(2026, 11, 25, 12, tzinfo=UTC)),
        ("2026-11-25T13:00:00+01:00", datetime(2026, 11, 25, 12, tzinfo=UTC)),
        ("2026-11-25t12:00:00.123456789z", datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_parse_accepts_offsets_and_long_fractions(text: str, expected: datetime) -> None:
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize("text", ["2026-11-25T12:00:00", "2026-13-01T00:00:00Z", "soon"])
def test_parse_rejects_missing_offset_and_impossible_dates(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rfc3339(text)


def test_format_is_utc_with_milliseconds_and_round_trips_epoch_millis() -> None:
    assert format_rfc3339(datetime(2026, 11, 25, 13, 0, 0, 5000, tzinfo=UTC)) == "2026-11-25T13:00:00.005Z"
    assert format_rfc3339(to_epoch_millis("2026-11-25T13:00:00.005+00:00")) == "2026-11-25T13:00:00.005Z"
