"""The cached `occurred_at` formatter writes exactly what `events.format_rfc3339` writes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from events import format_rfc3339
from kappa.simulate.timestamps import TimestampFormatter

_FORMATTER = TimestampFormatter()


@given(st.integers(min_value=0, max_value=4_102_444_800_000))
def test_formatting_matches_the_contract_formatter(epoch_ms: int) -> None:
    assert _FORMATTER(epoch_ms) == format_rfc3339(epoch_ms)


def test_milliseconds_are_padded_and_times_are_utc() -> None:
    assert _FORMATTER(1_767_225_600_007) == "2026-01-01T00:00:00.007Z"
    assert _FORMATTER(1_767_225_599_999) == "2025-12-31T23:59:59.999Z"
