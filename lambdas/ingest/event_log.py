"""The seam to the raw event log: the `EventLog` interface, its Kinesis implementation, and retrying writes.

The handler only knows `EventLog`; Kinesis Data Streams is implemented here, MSK Serverless (Kafka) in
`kafka_log.py`; `put_records_with_retry` serves both.

Delivery is at least once. Kinesis writes a record reported as failed in a `PutRecords` answer *not at
all*, so retrying exactly those never duplicates; only a call whose outcome is unknown (a timeout after
the request left) can write twice when retried. Duplicates carry the same `event_id` and are removed by
the Flink job, which is why `event_id` is the producer's idempotency key.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, Protocol

from botocore.exceptions import BotoCoreError, ClientError

KINESIS_MAX_RECORDS_PER_PUT: Final = 500
"""Kinesis `PutRecords` limit: at most 500 records per call."""
KINESIS_MAX_BYTES_PER_PUT: Final = 5 * 1024 * 1024
"""Kinesis `PutRecords` limit: 5 MiB per call, counting data *and* partition keys."""

# Whole-call errors worth retrying: throttling, server-side trouble, KMS throttling. Anything else
# (stream missing, access denied, KMS key disabled, invalid request) will not heal within one request.
RETRYABLE_ERROR_CODES: Final = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "ThrottlingException",
        "KMSThrottlingException",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


class LogRecord(NamedTuple):
    """One record for the log: the partition key (our `user_id`) and the serialized event."""

    partition_key: str
    data: bytes


class LogWriteError(Exception):
    """A whole write call failed; `code` names why, `retryable` says whether trying again can help."""

    def __init__(self, code: str, *, retryable: bool) -> None:
        super().__init__(code)
        self.code = code
        self.retryable = retryable


class EventLog(Protocol):
    """An append-only, partitioned log of raw events (the Kappa log)."""

    max_records_per_write: int
    max_bytes_per_write: int
    permanent_error_codes: frozenset[str]
    """Per-record error codes a retry cannot heal (reported at once, not retried)."""

    def write(self, records: Sequence[LogRecord]) -> list[str | None]:
        """Append `records` in one call. Per record: None when written, else the error code of its refusal.

        Raises `LogWriteError` when the call as a whole failed (nothing can be assumed written).
        """
        ...


class KinesisEventLog:
    """`EventLog` over a Kinesis data stream (`PutRecords`)."""

    max_records_per_write = KINESIS_MAX_RECORDS_PER_PUT
    max_bytes_per_write = KINESIS_MAX_BYTES_PER_PUT
    permanent_error_codes: frozenset[str] = frozenset()

    def __init__(self, client: Any, stream_name: str) -> None:
        self._client = client
        self._stream_name = stream_name

    def write(self, records: Sequence[LogRecord]) -> list[str | None]:
        try:
            answer = self._client.put_records(
                StreamName=self._stream_name,
                Records=[{"Data": r.data, "PartitionKey": r.partition_key} for r in records],
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            raise LogWriteError(code, retryable=code in RETRYABLE_ERROR_CODES) from error
        except BotoCoreError as error:  # connection reset, read timeout, endpoint unreachable
            raise LogWriteError(type(error).__name__, retryable=True) from error
        if not answer.get("FailedRecordCount"):
            return [None] * len(records)
        return [entry.get("ErrorCode") for entry in answer["Records"]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter: before retry n, sleep uniform(0, min(cap, base × 2ⁿ))."""

    time_budget_seconds: float = 8.0
    base_delay_seconds: float = 0.05
    max_delay_seconds: float = 2.0

    def delay(self, retry: int, draw: float) -> float:
        """The sleep before retry number `retry` (0-based) for a uniform `draw` in [0, 1)."""
        return draw * min(self.max_delay_seconds, self.base_delay_seconds * 2**retry)


@dataclass(slots=True)
class PutOutcome:
    """What happened to a write: which records never made it (by index, with the last error code)."""

    failed: dict[int, str] = field(default_factory=dict)
    retried_records: int = 0
    """Record re-sends: a record retried three times counts three."""
    calls: int = 0


def put_records_with_retry(
    log: EventLog,
    records: Sequence[LogRecord],
    *,
    policy: RetryPolicy,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    draw: Callable[[], float] = random.random,
) -> PutOutcome:
    """Write `records` in calls within the log's limits; retry only the refused ones until the time budget.

    Every record is tried at least once. A retry round starts only if its backoff still ends inside
    the budget; what is still refused then is returned in `failed` so the caller can tell the producer.
    """
    outcome = PutOutcome()
    permanent = getattr(log, "permanent_error_codes", frozenset())
    deadline = clock() + policy.time_budget_seconds
    pending = list(range(len(records)))
    retry = 0
    while pending:
        refused: list[int] = []
        for chunk in _chunks(pending, records, log.max_records_per_write, log.max_bytes_per_write):
            outcome.calls += 1
            try:
                codes = log.write([records[i] for i in chunk])
            except LogWriteError as error:
                for index in chunk:
                    outcome.failed[index] = error.code
                if error.retryable:
                    refused.extend(chunk)
                continue
            for index, code in zip(chunk, codes, strict=True):
                if code is None:
                    outcome.failed.pop(index, None)
                else:
                    outcome.failed[index] = code
                    if code not in permanent:
                        refused.append(index)
        if not refused:
            break
        pause = policy.delay(retry, draw())
        if clock() + pause >= deadline:
            break
        sleep(pause)
        retry += 1
        outcome.retried_records += len(refused)
        pending = refused
    return outcome


def _chunks(
    indexes: list[int], records: Sequence[LogRecord], max_records: int, max_bytes: int
) -> Iterator[list[int]]:
    """Consecutive groups of `indexes` that each fit one write call (record count and total bytes)."""
    chunk: list[int] = []
    size = 0
    for index in indexes:
        record = records[index]
        record_size = len(record.data) + len(record.partition_key.encode())
        if chunk and (len(chunk) == max_records or size + record_size > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(index)
        size += record_size
    if chunk:
        yield chunk
