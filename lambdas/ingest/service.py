"""Ingests one batch: validate every event, enrich and append the valid ones, and say what became of each.

No AWS here: the event log, the validator and the clocks are injected, so tests, the benchmark and the
local runtime run the same code as the Lambda.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Protocol

import orjson

from events import EventValidator, FieldError, format_rfc3339
from events.timefmt import utc_now
from lambdas.ingest.enrichment import enriched_record, make_meta
from lambdas.ingest.event_log import EventLog, LogRecord, PutOutcome, RetryPolicy, put_records_with_retry
from lambdas.ingest.rejections import rejection_reason

LOG_UNAVAILABLE: Final = FieldError("", "log unavailable, retry")
"""The error of an event the log still refused after every retry: the producer should send it again."""
MAX_ECHOED_EVENT_ID_LENGTH: Final = 64
DEFAULT_RETRY_POLICY: Final = RetryPolicy()


class EventStatus(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class EventResult:
    """What became of the event at `index` of the request."""

    index: int
    event_id: str | None
    status: EventStatus
    errors: tuple[FieldError, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    results: list[EventResult]
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    put: PutOutcome = field(default_factory=PutOutcome)

    def count(self, status: EventStatus) -> int:
        return sum(1 for result in self.results if result.status is status)


class Validator(Protocol):
    def validate(
        self, event: Any, *, now: datetime | None = None, encoded: bytes | None = None
    ) -> list[FieldError]: ...


class IngestService:
    """Validates, enriches and appends batches of events to one `EventLog`."""

    def __init__(
        self,
        *,
        event_log: EventLog,
        validator: Validator | None = None,
        retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._log = event_log
        self._validator = validator or EventValidator()
        self._retry_policy = retry_policy
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._draw = draw

    def ingest(
        self,
        events: Sequence[Any],
        *,
        producer: str,
        request_id: str,
        time_budget_seconds: float | None = None,
    ) -> BatchOutcome:
        """Every event gets a result; valid ones are appended (partition key `user_id`) with retries.

        `time_budget_seconds` caps the retrying (e.g. by the Lambda's remaining time); it never exceeds
        the retry policy's own budget.
        """
        now = self._clock()
        received_at = format_rfc3339(now)
        results: list[EventResult | None] = [None] * len(events)
        reasons: Counter[str] = Counter()
        records: list[LogRecord] = []
        positions: list[int] = []
        for index, event in enumerate(events):
            errors, encoded = self._check(event, now)
            if errors:
                results[index] = EventResult(
                    index, _echoed_event_id(event), EventStatus.REJECTED, tuple(errors)
                )
                reasons[rejection_reason(errors)] += 1
                continue
            meta = make_meta(received_at=received_at, producer=producer, request_id=request_id, index=index)
            records.append(LogRecord(event["user_id"], enriched_record(encoded, meta)))
            positions.append(index)
        put = self._append(records, time_budget_seconds) if records else PutOutcome()
        for record_number, index in enumerate(positions):
            failed = record_number in put.failed
            results[index] = EventResult(
                index,
                events[index]["event_id"],
                EventStatus.FAILED if failed else EventStatus.ACCEPTED,
                (LOG_UNAVAILABLE,) if failed else (),
            )
        return BatchOutcome([r for r in results if r is not None], dict(reasons), put)

    def _check(self, event: Any, now: datetime) -> tuple[list[FieldError], bytes]:
        if not isinstance(event, dict):
            return self._validator.validate(event, now=now), b""
        try:
            encoded = orjson.dumps(event)
        except orjson.JSONEncodeError as error:
            # orjson reads deeper nesting and wider integers than it writes; such an event cannot be stored.
            return [
                FieldError("", f"cannot be stored as JSON ({error}); flatten it or use smaller numbers")
            ], b""
        return self._validator.validate(event, now=now, encoded=encoded), encoded

    def _append(self, records: list[LogRecord], time_budget_seconds: float | None) -> PutOutcome:
        policy = self._retry_policy
        if time_budget_seconds is not None and time_budget_seconds < policy.time_budget_seconds:
            policy = replace(policy, time_budget_seconds=max(time_budget_seconds, 0.0))
        return put_records_with_retry(
            self._log, records, policy=policy, clock=self._monotonic, sleep=self._sleep, draw=self._draw
        )


def _echoed_event_id(event: Any) -> str | None:
    """The producer's `event_id` to echo in a result, when it is a string of sensible length."""
    event_id = event.get("event_id") if isinstance(event, dict) else None
    if isinstance(event_id, str) and len(event_id) <= MAX_ECHOED_EVENT_ID_LENGTH:
        return event_id
    return None
