"""`put_records_with_retry` and `KinesisEventLog`: chunking, retrying only refused records, the time budget."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from lambdas.ingest.event_log import (
    KINESIS_MAX_BYTES_PER_PUT,
    KINESIS_MAX_RECORDS_PER_PUT,
    KinesisEventLog,
    LogRecord,
    LogWriteError,
    RetryPolicy,
    put_records_with_retry,
)
from tests.lambdas.ingest.stream_doubles import FakeClock

THROTTLED = "ProvisionedThroughputExceededException"


class ScriptedLog:
    """An EventLog whose answers are scripted per call; remembers what every call carried."""

    def __init__(
        self,
        answers: Sequence[Any] = (),
        *,
        max_records: int = KINESIS_MAX_RECORDS_PER_PUT,
        max_bytes: int = KINESIS_MAX_BYTES_PER_PUT,
    ) -> None:
        self._answers = list(answers)
        self.max_records_per_write = max_records
        self.max_bytes_per_write = max_bytes
        self.calls: list[list[LogRecord]] = []

    def write(self, records: Sequence[LogRecord]) -> list[str | None]:
        self.calls.append(list(records))
        answer = self._answers.pop(0) if self._answers else None
        if isinstance(answer, LogWriteError):
            raise answer
        if callable(answer):
            return answer(records)
        return [None] * len(records)


def records(count: int, size: int = 10) -> list[LogRecord]:
    return [LogRecord(f"user-{i}", f"{i:0{size}d}".encode()) for i in range(count)]


def refuse(keys: set[str]):
    return lambda batch: [THROTTLED if r.partition_key in keys else None for r in batch]


def write(
    log: ScriptedLog, batch: list[LogRecord], clock: FakeClock, *, budget: float = 8.0, draw: float = 0.5
):
    return put_records_with_retry(
        log,
        batch,
        policy=RetryPolicy(time_budget_seconds=budget, base_delay_seconds=0.1, max_delay_seconds=1.0),
        clock=clock.monotonic,
        sleep=clock.sleep,
        draw=lambda: draw,
    )


def test_a_batch_that_fits_is_written_in_one_call(fake_clock: FakeClock) -> None:
    # GIVEN a log that accepts everything WHEN 500 records are written
    log = ScriptedLog()
    outcome = write(log, records(500), fake_clock)
    # THEN one call carries them all and nothing failed or was retried
    assert [len(call) for call in log.calls] == [500]
    assert outcome.failed == {}
    assert outcome.retried_records == 0
    assert fake_clock.sleeps == []


def test_writes_are_split_at_the_record_count_limit(fake_clock: FakeClock) -> None:
    log = ScriptedLog(max_records=200)
    write(log, records(450), fake_clock)
    assert [len(call) for call in log.calls] == [200, 200, 50]


def test_writes_are_split_at_the_byte_limit_counting_partition_keys(fake_clock: FakeClock) -> None:
    # GIVEN records of 100 data bytes + 6 or 7 key bytes and a 1 000-byte limit per call
    log = ScriptedLog(max_bytes=1000)
    batch = [LogRecord(f"user-{i}", b"x" * 100) for i in range(20)]
    write(log, batch, fake_clock)
    # THEN no call exceeds the limit and every record is sent exactly once, in order
    for call in log.calls:
        assert sum(len(r.data) + len(r.partition_key) for r in call) <= 1000
    assert [r for call in log.calls for r in call] == batch
    assert len(log.calls) == 3


def test_put_records_retries_only_failed_records(fake_clock: FakeClock) -> None:
    # GIVEN a log that throttles two of five records on the first call
    log = ScriptedLog([refuse({"user-1", "user-3"})])
    # WHEN the batch is written
    outcome = write(log, records(5), fake_clock)
    # THEN the second call carries exactly the two refused records, and all are in
    assert [r.partition_key for r in log.calls[1]] == ["user-1", "user-3"]
    assert len(log.calls) == 2
    assert outcome.failed == {}
    assert outcome.retried_records == 2


def test_backoff_is_exponential_with_full_jitter(fake_clock: FakeClock) -> None:
    # GIVEN a record refused four times, and a jitter draw of 0.5
    log = ScriptedLog([refuse({"user-0"})] * 4)
    write(log, records(1), fake_clock, draw=0.5)
    # THEN the sleeps are draw × min(cap, base × 2^n): 0.05, 0.1, 0.2, 0.4
    assert fake_clock.sleeps == pytest.approx([0.05, 0.1, 0.2, 0.4])


def test_backoff_never_exceeds_the_cap(fake_clock: FakeClock) -> None:
    log = ScriptedLog([refuse({"user-0"})] * 8)
    write(log, records(1), fake_clock, draw=0.999, budget=60)
    assert max(fake_clock.sleeps) <= 1.0
    assert fake_clock.sleeps[-1] == pytest.approx(0.999)


def test_records_still_refused_when_the_budget_runs_out_are_reported(fake_clock: FakeClock) -> None:
    # GIVEN a log that refuses one record forever
    log = ScriptedLog([refuse({"user-2"})] * 1000)
    # WHEN written with a 2-second budget
    outcome = write(log, records(4), fake_clock, budget=2.0)
    # THEN only that record failed, with the log's error code, and the budget was respected
    assert outcome.failed == {2: THROTTLED}
    assert fake_clock.now - 1000.0 < 2.0
    assert all([r.partition_key for r in call] == ["user-2"] for call in log.calls[1:])


def test_a_retryable_error_of_the_whole_call_retries_the_whole_chunk(fake_clock: FakeClock) -> None:
    log = ScriptedLog([LogWriteError("ServiceUnavailable", retryable=True)])
    outcome = write(log, records(3), fake_clock)
    assert [len(call) for call in log.calls] == [3, 3]
    assert outcome.failed == {}


def test_a_permanent_error_is_not_retried(fake_clock: FakeClock) -> None:
    # GIVEN a stream that does not exist (a deployment error no retry can fix)
    log = ScriptedLog([LogWriteError("ResourceNotFoundException", retryable=False)])
    outcome = write(log, records(3), fake_clock)
    # THEN one call, no sleeping, every record failed with that code
    assert len(log.calls) == 1
    assert fake_clock.sleeps == []
    assert outcome.failed == {
        0: "ResourceNotFoundException",
        1: "ResourceNotFoundException",
        2: "ResourceNotFoundException",
    }


def test_a_permanent_error_in_one_chunk_does_not_stop_the_others(fake_clock: FakeClock) -> None:
    log = ScriptedLog([LogWriteError("AccessDeniedException", retryable=False), None], max_records=2)
    outcome = write(log, records(4), fake_clock)
    assert sorted(outcome.failed) == [0, 1]
    assert [len(call) for call in log.calls] == [2, 2]


def test_every_record_is_tried_once_even_with_no_budget(fake_clock: FakeClock) -> None:
    log = ScriptedLog([refuse({"user-0"})])
    outcome = write(log, records(2), fake_clock, budget=0.0)
    assert len(log.calls) == 1
    assert outcome.failed == {0: THROTTLED}


class StubKinesisClient:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.requests: list[dict[str, Any]] = []

    def put_records(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "..."}}, "PutRecords")


def test_kinesis_log_sends_partition_keys_and_data_to_the_named_stream() -> None:
    client = StubKinesisClient({"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1", "ShardId": "s"}]})
    codes = KinesisEventLog(client, "raw").write([LogRecord("user-1", b'{"a":1}')])
    assert codes == [None]
    assert client.requests == [
        {"StreamName": "raw", "Records": [{"Data": b'{"a":1}', "PartitionKey": "user-1"}]}
    ]


def test_kinesis_log_reports_per_record_error_codes() -> None:
    client = StubKinesisClient(
        {
            "FailedRecordCount": 1,
            "Records": [
                {"SequenceNumber": "1", "ShardId": "s"},
                {"ErrorCode": THROTTLED, "ErrorMessage": "Rate exceeded"},
            ],
        }
    )
    assert KinesisEventLog(client, "raw").write(records(2)) == [None, THROTTLED]


@pytest.mark.parametrize(
    ("error", "code", "retryable"),
    [
        (client_error(THROTTLED), THROTTLED, True),
        (client_error("KMSThrottlingException"), "KMSThrottlingException", True),
        (client_error("InternalFailure"), "InternalFailure", True),
        (client_error("ResourceNotFoundException"), "ResourceNotFoundException", False),
        (client_error("AccessDeniedException"), "AccessDeniedException", False),
        (client_error("KMSDisabledException"), "KMSDisabledException", False),
        (ReadTimeoutError(endpoint_url="https://kinesis"), "ReadTimeoutError", True),
    ],
)
def test_kinesis_log_classifies_whole_call_errors(error: Exception, code: str, retryable: bool) -> None:
    with pytest.raises(LogWriteError) as raised:
        KinesisEventLog(StubKinesisClient(error), "raw").write(records(1))
    assert (raised.value.code, raised.value.retryable) == (code, retryable)
