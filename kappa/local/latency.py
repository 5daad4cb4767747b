"""End-to-end latency of insights: from the moment the API received the event that made an insight
possible to the moment its webhook arrived.

An insight carries its event time (`occurred_at`), not the ids of the events behind it. What the
pipeline can know is when the first event at or past that event time was received (its
`_meta.received_at`, stamped by the ingestion Lambda): before that moment no stage could have produced
the insight. For an insight triggered by one event (a recommendation after a purchase) that is exactly
the triggering event; for window and timer insights (trending products, abandoned carts) it is the
event that closed the window, so the watermark's allowed lateness is honestly part of the figure.

Most insights carry the moment they became decidable as `occurred_at` (a window's end, the time a cart
counts as abandoned, the event that triggered a recommendation). A session summary carries the
session's last activity: it becomes decidable only once the inactivity gap has passed, so the gap is
added (`decision_delays`).
"""

from __future__ import annotations

import bisect
import math
import threading

from events import to_epoch_millis


class EventTimeIndex:
    """A step function: the highest event time the API had received by each wall-clock moment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._high_water: list[int] = []
        self._received_at: list[int] = []

    def observe(self, occurred_at_ms: int, received_at_ms: int) -> None:
        """Record one accepted event (feed them roughly in the order they were received)."""
        with self._lock:
            if self._high_water and occurred_at_ms <= self._high_water[-1]:
                return
            if self._received_at and received_at_ms < self._received_at[-1]:
                received_at_ms = self._received_at[-1]
            self._high_water.append(occurred_at_ms)
            self._received_at.append(received_at_ms)

    def first_received_at(self, event_time_ms: int) -> int | None:
        """When the API first held an event at or past `event_time_ms`, None if it never did."""
        with self._lock:
            position = bisect.bisect_left(self._high_water, event_time_ms)
            return self._received_at[position] if position < len(self._received_at) else None


class LatencySample:
    """Latencies in seconds with percentiles (nearest rank)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: list[float] = []

    def add(self, seconds: float) -> None:
        with self._lock:
            bisect.insort(self._values, seconds)

    def __len__(self) -> int:
        return len(self._values)

    def percentile(self, share: float) -> float | None:
        with self._lock:
            if not self._values:
                return None
            rank = max(1, math.ceil(share * len(self._values)))
            return self._values[rank - 1]


def decidable_at_ms(insight: dict[str, object], decision_delays: dict[str, int]) -> int:
    """Event time at which the job could know this insight: `occurred_at` plus the type's delay."""
    occurred = to_epoch_millis(str(insight["occurred_at"]))
    return occurred + decision_delays.get(str(insight.get("type")), 0)
