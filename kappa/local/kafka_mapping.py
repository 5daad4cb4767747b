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

Not reproduced: concurrent pollers per partition (one batch at a time; order is the same), filter criteria,
schema registries.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kappa.local.aws_endpoint import LOCAL_ACCOUNT_ID, LOCAL_REGION
from kappa.local.function_host import Invocation
from kappa.local.kafka_records import KafkaRecord, commit, from_message, manual_commit_consumer, next_offsets
from kappa.local.stream_mapping import (
    Outcome,
    StreamMappingSettings,
    StreamMappingStats,
    failure_envelope,
    iso_timestamp,
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


class KafkaEventSourceMapping:
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
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.group_id = group_id
        self._invoke = invoke
        self.settings = settings
        self.function_name = function_name
        self._arn = cluster_arn
        self._on_failure = on_failure
        self._on_checkpoint = on_checkpoint
        self._region = region
        self._consumer_factory = consumer_factory
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.stats = StreamMappingStats()

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
            while pending and (
                len(pending) >= self.settings.batch_size or time.monotonic() - waiting_since >= window
            ):
                batch, pending = pending[: self.settings.batch_size], pending[self.settings.batch_size :]
                if not self.deliver(batch, lambda done: commit(consumer, next_offsets(done))):
                    return
                waiting_since = time.monotonic()

    def deliver(self, records: list[KafkaRecord], commit_done: Callable[[list[KafkaRecord]], None]) -> bool:
        """Process one batch to the end (success or discard), committing what is done; False if stopped first."""
        work: list[tuple[list[KafkaRecord], int]] = [(records, 0)]
        while work:
            batch, retries = work.pop(0)
            batch = self._discard_expired(batch, retries, commit_done)
            if not batch:
                continue
            if self._stop.is_set():
                return False
            outcome = self._invoke(msk_event(batch, arn=self._arn, bootstrap_servers=self.bootstrap_servers))
            with self._lock:
                self.stats.invocations += 1
            failed = (
                failed_offsets(outcome.result, batch)
                if outcome.ok and self.settings.report_batch_item_failures
                else None
            )
            if outcome.ok and failed is None:
                self._done(batch, "processed", commit_done)
                continue
            if outcome.ok and failed:
                done = [r for r in batch if r.offset < failed.get(r.topic_partition, r.offset + 1)]
                remaining = [r for r in batch if r.offset >= failed.get(r.topic_partition, r.offset + 1)]
                with self._lock:
                    self.stats.partial_failures += 1
                    self.stats.failed_items.extend(f"{p}@{o}" for p, o in failed.items())
                    del self.stats.failed_items[:-100]
                self._done(done, "processed", commit_done)
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
        self, batch: list[KafkaRecord], retries: int, commit_done: Callable[[list[KafkaRecord]], None]
    ) -> list[KafkaRecord]:
        if self.settings.max_record_age_seconds < 0:
            return batch
        oldest_allowed_ms = (time.time() - self.settings.max_record_age_seconds) * 1000
        expired = [r for r in batch if r.timestamp_ms < oldest_allowed_ms]
        if expired:
            self._discard(expired, "RecordAgeExceeded", retries, None, commit_done)
        return [r for r in batch if r.timestamp_ms >= oldest_allowed_ms]

    def _done(
        self, records: list[KafkaRecord], outcome: Outcome, commit_done: Callable[[list[KafkaRecord]], None]
    ) -> None:
        if not records:
            return
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
        records: list[KafkaRecord],
        condition: str,
        invocations: int,
        outcome: Invocation | None,
        commit_done: Callable[[list[KafkaRecord]], None],
    ) -> None:
        log.warning(
            "event source mapping %s → %s discarded %d record(s) (%s)",
            self.topic,
            self.function_name,
            len(records),
            condition,
        )
        if self._on_failure is not None:
            self._on_failure(self.failure_record(records, condition, invocations, outcome))
        self._done(records, "discarded", commit_done)

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
