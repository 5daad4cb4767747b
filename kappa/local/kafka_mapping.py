"""The MSK event source mapping stand-in: batches from a Kafka topic to a function, with Lambda's semantics.

The Kafka sibling of `kappa.local.stream_mapping` (same settings and statistics; AWS Lambda docs, "Amazon MSK
event source mapping", "Kafka retry configurations", "partial batch response", "on-failure destinations"):
- one consumer group (`<prefix>-webhook-fanout` for the fan-out) reads the topic; records are gathered for at
  most `max_batching_window_seconds` into batches of up to `batch_size`, one batch at a time, each
  partition's records in offset order;
- the event is Lambda's `aws:kafka` event: records grouped by `"<topic>-<partition>"`, key and value in
  base64 (no key when the record has none), timestamps in epoch milliseconds with their type, headers as
  lists of byte values;
- `ReportBatchItemFailures`: an empty or null `batchItemFailures` is success; otherwise each failed
  partition is retried from its lowest failed offset (the records before it, and every other partition of
  the batch, are done); an item identifier that is not `{"partition": "<topic>-<n>", "offset": n}` of a
  record in the batch fails the whole batch;
- `BisectBatchOnFunctionError`: a function error splits the batch in two (without using up retries);
- after `max_retry_attempts` retries (or past `max_record_age_seconds`) the records are discarded and a
  `KafkaBatchInfo` pointer goes to the on-failure destination;
- a partition's next offset is committed (synchronously) only once its records are done, so a stop or a
  crash redelivers what was not finished, and nothing finished is delivered again by the mapping.

The retry, bisect and discard rules live in `kappa.local.batch_delivery` (shared with the Kinesis mapping);
this module adds the consumer-group polling, the `aws:kafka` event and the `KafkaBatchInfo` on-failure record.

Not reproduced: concurrent pollers per partition (one batch at a time; order is the same), filter criteria,
schema registries.
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
    failure_envelope,
    iso_timestamp,
)
from kappa.local.function_host import Invocation
from kappa.local.kafka_records import (
    KafkaRecord,
    commit,
    from_message,
    manual_commit_consumer,
    next_offsets,
    unread_records,
)

log = logging.getLogger(__name__)

KafkaCheckpointObserver = Callable[[list[KafkaRecord], Outcome], None]


def msk_cluster_arn(cluster_name: str, region: str = LOCAL_REGION) -> str:
    """A local stand-in for the MSK Serverless cluster's ARN (the event's `eventSourceArn`)."""
    return f"arn:aws:kafka:{region}:{LOCAL_ACCOUNT_ID}:cluster/{cluster_name}/00000000-0000-4000-8000-000000000000-s1"


def msk_event(records: list[KafkaRecord], *, arn: str, bootstrap_servers: str) -> dict[str, Any]:
    """The event Lambda's MSK event source mapping passes to a function for a batch of records."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        entry: dict[str, Any] = {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "timestamp": record.timestamp_ms,
            "timestampType": record.timestamp_type,
        }
        if record.key is not None:
            entry["key"] = base64.b64encode(record.key).decode()
        entry["value"] = base64.b64encode(record.value).decode()
        entry["headers"] = [{name: list(value)} for name, value in record.headers]
        grouped.setdefault(record.topic_partition, []).append(entry)
    return {
        "eventSource": "aws:kafka",
        "eventSourceArn": arn,
        "bootstrapServers": bootstrap_servers,
        "records": grouped,
    }


def failed_offsets(result: Any, records: list[KafkaRecord]) -> dict[str, int] | None:
    """Where to resume after a partial batch response: per `<topic>-<partition>`, the lowest failed offset.

    None means the batch fully succeeded; an empty dict means the response itself is invalid, which Lambda
    treats as the whole batch failing.
    """
    if not isinstance(result, dict) or result.get("batchItemFailures") is None:
        return None
    failures = result["batchItemFailures"]
    if not isinstance(failures, list):
        return {}
    if not failures:
        return None
    present = {(r.topic_partition, r.offset) for r in records}
    lowest: dict[str, int] = {}
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, dict):
            return {}
        partition, offset = identifier.get("partition"), identifier.get("offset")
        if isinstance(offset, str) and offset.isdigit():
            offset = int(offset)
        if (partition, offset) not in present:
            return {}
        lowest[partition] = min(offset, lowest.get(partition, offset))
    return lowest


