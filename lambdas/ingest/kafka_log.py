"""`EventLog` over a Kafka topic (MSK Serverless): an idempotent, acks=all producer, outcomes from delivery reports.

`write` produces every record (key = `user_id`, value = the enriched event), then flushes within the
delivery timeout and returns, per record, None when the broker acknowledged it (all in-sync replicas,
`acks=all`) or the error code librdkafka reported: a broker-side refusal (`MSG_SIZE_TOO_LARGE`,
`UNKNOWN_TOPIC_OR_PART`, ...), `_MSG_TIMED_OUT` when the broker could not be reached in time, or
`DeliveryTimeout` when no report arrived before the flush gave up. The producer retries on its own inside
`message.timeout.ms`, and idempotence keeps those retries from writing twice.

The broker checks the topic's `max.message.bytes` per record *batch* (compressed), not per record: one
record too large for the topic makes the broker refuse its whole batch, and librdkafka reports
`MSG_SIZE_TOO_LARGE` for every record in it. When more than one record of a write is refused that way,
`write` sends each of them again on its own (produce, then wait for its report), so only the records that
are too large by themselves are reported as such; their batch-mates are written, in their order among
themselves (a user's later events from another batch may land first, as after a retried Kinesis record).

At least once, not exactly once: a record reported as timed out (or never reported) may still reach the
topic later, e.g. when the request left before the broker answered, or when the container thaws with it
still queued. The producer then resends it and gets a new copy; duplicates carry the same `event_id`, and
the Flink job drops them (dedupe on `event_id`), exactly as for a retried Kinesis call.

    producer = make_producer("localhost:9092", "plaintext", delivery_timeout_seconds=8)
    log = KafkaEventLog(producer, "raw", delivery_timeout_seconds=8)
    log.write([LogRecord("user-1", b'{"event_id":"e-1"}')])  # [None] once the broker acknowledged it
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Final

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from lambdas.ingest.event_log import KINESIS_MAX_BYTES_PER_PUT, KINESIS_MAX_RECORDS_PER_PUT, LogRecord
from lambdas.kafka_common import client_config

DELIVERY_TIMEOUT: Final = "DeliveryTimeout"
"""No delivery report before the flush gave up: the record's fate is unknown (it may still be written)."""
QUEUE_FULL: Final = "QueueFull"
"""The producer's local queue had no room; nothing was sent for the record."""
FLUSH_MARGIN_SECONDS: Final = 1.0
"""Waited past `message.timeout.ms` so librdkafka's own timeout reports arrive before we give up."""
BATCH_TOO_LARGE: Final = "BatchTooLarge"
"""Refused with a record batch the topic found too large, and not resent alone before the time ran out:
not written, worth retrying (it is probably not the record that was too large)."""
BROKER_SIZE_REFUSAL: Final = "MSG_SIZE_TOO_LARGE"
"""The broker's refusal of a record batch over the topic's `max.message.bytes` (the local check that one
record exceeds the producer's `message.max.bytes` is `_MSG_SIZE_TOO_LARGE` and concerns that record only)."""
LINGER_MS: Final = 5
"""How long the producer waits to fill a batch: a few ms buys batching across a request's records."""
PERMANENT_ERROR_CODES: Final = frozenset(
    {"MSG_SIZE_TOO_LARGE", "_MSG_SIZE_TOO_LARGE", "INVALID_RECORD", "CORRUPT_MESSAGE", "_INVALID_ARG"}
)
"""Refusals a retry cannot heal: the record itself is wrong for the topic."""


def make_producer(
    bootstrap_servers: str, security: str, *, delivery_timeout_seconds: float, **overrides: Any
) -> Producer:
    """An idempotent producer (acks=all) that gives up on a record after `delivery_timeout_seconds`."""
    timeout_ms = max(int(delivery_timeout_seconds * 1000), 1)
    config: dict[str, Any] = client_config(bootstrap_servers, security) | {
        "enable.idempotence": True,
        "acks": "all",
        "message.timeout.ms": timeout_ms,
        "request.timeout.ms": min(timeout_ms, 5000),
        # librdkafka refuses a message timeout not above linger.ms: a tiny budget gets no lingering at all.
        "linger.ms": min(LINGER_MS, timeout_ms - 1),
        "compression.type": "lz4",
        "socket.keepalive.enable": True,
    }
    return Producer(config | overrides)


class KafkaEventLog:
    """`EventLog` over one Kafka topic; the producer is created once per container and reused."""

    max_records_per_write = KINESIS_MAX_RECORDS_PER_PUT
    max_bytes_per_write = KINESIS_MAX_BYTES_PER_PUT
    permanent_error_codes = PERMANENT_ERROR_CODES

    def __init__(
        self,
        producer: Producer,
        topic: str,
        *,
        delivery_timeout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._producer = producer
        self._topic = topic
        self._flush_timeout = delivery_timeout_seconds + FLUSH_MARGIN_SECONDS
        self._clock = clock

    def write(self, records: Sequence[LogRecord]) -> list[str | None]:
        deadline = self._clock() + self._flush_timeout
        codes = self._send(records, range(len(records)), self._flush_timeout)
        refused_batches = [index for index, code in enumerate(codes) if code == BROKER_SIZE_REFUSAL]
        if len(refused_batches) > 1:
            for index in refused_batches:  # alone in its batch, a record is refused only for its own size
                remaining = deadline - self._clock()
                codes[index] = (
                    self._send(records, [index], remaining)[0] if remaining > 0 else BATCH_TOO_LARGE
                )
        return codes

    def _send(self, records: Sequence[LogRecord], indexes: Sequence[int], timeout: float) -> list[str | None]:
        """Produce `records[i]` for each i in `indexes`, flush for up to `timeout` s; their codes, in order."""
        pending = object()
        codes: list[Any] = [pending] * len(indexes)

        def reporter(position: int) -> Any:
            def on_delivery(error: KafkaError | None, _message: Message) -> None:
                codes[position] = None if error is None else error.name()

            return on_delivery

        for position, index in enumerate(indexes):
            # Only a refusal to queue is recorded here: a report may already have been served (by the poll
            # that makes room in a full queue), and it must not be overwritten.
            refusal = self._produce(records[index], reporter(position))
            if refusal is not None:
                codes[position] = refusal
        unsent = self._producer.flush(timeout)
        del unsent  # the records still queued are exactly those without a report: DELIVERY_TIMEOUT below
        return [DELIVERY_TIMEOUT if code is pending else code for code in codes]

    def _produce(self, record: LogRecord, on_delivery: Any) -> str | None:
        """Queue one record; an error code when it could not even be queued."""
        for attempt in range(2):
            try:
                self._producer.produce(
                    self._topic,
                    key=record.partition_key.encode(),
                    value=record.data,
                    on_delivery=on_delivery,
                )
                return None
            except BufferError:
                if attempt:
                    return QUEUE_FULL
                self._producer.poll(0.5)  # serve delivery reports to make room, then try once more
            except KafkaException as error:
                return error.args[0].name()
        return QUEUE_FULL
