"""RFC 3339 timestamps as the contract uses them: parse strictly, format in UTC with milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime


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


def format_rfc3339(moment: datetime | int) -> str:
    """Format a datetime or epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC)."""
    if isinstance(moment, int):
        moment = datetime.fromtimestamp(moment / 1000, tz=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_now() -> datetime:
    """The current time in UTC (one place to replace in tests)."""
    return datetime.now(tz=UTC)
