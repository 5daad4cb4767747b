"""Fast `occurred_at` strings: exactly `events.format_rfc3339`, with the per-second prefix cached."""

from __future__ import annotations

from events import format_rfc3339

_CACHE_LIMIT = 200_000


class TimestampFormatter:
    """Formats epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).

    Formatting a datetime costs microseconds per event; events of one second share a prefix, so the
    generator formats each second once and appends the milliseconds.
    """

    def __init__(self) -> None:
        self._prefixes: dict[int, str] = {}

    def __call__(self, epoch_ms: int) -> str:
        second, millis = divmod(epoch_ms, 1000)
        prefix = self._prefixes.get(second)
        if prefix is None:
            if len(self._prefixes) >= _CACHE_LIMIT:
                self._prefixes.clear()
            prefix = self._prefixes[second] = format_rfc3339(second * 1000)[:-4]
        return f"{prefix}{millis:03d}Z"
