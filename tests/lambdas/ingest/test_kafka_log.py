"""`KafkaEventLog` against a scripted producer: outcomes come from delivery reports, unreported ones time out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from lambdas.ingest.event_log import LogRecord, RetryPolicy, put_records_with_retry
from lambdas.ingest.kafka_log import DELIVERY_TIMEOUT, QUEUE_FULL, KafkaEventLog
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
