"""RFC 3339 timestamps as the contract uses them: parse strictly, format in UTC with milliseconds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

_EPOCH_DATE = date(1970, 1, 1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MILLISECOND = timedelta(milliseconds=1)


def parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 timestamp that carries an offset; raise ValueError otherwise.

    >>> parse_rfc3339("2026-11-25T12:00:00.5Z").isoformat()
    '2026-11-25T12:00:00.500000+00:00'
    """
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    # datetime.fromisoformat takes at most 6 fractional digits; RFC 3339 allows more.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    parsed = datetime.fromisoformat(text.replace("t", "T"))
    if parsed.tzinfo is None:
        raise ValueError("timestamp has no timezone offset")
    return parsed


def to_epoch_millis(value: str) -> int:
    """Event-time milliseconds since the epoch for an RFC 3339 string."""
    return int(parse_rfc3339(value).timestamp() * 1000)


_MILLIS_PER_DAY = 86_400_000
_FAST_DAYS = range(0, 2_932_897)
"""Days since the epoch whose date `_date_prefix` formats: 1970-01-01 to 9999-12-31."""


def format_rfc3339(moment: datetime | int) -> str:
    """Format a datetime or epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC)."""
    # The Flink job formats several timestamps per insight: integer arithmetic and one cached date string per
    # day cost half of going through datetime and strftime (same text, tested against it). Instants before
    # 1970 and naive datetimes take the datetime path.
    if isinstance(moment, int):
        fast = _format_epoch_millis(moment)
        if fast is not None:
            return fast
        moment = datetime.fromtimestamp(moment / 1000, tz=UTC)
    elif moment.tzinfo is not None:
        fast = _format_epoch_millis((moment - _EPOCH) // _ONE_MILLISECOND)
        if fast is not None:
            return fast
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _format_epoch_millis(millis: int) -> str | None:
    """The text of an instant from 1970 to 9999 given in epoch milliseconds; None outside that range."""
    day, millis_of_day = divmod(millis, _MILLIS_PER_DAY)
    if day not in _FAST_DAYS:
        return None
    seconds, millis = divmod(millis_of_day, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{_date_prefix(day)}{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


@lru_cache(maxsize=1024)
def _date_prefix(day: int) -> str:
    """`YYYY-MM-DDT` of a day counted from the epoch."""
    date = _EPOCH_DATE + timedelta(days=day)
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}T"


def utc_now() -> datetime:
    """The current time in UTC (one place to replace in tests)."""
    return datetime.now(tz=UTC)
