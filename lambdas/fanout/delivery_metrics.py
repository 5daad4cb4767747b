"""Counting one invocation's deliveries and publishing them as CloudWatch metrics (Powertools EMF).

The metric contract (namespace `KappaCommerce`, dimension `service=fanout`), used by the monitoring stack:

* `Deliveries` (Count) with dimension `outcome` ∈ delivered | retry_scheduled | failed_permanent |
  dead_lettered | subscription_disabled — one per delivery handled (an attempt, or a deferral).
* `DeliveryAttempts` (Count) — one value per HTTP request sent: its attempt number (1-10). SampleCount is
  the number of requests; Average and Maximum say how many tries deliveries are taking.
* `DeliveryLatency` (Milliseconds) — per attempt, request start to response read.
* `DuplicateDeliveriesSkipped` (Count) — already acknowledged or already attempted, so not sent again.
* `RetryHops` (Count) — retry messages re-queued because they were not yet due.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from aws_lambda_powertools import Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit

DeliveryOutcome = Literal[
    "delivered", "retry_scheduled", "failed_permanent", "dead_lettered", "subscription_disabled"
]
DELIVERY_OUTCOMES: tuple[DeliveryOutcome, ...] = (
    "delivered",
    "retry_scheduled",
    "failed_permanent",
    "dead_lettered",
    "subscription_disabled",
)
SERVICE = "fanout"


@dataclass
class DeliveryTally:
    """Thread-safe counters for one invocation."""

    outcomes: Counter[str] = field(default_factory=Counter)
    attempt_numbers: list[int] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    duplicates_skipped: int = 0
    retry_hops: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def outcome(self, name: DeliveryOutcome) -> None:
        with self._lock:
            self.outcomes[name] += 1

    @property
    def attempts(self) -> int:
        return len(self.attempt_numbers)

    def attempt(self, number: int, latency_ms: float) -> None:
        with self._lock:
            self.attempt_numbers.append(number)
            self.latencies_ms.append(latency_ms)

    def skipped(self, count: int = 1) -> None:
        with self._lock:
            self.duplicates_skipped += count

    def hop(self) -> None:
        with self._lock:
            self.retry_hops += 1


def publish(tally: DeliveryTally, metrics: Metrics) -> None:
    """Add the tally to `metrics` (flushed by its decorator) and emit one `Deliveries` per outcome."""
    for number in tally.attempt_numbers:
        metrics.add_metric(name="DeliveryAttempts", unit=MetricUnit.Count, value=number)
    for latency in tally.latencies_ms:
        metrics.add_metric(name="DeliveryLatency", unit=MetricUnit.Milliseconds, value=latency)
    if tally.duplicates_skipped:
        metrics.add_metric(
            name="DuplicateDeliveriesSkipped", unit=MetricUnit.Count, value=tally.duplicates_skipped
        )
    if tally.retry_hops:
        metrics.add_metric(name="RetryHops", unit=MetricUnit.Count, value=tally.retry_hops)
    for outcome, count in sorted(tally.outcomes.items()):
        # A metric set has one dimension set, so each outcome value is its own EMF document.
        with single_metric(
            name="Deliveries",
            unit=MetricUnit.Count,
            value=count,
            namespace=metrics.namespace,
            default_dimensions={"service": SERVICE, "outcome": outcome},
        ):
            pass
