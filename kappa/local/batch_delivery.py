"""How an event source mapping carries one batch to the end, with Lambda's retry, bisect and discard rules.

Shared by the Kinesis and the MSK mapping stand-ins (AWS Lambda docs, "partial batch response",
"BisectBatchOnFunctionError", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "on-failure destinations"):
- records older than `max_record_age_seconds` are discarded before an invocation (`RecordAgeExceeded`);
- a valid partial batch response finishes the records before the failure and retries the rest;
- a function error, or an invalid `batchItemFailures`, is a function error: with bisect on, the batch is split
  in two and the halves are delivered in turn, without using up a retry;
- a retry waits an exponential backoff (capped); after `max_retry_attempts` retries the records are discarded
  (`RetryAttemptsExhausted`), their batch info goes to the on-failure destination and processing moves on.

A mapping supplies what depends on its source: the event, how a partial batch response splits a batch, a
record's age, and the on-failure document.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from kappa.local.aws_endpoint import LOCAL_ACCOUNT_ID
from kappa.local.function_host import Invocation

log = logging.getLogger(__name__)

R = TypeVar("R")
Outcome = Literal["processed", "discarded"]
INVALID_RESPONSE: Literal["invalid"] = "invalid"
"""What a mapping's `_item_failures` returns for a `batchItemFailures` that Lambda treats as a function error."""


@dataclass(frozen=True)
class StreamMappingSettings:
    """The event source mapping's configuration (names as in CreateEventSourceMapping)."""

    batch_size: int = 100
    max_batching_window_seconds: float = 1.0
    bisect_batch_on_function_error: bool = True
    report_batch_item_failures: bool = True
    max_retry_attempts: int = 3
    """-1 means retry until the records expire."""
    max_record_age_seconds: float = 3600.0
    """-1 means records never expire (locally)."""
    poll_seconds: float = 0.2
    idle_poll_seconds: float = 0.5
    """How often an empty shard is polled (Lambda polls an idle shard about once a second)."""
    retry_backoff_seconds: float = 0.5
    max_retry_backoff_seconds: float = 5.0


@dataclass
class StreamMappingStats:
    invocations: int = 0
    function_errors: int = 0
    partial_failures: int = 0
    records_processed: int = 0
    records_discarded: int = 0
    last_error: str | None = None
    failed_items: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PartialFailure(Generic[R]):
    """A valid partial batch response: the records it finished, those to retry, and the failed items' labels."""

    done: list[R]
    remaining: list[R]
    failed_items: list[str]


