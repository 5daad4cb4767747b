"""The Kinesis event source mapping stand-in keeps Lambda's batch, retry and partial-failure semantics."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import boto3
import pytest
from moto import mock_aws

from kappa.local.function_host import FunctionHost, FunctionSpec, Invocation
from kappa.local.kinesis_shards import StreamRecord
from kappa.local.stream_mapping import (
    KinesisEventSourceMapping,
    StreamMappingSettings,
    failed_index,
    kinesis_event,
)
from tests.kappa.local.mapping_doubles import FAST, PoisonedFunction


def records(
    count: int, *, failing: set[int] = frozenset(), shard: str = "shardId-000000000000"
) -> list[StreamRecord]:
    return [
        StreamRecord(
            shard_id=shard,
            sequence_number=f"{1000 + i}",
            partition_key=f"user-{i}",
            data=json.dumps({"n": i, "fail": i in failing}).encode(),
            arrival=time.time(),
        )
        for i in range(count)
    ]


class RecordingFunction(PoisonedFunction[int]):
    """A stand-in function: fails (as told) for records whose index is in `poison`."""

    def numbered_records(self, event: dict[str, Any]) -> list[tuple[dict[str, Any], int]]:
        return [(r, json.loads(base64.b64decode(r["kinesis"]["data"]))["n"]) for r in event["Records"]]

    def item_identifier(self, record: dict[str, Any]) -> Any:
        return record["kinesis"]["sequenceNumber"]


def mapping(
    function: RecordingFunction, settings: StreamMappingSettings = FAST
) -> tuple[KinesisEventSourceMapping, list, list]:
    checkpoints: list[tuple[list[int], str]] = []
    failures: list[dict[str, Any]] = []
    esm = KinesisEventSourceMapping(
        None,
        "insights",
        function,
        settings,
        function_name="fanout",
        on_failure=failures.append,
        on_checkpoint=lambda rs, outcome: checkpoints.append(
            ([json.loads(r.data)["n"] for r in rs], outcome)
        ),
    )
    return esm, checkpoints, failures


def test_successful_batch_is_checkpointed_once_in_order() -> None:
    # GIVEN a function that accepts everything
    function = RecordingFunction("report", poison=set())
    esm, checkpoints, failures = mapping(function)
    # WHEN a batch is delivered
    assert esm.deliver(records(5))
    # THEN it is invoked once and checkpointed as processed
    assert function.batches == [[0, 1, 2, 3, 4]]
    assert checkpoints == [([0, 1, 2, 3, 4], "processed")]
    assert failures == []


def test_partial_failure_checkpoints_before_lowest_failed_item_and_retries_from_it() -> None:
    # GIVEN a function that reports record 3 as failed on the first attempt only
    function = RecordingFunction("report", poison={3})
    original = function.__call__

    def flaky(event: dict[str, Any]) -> Invocation:
        outcome = original(event)
        function.poison.clear()
        return outcome

    esm, checkpoints, failures = mapping(function)
    esm._invoke = flaky
    # WHEN a batch of 6 is delivered
    assert esm.deliver(records(6))
    # THEN records 0-2 are checkpointed, 3-5 retried together, and nothing is discarded
    assert function.batches == [[0, 1, 2, 3, 4, 5], [3, 4, 5]]
    assert checkpoints == [([0, 1, 2], "processed"), ([3, 4, 5], "processed")]
    assert failures == []


def test_record_that_keeps_failing_is_discarded_after_max_retries_with_batch_info() -> None:
    # GIVEN a function that always reports record 2 as failed, and 2 retries allowed
    function = RecordingFunction("report", poison={2})
    esm, checkpoints, failures = mapping(function)
    # WHEN a batch of 4 is delivered
    assert esm.deliver(records(4))
    # THEN the first attempt plus 2 retries of [2, 3, ...] happen, then the rest is discarded
    assert function.batches == [[0, 1, 2, 3], [2, 3], [2, 3]]
    assert checkpoints == [([0, 1], "processed"), ([2, 3], "discarded")]
    (failure,) = failures
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["KinesisBatchInfo"]["startSequenceNumber"] == "1002"
    assert failure["KinesisBatchInfo"]["endSequenceNumber"] == "1003"
    assert failure["KinesisBatchInfo"]["batchSize"] == 2


def test_function_error_bisects_until_the_poison_record_is_isolated() -> None:
    # GIVEN a function that raises whenever record 5 is in the batch
    function = RecordingFunction("raise", poison={5})
    esm, checkpoints, failures = mapping(function)
    # WHEN a batch of 8 is delivered
    assert esm.deliver(records(8))
    # THEN halves are retried without using retries, and only record 5 is discarded
    assert function.batches[:4] == [[0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3], [4, 5, 6, 7], [4, 5]]
    assert function.batches.count([5]) == 3  # first try + 2 retries
    processed = [n for batch, outcome in checkpoints if outcome == "processed" for n in batch]
    assert processed == [0, 1, 2, 3, 4, 6, 7]
    assert [c for c in checkpoints if c[1] == "discarded"] == [([5], "discarded")]
    assert len(failures) == 1


def test_function_error_without_bisect_retries_whole_batch() -> None:
    # GIVEN bisect off
    function = RecordingFunction("raise", poison={1})
    settings = StreamMappingSettings(
        batch_size=10, max_batching_window_seconds=0, max_retry_attempts=1, retry_backoff_seconds=0,
        bisect_batch_on_function_error=False,
    )  # fmt: skip
    esm, checkpoints, _ = mapping(function, settings)
    # WHEN delivered
    esm.deliver(records(3))
    # THEN the whole batch is retried once, then discarded as a whole
    assert function.batches == [[0, 1, 2], [0, 1, 2]]
    assert checkpoints == [([0, 1, 2], "discarded")]


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (None, None),
        ({}, None),
        ({"batchItemFailures": None}, None),
        ({"batchItemFailures": []}, None),
        ({"batchItemFailures": [{"itemIdentifier": "1002"}, {"itemIdentifier": "1001"}]}, 1),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, -1),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, -1),
        ({"batchItemFailures": [{"wrongKey": "1001"}]}, -1),
        ({"batchItemFailures": [{"itemIdentifier": "9999"}]}, -1),
    ],
)
def test_partial_batch_response_is_read_like_lambda_reads_it(result: Any, expected: int | None) -> None:
    assert failed_index(result, records(3)) == expected


def test_invalid_item_identifier_fails_the_whole_batch() -> None:
    # GIVEN a function that answers with an empty identifier
    esm, checkpoints, _ = mapping(RecordingFunction("report", set()))
    calls: list[int] = []

    def answer(event: dict[str, Any]) -> Invocation:
        calls.append(len(event["Records"]))
        return Invocation(True, result={"batchItemFailures": [{"itemIdentifier": ""}]})

    esm._invoke = answer
    # WHEN a single record is delivered
    esm.deliver(records(1))
    # THEN it counts as a failure: retried, then discarded
    assert calls == [1, 1, 1]
    assert checkpoints == [([0], "discarded")]


def test_kinesis_event_has_lambda_record_shape() -> None:
    (record,) = records(1)
    event = kinesis_event(
        [record], arn="arn:aws:kinesis:us-east-1:123456789012:stream/s", region="us-east-1", function_name="f"
    )
    (item,) = event["Records"]
    assert item["eventSource"] == "aws:kinesis"
    assert item["eventID"] == f"{record.shard_id}:{record.sequence_number}"
    assert base64.b64decode(item["kinesis"]["data"]) == record.data
    assert item["kinesis"]["partitionKey"] == "user-0"


@mock_aws
def test_mapping_polls_every_shard_and_feeds_a_real_worker_process(tmp_path) -> None:
    # GIVEN a 2-shard stream with 20 records, 2 of them marked to fail, and the sample handler in a worker
    kinesis = boto3.client("kinesis", region_name="us-east-1")
    kinesis.create_stream(StreamName="insights", ShardCount=2)
    for i in range(20):
        data = json.dumps({"n": i, "fail": i in (4, 11)}).encode()
        kinesis.put_record(StreamName="insights", Data=data, PartitionKey=f"user-{i}")
    host = FunctionHost(
        FunctionSpec(name="fanout", handler="tests.kappa.local.sample_handlers.kinesis_fail_marked"),
        tmp_path / "f.log",
    ).start()
    seen: list[tuple[int, str]] = []
    failures: list[dict[str, Any]] = []
    esm = KinesisEventSourceMapping(
        kinesis,
        "insights",
        host.invoke,
        StreamMappingSettings(
            batch_size=5,
            max_batching_window_seconds=0.1,
            max_retry_attempts=1,
            retry_backoff_seconds=0,
            poll_seconds=0.05,
        ),
        function_name="fanout",
        on_failure=failures.append,
        on_checkpoint=lambda rs, outcome: seen.extend((json.loads(r.data)["n"], outcome) for r in rs),
    )
    try:
        # WHEN the mapping runs until every record is checkpointed
        esm.start()
        deadline = time.monotonic() + 20
        while len(seen) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        esm.stop()
        host.stop()
    # THEN every record is checkpointed exactly once; the marked ones (and those behind them) were retried
    assert sorted(n for n, _ in seen) == list(range(20))
    discarded = {n for n, outcome in seen if outcome == "discarded"}
    assert {4, 11} <= discarded
    assert len(failures) >= 2
    assert esm.stats.partial_failures >= 2
