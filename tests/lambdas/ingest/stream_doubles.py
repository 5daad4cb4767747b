"""Test doubles around Kinesis: read a (moto) stream back, refuse records like a throttled stream, fake time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

STREAM_NAME = "kappa-test-raw-events"


@dataclass(frozen=True)
class StoredRecord:
    shard_id: str
    partition_key: str
    event: dict[str, Any]


def read_stream(client: Any, stream_name: str = STREAM_NAME) -> list[StoredRecord]:
    """Every record in the stream, shard by shard from the start."""
    records: list[StoredRecord] = []
    for shard in client.list_shards(StreamName=stream_name)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=stream_name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            answer = client.get_records(ShardIterator=iterator, Limit=10_000)
            records.extend(
                StoredRecord(shard["ShardId"], r["PartitionKey"], orjson.loads(r["Data"]))
                for r in answer["Records"]
            )
            if not answer["Records"]:
                break
            iterator = answer.get("NextShardIterator")
    return records


class FlakyKinesis:
    """Wraps a real (moto) Kinesis client: refuses the records of chosen events, as Kinesis does.

    `refuse(event)` picks events; each is refused with ProvisionedThroughputExceededException for its
    first `times` attempts (None: always). Refused records are not written, the rest go through.
    """

    def __init__(self, client: Any, refuse: Callable[[dict[str, Any]], bool], times: int | None) -> None:
        self._client = client
        self._refuse = refuse
        self._times = times
        self.attempts: Counter[str] = Counter()
        self.calls = 0

    def put_records(self, *, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        answers: list[dict[str, Any] | None] = []
        passed = []
        for record in Records:
            event = orjson.loads(record["Data"])
            self.attempts[event["event_id"]] += 1
            refused = self._refuse(event) and (
                self._times is None or self.attempts[event["event_id"]] <= self._times
            )
            if refused:
                answers.append(
                    {
                        "ErrorCode": "ProvisionedThroughputExceededException",
                        "ErrorMessage": "Rate exceeded for shard",
                    }
                )
            else:
                answers.append(None)
                passed.append(record)
        written = iter(
            self._client.put_records(StreamName=StreamName, Records=passed)["Records"] if passed else []
        )
        records = [answer if answer is not None else next(written) for answer in answers]
        return {"FailedRecordCount": sum(1 for r in records if "ErrorCode" in r), "Records": records}


class FakeClock:
    """Monotonic time that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