class BatchDelivery(ABC, Generic[R]):
    """Delivers batches of one source to one function; subclasses add the polling and the source's formats."""

    def __init__(
        self,
        invoke: Callable[[dict[str, Any]], Invocation],
        settings: StreamMappingSettings,
        *,
        source_name: str,
        function_name: str,
        on_failure: Callable[[dict[str, Any]], None] | None,
        on_checkpoint: Callable[[list[R], Outcome], None] | None,
    ) -> None:
        self._invoke = invoke
        self.settings = settings
        self.function_name = function_name
        self._source_name = source_name
        self._on_failure = on_failure
        self._on_checkpoint = on_checkpoint
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.stats = StreamMappingStats()

    @abstractmethod
    def _event(self, batch: list[R]) -> dict[str, Any]:
        """The event Lambda passes to the function for `batch`."""

    @abstractmethod
    def _item_failures(self, result: Any, batch: list[R]) -> PartialFailure[R] | Literal["invalid"] | None:
        """How a partial batch response splits `batch`; None when the whole batch succeeded."""

    @abstractmethod
    def _arrived_before(self, record: R, epoch_seconds: float) -> bool:
        """Whether `record` is older than `epoch_seconds` (for `max_record_age_seconds`)."""

    @abstractmethod
    def failure_record(
        self, records: list[R], condition: str, invocations: int, outcome: Invocation | None
    ) -> dict[str, Any]:
        """The document Lambda sends to an on-failure destination (metadata, not the records)."""

    def deliver(self, records: list[R], commit_done: Callable[[list[R]], None] | None = None) -> bool:
        """Process one batch to the end (success or discard), committing what is done; False if stopped first."""
        work: list[tuple[list[R], int]] = [(records, 0)]
        while work:
            batch, retries = work.pop(0)
            batch = self._discard_expired(batch, retries, commit_done)
            if not batch:
                continue
            if self._stop.is_set():
                return False
            outcome = self._invoke(self._event(batch))
            with self._lock:
                self.stats.invocations += 1
            failed = (
                self._item_failures(outcome.result, batch)
                if outcome.ok and self.settings.report_batch_item_failures
                else None
            )
            if outcome.ok and failed is None:
                self._done(batch, "processed", commit_done)
                continue
            if outcome.ok and isinstance(failed, PartialFailure):
                with self._lock:
                    self.stats.partial_failures += 1
                    self.stats.failed_items.extend(failed.failed_items)
                    del self.stats.failed_items[:-100]
                self._done(failed.done, "processed", commit_done)
                remaining = failed.remaining
            else:
                with self._lock:
                    self.stats.function_errors += 1
                    self.stats.last_error = (
                        f"{outcome.error_type}: {outcome.error_message}"
                        if not outcome.ok
                        else "invalid batchItemFailures"
                    )
                if self.settings.bisect_batch_on_function_error and len(batch) > 1:
                    middle = len(batch) // 2
                    work[:0] = [(batch[:middle], retries), (batch[middle:], retries)]
                    continue
                remaining = batch
            if 0 <= self.settings.max_retry_attempts <= retries:
                self._discard(remaining, "RetryAttemptsExhausted", retries + 1, outcome, commit_done)
                continue
            backoff = min(
                self.settings.max_retry_backoff_seconds, self.settings.retry_backoff_seconds * 2**retries
            )
            if self._stop.wait(backoff):
                return False
            work.insert(0, (remaining, retries + 1))
        return True

    def _discard_expired(
        self, batch: list[R], retries: int, commit_done: Callable[[list[R]], None] | None
    ) -> list[R]:
        if self.settings.max_record_age_seconds < 0:
            return batch
        oldest_allowed = time.time() - self.settings.max_record_age_seconds
        expired = [r for r in batch if self._arrived_before(r, oldest_allowed)]
        if expired:
            self._discard(expired, "RecordAgeExceeded", retries, None, commit_done)
        return [r for r in batch if not self._arrived_before(r, oldest_allowed)]

    def _done(
        self, records: list[R], outcome: Outcome, commit_done: Callable[[list[R]], None] | None
    ) -> None:
        if not records:
            return
        if commit_done is not None:
            commit_done(records)
        with self._lock:
            if outcome == "processed":
                self.stats.records_processed += len(records)
            else:
                self.stats.records_discarded += len(records)
        if self._on_checkpoint is not None:
            self._on_checkpoint(records, outcome)

    def _discard(
        self,
        records: list[R],
        condition: str,
        invocations: int,
        outcome: Invocation | None,
        commit_done: Callable[[list[R]], None] | None,
    ) -> None:
        log.warning(
            "event source mapping %s → %s discarded %d record(s) (%s)",
            self._source_name,
            self.function_name,
            len(records),
            condition,
        )
        if self._on_failure is not None:
            self._on_failure(self.failure_record(records, condition, invocations, outcome))
        self._done(records, "discarded", commit_done)


def failure_envelope(
    *, function_name: str, region: str, condition: str, invocations: int, outcome: Invocation | None
) -> dict[str, Any]:
    """What every on-failure record of an event source mapping carries besides its batch info (Kinesis, MSK)."""
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"arn:aws:lambda:{region}:{LOCAL_ACCOUNT_ID}:function:{function_name}",
            "condition": condition,
            "approximateInvokeCount": invocations,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled" if outcome is not None and not outcome.ok else None,
        },
        "version": "1.0",
        "timestamp": datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def iso_timestamp(epoch_seconds: float) -> str:
    """Epoch seconds as Lambda writes times in on-failure records (UTC, milliseconds, `Z`)."""
    return (
        datetime.fromtimestamp(epoch_seconds, tz=UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )
