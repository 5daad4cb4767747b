"""Running one invocation's deliveries in parallel while isolating each subscriber ("lanes").

Jobs are grouped by subscriber; each subscriber gets at most `lanes_per_subscriber` workers on the shared
thread pool, and each worker takes that subscriber's jobs one after another. A hanging endpoint therefore
holds at most its own lanes for one timeout, never the whole pool; once it fails or throttles, its
`SubscriberGate` is closed and the lanes drain its remaining jobs to the retry queue without sending.
Lanes are submitted round-robin (every subscriber's first lane before anyone's second), so a subscriber
with many jobs does not delay the others.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Job = TypeVar("Job")


@dataclass
class SubscriberGate:
    """One subscriber's state within one invocation."""

    paused_reason: str | None = None
    """Set after a timeout, connection failure or throttle: the other jobs are not sent now."""
    resume_after_seconds: float = 0.0
    disabled_reason: str | None = None
    """Set after 410 Gone: the other jobs go to the dead-letter queue."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def pause(self, reason: str, resume_after_seconds: float) -> None:
        with self._lock:
            self.paused_reason = reason
            self.resume_after_seconds = max(self.resume_after_seconds, resume_after_seconds)

    def disable(self, reason: str) -> None:
        with self._lock:
            self.disabled_reason = reason


class LaneDispatcher(Generic[Job]):
    def __init__(self, executor: Executor, *, lanes_per_subscriber: int = 4) -> None:
        if lanes_per_subscriber < 1:
            raise ValueError("lanes_per_subscriber must be at least 1")
        self._executor = executor
        self._lanes = lanes_per_subscriber

    def run(
        self,
        jobs: Sequence[Job],
        *,
        subscriber_of: Callable[[Job], str],
        work: Callable[[Job, SubscriberGate], None],
    ) -> None:
        """Run `work(job, gate)` for every job; returns when all are done. `work` should not raise."""
        queues: dict[str, deque[Job]] = {}
        for job in jobs:
            queues.setdefault(subscriber_of(job), deque()).append(job)
        gates = {subscriber: SubscriberGate() for subscriber in queues}
        futures: list[Future[None]] = []
        for lane in range(self._lanes):
            for subscriber, queue in queues.items():
                if lane < len(queue):
                    futures.append(self._executor.submit(_drain, queue, gates[subscriber], work))
        errors = [future.exception() for future in futures]
        for error in errors:
            if error is not None:
                raise error


def _drain(queue: deque[Job], gate: SubscriberGate, work: Callable[[Job, SubscriberGate], None]) -> None:
    while True:
        try:
            job = queue.popleft()
        except IndexError:
            return
        work(job, gate)
