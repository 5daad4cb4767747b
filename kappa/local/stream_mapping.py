"""The Kinesis event source mapping stand-in: batches from a stream to a function, with Lambda's semantics.

What it reproduces (AWS Lambda docs, "Kinesis event source mapping", "partial batch response",
"on-failure destinations"):
- batches of up to `batch_size` records per shard, gathered for at most `max_batching_window_seconds`;
  records of one shard are delivered in order, one batch at a time;
- `ReportBatchItemFailures`: an empty or null `batchItemFailures` is success; otherwise the mapping
  checkpoints before the lowest failed sequence number and retries from it; an empty, null or unknown
  `itemIdentifier` fails the whole batch;
- `BisectBatchOnFunctionError`: a function error splits the batch in two and retries the halves;
  splitting does not use up retry attempts;
- after `max_retry_attempts` retries (or once records are older than `max_record_age_seconds`) the
  records are discarded: their batch info goes to the on-failure destination and processing moves on.

Not reproduced: `ParallelizationFactor` (one batch per shard at a time; order is the same, only
throughput differs), enhanced fan-out, tumbling windows, filter criteria.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from kappa.local.aws_endpoint import LOCAL_ACCOUNT_ID, LOCAL_REGION
from kappa.local.function_host import Invocation
from kappa.local.kinesis_shards import ShardReader, StreamRecord, shard_ids, stream_arn

log = logging.getLogger(__name__)

Outcome = Literal["processed", "discarded"]
CheckpointObserver = Callable[[list[StreamRecord], Outcome], None]


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


def kinesis_event(
    records: list[StreamRecord], *, arn: str, region: str, function_name: str
) -> dict[str, Any]:
    """The event Lambda passes to a function for a batch of Kinesis records."""
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record.partition_key,
                    "sequenceNumber": record.sequence_number,
                    "data": base64.b64encode(record.data).decode(),
                    "approximateArrivalTimestamp": record.arrival,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{record.shard_id}:{record.sequence_number}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:role/{function_name}-role",
                "awsRegion": region,
                "eventSourceARN": arn,
            }
            for record in records
        ]
    }


def failed_index(result: Any, records: list[StreamRecord]) -> int | None:
    """Where to resume after a partial batch response: the index of the lowest failed record.

    None means the batch fully succeeded; -1 means the response itself is invalid, which Lambda
    treats as the whole batch failing.
    """
    if not isinstance(result, dict) or result.get("batchItemFailures") is None:
        return None
    failures = result["batchItemFailures"]
    if not isinstance(failures, list):
        return -1
    if not failures:
        return None
    positions = {record.sequence_number: index for index, record in enumerate(records)}
    indexes = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in positions:
            return -1
        indexes.append(positions[identifier])
    return min(indexes)


class KinesisEventSourceMapping:
    """Feeds one Kinesis stream to one function; one polling thread per shard."""

    def __init__(
        self,
        kinesis: Any,
        stream_name: str,
        invoke: Callable[[dict[str, Any]], Invocation],
        settings: StreamMappingSettings,
        *,
        function_name: str,
        on_failure: Callable[[dict[str, Any]], None] | None = None,
        on_checkpoint: CheckpointObserver | None = None,
        region: str = LOCAL_REGION,
    ) -> None:
        self._kinesis = kinesis
        self.stream_name = stream_name
        self._invoke = invoke
        self.settings = settings
        self.function_name = function_name
        self._on_failure = on_failure
        self._on_checkpoint = on_checkpoint
        self._region = region
        self._arn = ""
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.stats = StreamMappingStats()

    def start(self) -> KinesisEventSourceMapping:
        self._arn = stream_arn(self._kinesis, self.stream_name)
        for shard in shard_ids(self._kinesis, self.stream_name):
            reader = ShardReader(
                self._kinesis,
                self.stream_name,
                shard,
                poll_seconds=self.settings.poll_seconds,
                idle_poll_seconds=self.settings.idle_poll_seconds,
            )
            thread = threading.Thread(target=self._poll, args=(reader,), name=f"esm-{shard}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the invocation in flight; records not yet checkpointed stay unprocessed."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))

    def _poll(self, reader: ShardReader) -> None:
        pending: list[StreamRecord] = []
        waiting_since = 0.0
        window = self.settings.max_batching_window_seconds
        while not self._stop.is_set():
            if reader.due():
                try:
                    fresh = reader.read(limit=10_000)
                except Exception as error:
                    log.warning(
                        "event source mapping could not read %s/%s: %s",
                        self.stream_name,
                        reader.shard_id,
                        error,
                    )
                    self._stop.wait(1.0)
                    continue
                if fresh and not pending:
                    waiting_since = time.monotonic()
                pending.extend(fresh)
            while pending and (
                len(pending) >= self.settings.batch_size or time.monotonic() - waiting_since >= window
            ):
                batch, pending = pending[: self.settings.batch_size], pending[self.settings.batch_size :]
                if not self.deliver(batch):
                    return
                waiting_since = time.monotonic()
            wait = reader.seconds_until_due()
            if pending:
                wait = min(wait, window - (time.monotonic() - waiting_since))
            self._stop.wait(max(0.01, wait))

    def deliver(self, records: list[StreamRecord]) -> bool:
        """Process one batch to the end (success or discard); False if stopped before that."""
        work: list[tuple[list[StreamRecord], int]] = [(records, 0)]
        while work:
            batch, retries = work.pop(0)
            batch = self._discard_expired(batch, retries)
            if not batch:
                continue
            if self._stop.is_set():
                return False
            outcome = self._invoke(
                kinesis_event(batch, arn=self._arn, region=self._region, function_name=self.function_name)
            )
            with self._lock:
                self.stats.invocations += 1
            resume_at = (
                failed_index(outcome.result, batch)
                if outcome.ok and self.settings.report_batch_item_failures
                else None
            )
            if outcome.ok and resume_at is None:
                self._checkpoint(batch, "processed")
                continue
            if outcome.ok and resume_at is not None and resume_at >= 0:
                with self._lock:
                    self.stats.partial_failures += 1
                    self.stats.failed_items.append(batch[resume_at].sequence_number)
                    del self.stats.failed_items[:-100]
                self._checkpoint(batch[:resume_at], "processed")
                remaining = batch[resume_at:]
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
                self._discard(remaining, "RetryAttemptsExhausted", retries + 1, outcome)
                continue
            backoff = min(
                self.settings.max_retry_backoff_seconds, self.settings.retry_backoff_seconds * 2**retries
            )
            if self._stop.wait(backoff):
                return False
            work.insert(0, (remaining, retries + 1))
        return True

    def _discard_expired(self, batch: list[StreamRecord], retries: int) -> list[StreamRecord]:
        if self.settings.max_record_age_seconds < 0:
            return batch
        oldest_allowed = time.time() - self.settings.max_record_age_seconds
        expired = [r for r in batch if r.arrival < oldest_allowed]
        if expired:
            self._discard(expired, "RecordAgeExceeded", retries, None)
        return [r for r in batch if r.arrival >= oldest_allowed]

    def _checkpoint(self, records: list[StreamRecord], outcome: Outcome) -> None:
        if not records:
            return
        with self._lock:
            if outcome == "processed":
                self.stats.records_processed += len(records)
            else:
                self.stats.records_discarded += len(records)
        if self._on_checkpoint is not None:
            self._on_checkpoint(records, outcome)

    def _discard(
        self, records: list[StreamRecord], condition: str, invocations: int, outcome: Invocation | None
    ) -> None:
        log.warning(
            "event source mapping %s → %s discarded %d record(s) (%s)",
            self.stream_name,
            self.function_name,
            len(records),
            condition,
        )
        if self._on_failure is not None:
            self._on_failure(self.failure_record(records, condition, invocations, outcome))
        self._checkpoint(records, "discarded")

    def failure_record(
        self, records: list[StreamRecord], condition: str, invocations: int, outcome: Invocation | None
    ) -> dict[str, Any]:
        """The document Lambda sends to an on-failure destination (metadata, not the records)."""
        return failure_envelope(
            function_name=self.function_name,
            region=self._region,
            condition=condition,
            invocations=invocations,
            outcome=outcome,
        ) | {
            "KinesisBatchInfo": {
                "shardId": records[0].shard_id,
                "startSequenceNumber": records[0].sequence_number,
                "endSequenceNumber": records[-1].sequence_number,
                "approximateArrivalOfFirstRecord": iso_timestamp(records[0].arrival),
                "approximateArrivalOfLastRecord": iso_timestamp(records[-1].arrival),
                "batchSize": len(records),
                "streamArn": self._arn,
            },
        }


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
