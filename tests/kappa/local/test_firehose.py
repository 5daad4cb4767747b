"""The Firehose stand-in archives the raw stream into dt=/hour= folders, atomically and promptly."""

from __future__ import annotations

import contextlib
import gzip
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import boto3
from moto import mock_aws

from kappa.local.firehose import FirehoseArchive, archive_path, encode_records
from kappa.local.kinesis_shards import StreamRecord


def test_archive_path_partitions_by_first_arrival_in_utc(tmp_path: Path) -> None:
    arrival = datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC).timestamp()
    path = archive_path(tmp_path, "kappa-dev-raw-events", arrival, compress=True)
    assert path.parent == tmp_path / "dt=2026-11-25" / "hour=23"
    assert path.name.startswith("kappa-dev-raw-events-1-2026-11-25-23-59-59-")
    assert path.name.endswith(".ndjson.gz")


def test_records_are_newline_delimited_once() -> None:
    records = [StreamRecord("s", str(i), "k", data, 0.0) for i, data in enumerate([b'{"a":1}', b'{"b":2}\n'])]
    assert encode_records(records) == b'{"a":1}\n{"b":2}\n'


@mock_aws
def test_stream_is_copied_to_gzip_ndjson_files_with_no_visible_partial_files(tmp_path: Path) -> None:
    # GIVEN a raw stream with 4 shards and 50 events
    kinesis = boto3.client("kinesis", region_name="us-east-1")
    kinesis.create_stream(StreamName="raw", ShardCount=4)
    sent = [{"event_id": f"e{i}", "user_id": f"u{i % 7}"} for i in range(50)]
    for event in sent:
        kinesis.put_record(StreamName="raw", Data=json.dumps(event).encode(), PartitionKey=event["user_id"])
    delivered: list[int] = []
    archive = FirehoseArchive(
        kinesis, "raw", tmp_path / "archive", buffer_seconds=0.2, poll_seconds=0.05,
        observers=[lambda records, path: delivered.append(len(records))],
    )  # fmt: skip
    # WHEN it runs for a moment and is stopped
    archive.start()
    deadline = time.monotonic() + 10
    while sum(delivered) < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    kinesis.put_record(StreamName="raw", Data=b'{"event_id": "late"}', PartitionKey="u1")
    archive.stop()
    # THEN every event (including the one sent just before stop) is in exactly one visible .gz file
    files = sorted((tmp_path / "archive").rglob("*"))
    data_files = [f for f in files if f.is_file()]
    assert all(not f.name.startswith(".") for f in data_files)
    assert all(
        f.parent.name.startswith("hour=") and f.parent.parent.name.startswith("dt=") for f in data_files
    )
    lines = [json.loads(line) for f in data_files for line in gzip.decompress(f.read_bytes()).splitlines()]
    assert sorted(e["event_id"] for e in lines) == sorted([e["event_id"] for e in sent] + ["late"])
    assert archive.records_delivered == 51


def test_failed_write_keeps_records_buffered(tmp_path: Path, monkeypatch) -> None:
    # GIVEN a buffer with one record and a disk that fails once
    archive = FirehoseArchive(None, "raw", tmp_path, buffer_seconds=0)
    archive._buffer = [StreamRecord("s", "1", "k", b'{"a":1}', time.time())]
    archive._buffer_started = time.monotonic()
    import kappa.local.firehose as module

    calls = []

    def failing(path: Path, data: bytes) -> None:
        calls.append(path)
        raise OSError("disk full")

    monkeypatch.setattr(module, "write_atomically", failing)
    # WHEN a flush fails
    with contextlib.suppress(OSError):
        archive.flush(force=True)
    monkeypatch.undo()
    # THEN the record is still buffered and the next flush writes it
    path = archive.flush(force=True)
    assert path is not None
    assert gzip.decompress(path.read_bytes()) == b'{"a":1}\n'
