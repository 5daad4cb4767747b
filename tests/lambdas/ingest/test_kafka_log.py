"""`KafkaEventLog` against a scripted producer: outcomes come from delivery reports, unreported ones time out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from lambdas.ingest.event_log import LogRecord, RetryPolicy, put_records_with_retry
from lambdas.ingest.kafka_log import (
    BATCH_TOO_LARGE,
    DELIVERY_TIMEOUT,
    QUEUE_FULL,
    KafkaEventLog,
    make_producer,
)
from tests.lambdas.ingest.stream_doubles import FakeClock


class ScriptedProducer:
    """Calls each record's delivery report at flush with the scripted error (None: acknowledged).

    `answers[key]` is a KafkaError code, None, "silent" (no report at all) or "raise:<code>" (produce fails).
    """

    def __init__(self, answers: dict[str, Any]) -> None:
        self._answers = answers
        self._queued: list[tuple[Callable[..., None], Any]] = []
        self.produced: list[tuple[str, bytes, bytes]] = []
        self.flush_timeouts: list[float] = []

    def produce(self, topic: str, *, key: bytes, value: bytes, on_delivery: Callable[..., None]) -> None:
        answer = self._answers.get(key.decode())
        if isinstance(answer, str) and answer.startswith("raise:"):
            raise KafkaException(KafkaError(getattr(KafkaError, answer.removeprefix("raise:"))))
        if answer == "buffer":
            raise BufferError("Local: Queue full")
        self.produced.append((topic, key, value))
        self._queued.append((on_delivery, answer))

    def poll(self, timeout: float) -> int:
        return 0

    def flush(self, timeout: float) -> int:
        self.flush_timeouts.append(timeout)
        silent = 0
        for on_delivery, answer in self._queued:
            if answer == "silent":
                silent += 1
            else:
                on_delivery(None if answer is None else KafkaError(answer), None)
        self._queued = []
        return silent


def test_write_reports_acknowledged_refused_and_unreported_records_per_record() -> None:
    # GIVEN a producer that acknowledges u1, refuses u2 as too large, never reports u3, cannot queue u4
    producer = ScriptedProducer(
        {
            "u1": None,
            "u2": KafkaError.MSG_SIZE_TOO_LARGE,
            "u3": "silent",
            "u4": "raise:_UNKNOWN_TOPIC",
            "u5": "buffer",
        }
    )
    log = KafkaEventLog(producer, "kappa-test-raw-events", delivery_timeout_seconds=2.0)  # type: ignore[arg-type]
    # WHEN five records are written
    codes = log.write([LogRecord(f"u{i}", f"e{i}".encode()) for i in range(1, 6)])
    # THEN each record's outcome is its own, keyed by user_id on the topic
    assert codes == [None, "MSG_SIZE_TOO_LARGE", DELIVERY_TIMEOUT, "_UNKNOWN_TOPIC", QUEUE_FULL]
    assert producer.produced[0] == ("kappa-test-raw-events", b"u1", b"e1")
    # AND the flush waits a little past the producer's own delivery timeout
    assert producer.flush_timeouts == [3.0]


def test_a_record_too_large_for_the_topic_is_not_retried_but_a_timeout_is() -> None:
    # GIVEN a record the topic refuses as too large and one whose report first times out
    answers: dict[str, Any] = {"big": KafkaError.MSG_SIZE_TOO_LARGE, "slow": "silent"}
    producer = ScriptedProducer(answers)
    log = KafkaEventLog(producer, "raw", delivery_timeout_seconds=1.0)  # type: ignore[arg-type]
    clock = FakeClock()

    def flush_then_heal(timeout: float) -> int:
        result = ScriptedProducer.flush(producer, timeout)
        answers["slow"] = None
        return result

    producer.flush = flush_then_heal  # type: ignore[method-assign]
    # WHEN written with retries
    outcome = put_records_with_retry(
        log,
        [LogRecord("big", b"x"), LogRecord("slow", b"y")],
        policy=RetryPolicy(time_budget_seconds=5.0),
        clock=clock.monotonic,
        sleep=clock.sleep,
        draw=lambda: 0.5,
    )
    # THEN the too-large record fails at once; the timed-out one is resent and acknowledged
    assert outcome.failed == {0: "MSG_SIZE_TOO_LARGE"}
    assert [key for _, key, _ in producer.produced] == [b"big", b"slow", b"slow"]


class BatchCheckingProducer:
    """Like a broker checking `max.message.bytes` per record batch: a flush whose queued records include one
    larger than `limit` bytes gets every record of that flush refused with MSG_SIZE_TOO_LARGE."""

    def __init__(self, limit: int, clock: FakeClock | None = None, flush_cost_s: float = 0.0) -> None:
        self._limit = limit
        self._clock = clock
        self._flush_cost_s = flush_cost_s
        self._queued: list[tuple[Callable[..., None], bytes]] = []
        self.flushed_batches: list[list[bytes]] = []

    def produce(self, topic: str, *, key: bytes, value: bytes, on_delivery: Callable[..., None]) -> None:
        self._queued.append((on_delivery, value))

    def poll(self, timeout: float) -> int:
        return 0

    def flush(self, timeout: float) -> int:
        batch, self._queued = self._queued, []
        self.flushed_batches.append([value for _, value in batch])
        too_large = any(len(value) > self._limit for _, value in batch)
        for on_delivery, _ in batch:
            on_delivery(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE) if too_large else None, None)
        if self._clock is not None:
            self._clock.sleep(self._flush_cost_s)
        return 0


def test_records_refused_with_a_too_large_batch_are_resent_alone_and_only_the_large_one_fails() -> None:
    # GIVEN a topic limit of 10 bytes and a write whose third record is 20 bytes
    producer = BatchCheckingProducer(limit=10)
    log = KafkaEventLog(producer, "raw", delivery_timeout_seconds=2.0)  # type: ignore[arg-type]
    values = [b"a", b"b", b"x" * 20, b"c"]
    # WHEN written
    codes = log.write([LogRecord("u1", value) for value in values])
    # THEN only the large record is refused; its batch-mates were resent one by one, in their order
    assert codes == [None, None, "MSG_SIZE_TOO_LARGE", None]
    assert producer.flushed_batches == [values, [b"a"], [b"b"], [b"x" * 20], [b"c"]]


def test_a_lone_size_refusal_is_final_without_resending() -> None:
    # GIVEN a write of one record too large for the topic
    producer = BatchCheckingProducer(limit=10)
    log = KafkaEventLog(producer, "raw", delivery_timeout_seconds=2.0)  # type: ignore[arg-type]
    # WHEN written THEN it is refused once, and not sent again (it was alone in its batch)
    assert log.write([LogRecord("u1", b"x" * 20)]) == ["MSG_SIZE_TOO_LARGE"]
    assert len(producer.flushed_batches) == 1


def test_batch_mates_not_resent_before_the_delivery_timeout_are_reported_retryable() -> None:
    # GIVEN each flush takes 1 s of a 2 s delivery timeout (+1 s margin: 3 s for the whole write)
    clock = FakeClock()
    producer = BatchCheckingProducer(limit=10, clock=clock, flush_cost_s=1.0)
    log = KafkaEventLog(producer, "raw", delivery_timeout_seconds=2.0, clock=clock.monotonic)  # type: ignore[arg-type]
    # WHEN a write of four records, one too large, is refused as a batch
    codes = log.write([LogRecord("u1", value) for value in (b"a", b"b", b"x" * 20, b"c")])
    # THEN the records resent alone before the time ran out have their own outcome; the rest are
    # reported as refused with a too-large batch (not written, retryable), not as too large themselves
    assert codes == [None, None, BATCH_TOO_LARGE, BATCH_TOO_LARGE]
    assert BATCH_TOO_LARGE not in KafkaEventLog.permanent_error_codes


def test_a_delivery_report_served_while_queueing_is_kept() -> None:
    # GIVEN a producer that reports a record delivered before `produce` returns (as a poll to make room can)
    class EagerProducer(ScriptedProducer):
        def produce(self, topic: str, *, key: bytes, value: bytes, on_delivery: Callable[..., None]) -> None:
            on_delivery(None, None)

    log = KafkaEventLog(EagerProducer({}), "raw", delivery_timeout_seconds=1.0)  # type: ignore[arg-type]
    # WHEN written THEN the early report counts (it is not mistaken for a missing one)
    assert log.write([LogRecord("u1", b"e1")]) == [None]


def test_a_producer_is_made_for_a_delivery_timeout_shorter_than_the_linger() -> None:
    # GIVEN a 1 ms budget (librdkafka wants message.timeout.ms > linger.ms) WHEN the producer is made
    producer = make_producer("127.0.0.1:9", "plaintext", delivery_timeout_seconds=0.001)
    # THEN it exists (a misconfigured budget must not turn every request into a 500)
    assert producer is not None
