"""What a simulation run is asked to do: the validated, immutable `SimulationConfig` and its option parsers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from events import parse_rfc3339

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
"""Fixed start of event time for file output, so that the same options give the same bytes."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class SimulationOptionError(ValueError):
    """A simulation option has a value we cannot use; `option` names the `SimulationConfig` field."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


def parse_duration(text: str) -> float:
    """Seconds in a duration such as `90s`, `30m`, `1h`, `2d` or `1h30m`.

    >>> parse_duration("1h30m")
    5400.0
    """
    compact = text.strip().lower().replace(" ", "")
    position, seconds = 0, 0.0
    for match in _DURATION_PART.finditer(compact):
        if match.start() != position:
            break
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not compact or position != len(compact):
        raise ValueError(
            f"{text!r} is not a duration; use a number with a unit s, m, h or d, e.g. 90s, 30m, 1h, 2d"
        )
    return seconds


def parse_start(text: str, *, now: datetime) -> datetime:
    """`now` (given) or an RFC 3339 timestamp with a timezone, in UTC truncated to milliseconds."""
    if text.strip().lower() == "now":
        moment = now
    else:
        try:
            moment = parse_rfc3339(text)
        except ValueError:
            raise ValueError(
                f"{text!r} is not a start time; use 'now' or an RFC 3339 timestamp such as 2026-01-01T00:00:00Z"
            ) from None
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """Everything that determines a run: the same config always yields byte-identical events and truth.

    Time options are event time. `time_scale` divides think times and session lengths (not
    `abandon_after_minutes`), so a short live demo still shows abandoned carts.
    """

    seed: int = 1
    users: int = 1000
    duration_seconds: float = 3600.0
    start: datetime = DEFAULT_START
    abandon_after_minutes: float = 30.0
    max_disorder_seconds: float = 5.0
    out_of_order_rate: float = 0.01
    duplicate_rate: float = 0.005
    trends: int = 3
    trend_multiplier: float = 8.0
    affinities: int = 6
    products: int = 1000
    time_scale: float = 1.0
    currency: str = "EUR"

    def __post_init__(self) -> None:
        _require(self.users >= 1, "users", f"must be at least 1 (got {self.users})")
        _require(self.users <= 5_000_000, "users", f"must be at most 5,000,000 (got {self.users})")
        _require(
            10 <= self.duration_seconds <= 366 * 86400,
            "duration_seconds",
            f"must be between 10 seconds and 366 days (got {self.duration_seconds:g} s)",
        )
        _require(self.start.tzinfo is not None, "start", "must carry a timezone (use UTC, e.g. ...Z)")
        _require(
            0 < self.abandon_after_minutes <= 7 * 24 * 60,
            "abandon_after_minutes",
            f"must be more than 0 and at most 10080 minutes (got {self.abandon_after_minutes:g})",
        )
        _require(
            0 <= self.max_disorder_seconds <= 300,
            "max_disorder_seconds",
            f"must be between 0 and 300 seconds (got {self.max_disorder_seconds:g})",
        )
        for name in ("out_of_order_rate", "duplicate_rate"):
            value = getattr(self, name)
            _require(0 <= value <= 0.5, name, f"must be a share between 0 and 0.5 (got {value:g})")
        _require(self.products >= 50, "products", f"must be at least 50 (got {self.products})")
        _require(self.products <= 100_000, "products", f"must be at most 100,000 (got {self.products})")
        _require(
            0 <= self.trends <= self.products // 20,
            "trends",
            f"must be between 0 and {self.products // 20} for {self.products} products (got {self.trends})",
        )
        _require(
            1 <= self.trend_multiplier <= 100,
            "trend_multiplier",
            f"must be between 1 and 100 (got {self.trend_multiplier:g})",
        )
        _require(
            0 <= self.affinities <= self.products // 20,
            "affinities",
            f"must be between 0 and {self.products // 20} for {self.products} products (got {self.affinities})",
        )
        _require(
            0.001 <= self.time_scale <= 1000,
            "time_scale",
            f"must be between 0.001 and 1000 (got {self.time_scale:g})",
        )
        _require(
            bool(re.fullmatch("[A-Z]{3}", self.currency)), "currency", "must be a 3-letter code such as EUR"
        )

    @property
    def start_ms(self) -> int:
        return (self.start - _EPOCH) // timedelta(milliseconds=1)

    @property
    def end_ms(self) -> int:
        return self.start_ms + round(self.duration_seconds * 1000)

    @property
    def abandon_after_ms(self) -> int:
        return round(self.abandon_after_minutes * 60_000)


def _require(condition: bool, option: str, message: str) -> None:
    if not condition:
        raise SimulationOptionError(option, message)
