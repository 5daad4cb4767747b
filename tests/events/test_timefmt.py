"""RFC 3339 parsing and formatting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


def _formatted_through_datetime(millis: int) -> str:
    """The reference: exact datetime arithmetic (no float seconds), then strftime."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@given(st.integers(min_value=0, max_value=253_402_300_799_999))
def test_epoch_millis_format_as_datetime_would_format_them(millis: int) -> None:
    # The integer fast path (days since 1970 up to 9999) and exact datetime arithmetic agree on every instant.
    assert format_rfc3339(millis) == _formatted_through_datetime(millis)


@given(st.integers(min_value=0, max_value=2**32 * 1000))
def test_the_fast_path_formats_what_the_float_path_formatted_before_it(millis: int) -> None:
    # Up to 2106 the earlier float path (seconds as a double) was exact: nothing the job emits changed.
    moment = datetime.fromtimestamp(millis / 1000, tz=UTC)
    assert (
        format_rfc3339(millis) == moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


@pytest.mark.parametrize(
    "millis", [0, 999, 1000, 86_399_999, 86_400_000, -1, -86_400_001, 951_782_400_000, 253_402_300_799_999]
)
def test_epoch_millis_at_day_and_range_edges(millis: int) -> None:
    assert format_rfc3339(millis) == _formatted_through_datetime(millis)


@given(st.datetimes(timezones=st.timezones()))
def test_aware_datetimes_format_as_strftime_formats_them_in_utc(moment: datetime) -> None:
    utc = moment.astimezone(UTC)
    assert format_rfc3339(moment) == utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
