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

The retry, bisect and discard rules live in `kappa.local.batch_delivery` (shared with the MSK mapping);
this module adds the shard polling, the Kinesis event and the Kinesis on-failure record.

Not reproduced: `ParallelizationFactor` (one batch per shard at a time; order is the same, only
throughput differs), enhanced fan-out, tumbling windows, filter criteria.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from kappa.local.aws_endpoint import LOCAL_ACCOUNT_ID, LOCAL_REGION
from kappa.local.batch_delivery import (
    INVALID_RESPONSE,
    BatchDelivery,
    Outcome,
    PartialFailure,
    StreamMappingSettings,
    StreamMappingStats,
    failure_envelope,
    iso_timestamp,
)
from kappa.local.function_host import Invocation
from kappa.local.kinesis_shards import ShardReader, StreamRecord, shard_ids, stream_arn

__all__ = [
    "CheckpointObserver",
    "KinesisEventSourceMapping",
    "Outcome",
    "StreamMappingSettings",
    "StreamMappingStats",
    "failed_index",
    "failure_envelope",
    "iso_timestamp",
    "kinesis_event",
]

log = logging.getLogger(__name__)

CheckpointObserver = Callable[[list[StreamRecord], Outcome], None]


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


class KinesisEventSourceMapping(BatchDelivery[StreamRecord]):
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
        super().__init__(
            invoke,
            settings,
            source_name=stream_name,
            function_name=function_name,
            on_failure=on_failure,
            on_checkpoint=on_checkpoint,
        )
        self._kinesis = kinesis
        self.stream_name = stream_name
        self._region = region
        self._arn = ""
        self._threads: list[threading.Thread] = []

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

    def _event(self, batch: list[StreamRecord]) -> dict[str, Any]:
        return kinesis_event(batch, arn=self._arn, region=self._region, function_name=self.function_name)

    def _item_failures(
        self, result: Any, batch: list[StreamRecord]
    ) -> PartialFailure[StreamRecord] | Literal["invalid"] | None:
        resume_at = failed_index(result, batch)
        if resume_at is None:
            return None
        if resume_at < 0:
            return INVALID_RESPONSE
        return PartialFailure(batch[:resume_at], batch[resume_at:], [batch[resume_at].sequence_number])

    def _arrived_before(self, record: StreamRecord, epoch_seconds: float) -> bool:
        return record.arrival < epoch_seconds

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
