"""When to try a failed delivery again: the Standard Webhooks schedule with jitter, honouring Retry-After.

Attempt 1 is immediate; after a retryable failure of attempt n the next comes `delays[n-1]` later
(±10 % jitter, so a subscriber that failed for many messages at once is not hit by all of them at the
same second). After the last attempt there is no delay: the message goes to the dead-letter queue.

    >>> RetrySchedule(jitter=0).delay_after(1)
    5.0
    >>> RetrySchedule(jitter=0).delay_after(10) is None
    True
"""

from __future__ import annotations

import random
from collections.abc import Sequence

STANDARD_DELAYS_SECONDS: tuple[float, ...] = (
    5,  # attempt 2
    5 * 60,  # 3
    30 * 60,  # 4
    2 * 3600,  # 5
    5 * 3600,  # 6
    10 * 3600,  # 7
    14 * 3600,  # 8
    20 * 3600,  # 9
    24 * 3600,  # 10
)
MAX_RETRY_AFTER_SECONDS = 24 * 3600
"""A subscriber's Retry-After is honoured up to one day; a longer one is treated as one day."""


class RetrySchedule:
    """The delays between attempts; `delays` may be shortened for tests and the local runtime."""

    def __init__(
        self,
        delays: Sequence[float] = STANDARD_DELAYS_SECONDS,
        *,
        jitter: float = 0.1,
        rng: random.Random | None = None,
    ) -> None:
        if any(delay < 0 for delay in delays):
            raise ValueError("retry delays must not be negative")
        self.delays = tuple(float(delay) for delay in delays)
        self._jitter = jitter
        self._rng = rng or random.Random()

    @classmethod
    def from_text(cls, text: str | None) -> RetrySchedule:
        """`"5,300,1800"` → those delays; empty/None → the standard schedule."""
        if not text:
            return cls()
        try:
            return cls(tuple(float(part) for part in text.split(",") if part.strip()))
        except ValueError:
            raise ValueError(f"retry schedule must be comma-separated seconds, got {text!r}") from None

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def delay_after(self, attempt: int, *, retry_after: float | None = None) -> float | None:
        """Seconds to wait after failed attempt `attempt` (1-based); None when it was the last one."""
        if attempt >= self.max_attempts:
            return None
        base = self.delays[attempt - 1]
        delay = base * (1 + self._rng.uniform(-self._jitter, self._jitter)) if self._jitter else base
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER_SECONDS))
        return delay