class KafkaEventSourceMapping(BatchDelivery[KafkaRecord]):
    """Feeds one Kafka topic to one function through a consumer group; one polling thread."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        invoke: Callable[[dict[str, Any]], Invocation],
        settings: StreamMappingSettings,
        *,
        group_id: str,
        function_name: str,
        cluster_arn: str,
        on_failure: Callable[[dict[str, Any]], None] | None = None,
        on_checkpoint: KafkaCheckpointObserver | None = None,
        region: str = LOCAL_REGION,
        consumer_factory: Callable[..., Any] = manual_commit_consumer,
    ) -> None:
        super().__init__(
            invoke,
            settings,
            source_name=topic,
            function_name=function_name,
            on_failure=on_failure,
            on_checkpoint=on_checkpoint,
        )
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.group_id = group_id
        self._arn = cluster_arn
        self._region = region
        self._consumer_factory = consumer_factory
        self._thread: threading.Thread | None = None
        self.backlog = 0
        """Records on the topic the function has not finished yet (read but undelivered, or not read), as of
        the last poll: what Lambda's MSK metrics call the mapping's offset lag."""

    def start(self) -> KafkaEventSourceMapping:
        consumer = self._consumer_factory(self.bootstrap_servers, self.group_id)
        consumer.subscribe([self.topic])
        self._thread = threading.Thread(
            target=self._poll, args=(consumer,), name=f"esm-{self.topic}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the invocation in flight; records not yet committed are delivered after a restart."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def _poll(self, consumer: Any) -> None:
        try:
            self._poll_until_stopped(consumer)
        finally:
            consumer.close()

    def _poll_until_stopped(self, consumer: Any) -> None:
        pending: list[KafkaRecord] = []
        waiting_since = 0.0
        window = self.settings.max_batching_window_seconds
        while not self._stop.is_set():
            wait = self.settings.poll_seconds
            if pending:
                wait = max(0.01, min(wait, window - (time.monotonic() - waiting_since)))
            try:
                messages = consumer.consume(num_messages=max(self.settings.batch_size, 100), timeout=wait)
            except Exception as error:
                log.warning("event source mapping could not read %s: %s", self.topic, error)
                self._stop.wait(1.0)
                continue
            fresh = []
            for message in messages:
                if message.error() is not None:
                    log.warning("event source mapping reading %s: %s", self.topic, message.error())
                    continue
                fresh.append(from_message(message))
            if fresh and not pending:
                waiting_since = time.monotonic()
            pending.extend(fresh)
            self.backlog = unread_records(consumer) + len(pending)
            while pending and (
                len(pending) >= self.settings.batch_size or time.monotonic() - waiting_since >= window
            ):
                batch, pending = pending[: self.settings.batch_size], pending[self.settings.batch_size :]
                if not self.deliver(batch, lambda done: commit(consumer, next_offsets(done))):
                    return
                waiting_since = time.monotonic()
                self.backlog = unread_records(consumer) + len(pending)

    def _event(self, batch: list[KafkaRecord]) -> dict[str, Any]:
        return msk_event(batch, arn=self._arn, bootstrap_servers=self.bootstrap_servers)

    def _item_failures(
        self, result: Any, batch: list[KafkaRecord]
    ) -> PartialFailure[KafkaRecord] | Literal["invalid"] | None:
        failed = failed_offsets(result, batch)
        if failed is None:
            return None
        if not failed:
            return INVALID_RESPONSE
        return PartialFailure(
            done=[r for r in batch if r.offset < failed.get(r.topic_partition, r.offset + 1)],
            remaining=[r for r in batch if r.offset >= failed.get(r.topic_partition, r.offset + 1)],
            failed_items=[f"{p}@{o}" for p, o in failed.items()],
        )

    def _arrived_before(self, record: KafkaRecord, epoch_seconds: float) -> bool:
        return record.timestamp_ms < epoch_seconds * 1000

    def failure_record(
        self, records: list[KafkaRecord], condition: str, invocations: int, outcome: Invocation | None
    ) -> dict[str, Any]:
        """The document Lambda sends to an on-failure destination for an MSK batch (metadata, not the records)."""
        partitions: dict[str, dict[str, str]] = {}
        for name in dict.fromkeys(r.topic_partition for r in records):
            mine = [r for r in records if r.topic_partition == name]
            partitions[name] = {
                "firstRecordOffset": str(mine[0].offset),
                "firstRecordTimestamp": iso_timestamp(mine[0].timestamp_ms / 1000),
                "lastRecordOffset": str(mine[-1].offset),
                "lastRecordTimestamp": iso_timestamp(mine[-1].timestamp_ms / 1000),
            }
        return failure_envelope(
            function_name=self.function_name,
            region=self._region,
            condition=condition,
            invocations=invocations,
            outcome=outcome,
        ) | {
            "KafkaBatchInfo": {
                "batchSize": len(records),
                "eventSourceArn": self._arn,
                "bootstrapServers": self.bootstrap_servers,
                "payloadSize": sum(len(r.value) + len(r.key or b"") for r in records),
                "recordsInfo": partitions,
            }
        }
