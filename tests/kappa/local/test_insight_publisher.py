"""Committed insight files reach the insights stream once; what the fan-out finished is never sent again."""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from kappa.local.insight_publisher import InsightPublisher, committed_files, read_insights
from kappa.local.kinesis_shards import ShardReader, StreamRecord, shard_ids


def insight(n: int, kind: str = "metrics") -> dict:
    return {"insight_id": f"{kind}:{n:04d}", "type": kind, "occurred_at": "2026-11-25T12:00:00.000Z",
            "emitted_at": "2026-11-25T12:00:01.000Z", "job_version": "v1", "payload": {}, "user_id": f"u{n}"}  # fmt: skip


def write(path: Path, insights: list[dict], *, mtime: float | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(i) + "\n" for i in insights))
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def stream_contents(kinesis, name: str) -> list[dict]:
    found = []
    for shard in shard_ids(kinesis, name):
        found += [json.loads(r.data) for r in ShardReader(kinesis, name, shard).read()]
    return found


@pytest.fixture
def kinesis():
    with mock_aws():
        client = boto3.client("kinesis", region_name="us-east-1")
        client.create_stream(StreamName="insights", ShardCount=1)
        yield client


def test_only_committed_files_are_read(tmp_path: Path) -> None:
    write(tmp_path / "2026-11-25--12" / "part-a-0-0", [insight(1)], mtime=100)
    write(tmp_path / "2026-11-25--12" / ".part-a-0-1.inprogress.123", [insight(2)])
    write(tmp_path / "_temporary" / "part-x", [insight(3)])
    write(tmp_path / "part-b-0-0", [insight(4)], mtime=50)
    assert [p.name for p in committed_files(tmp_path)] == ["part-b-0-0", "part-a-0-0"]


def test_gzip_files_and_bad_lines_are_handled(tmp_path: Path) -> None:
    path = tmp_path / "part-0.gz"
    path.write_bytes(gzip.compress(b'{"insight_id": "a:1", "type": "metrics"}\nnot json\n{"no_id": 1}\n'))
    insights, invalid = read_insights(path)
    assert [i["insight_id"] for i in insights] == ["a:1"]
    assert invalid == 2


def test_new_insights_are_published_once_even_if_a_rerun_writes_them_again(kinesis, tmp_path: Path) -> None:
    # GIVEN a committed file, and later a second file repeating one insight (a job re-run from scratch)
    root = tmp_path / "insights"
    publisher = InsightPublisher(kinesis, "insights", root, tmp_path / "done.ids").load()
    write(root / "part-1", [insight(1), insight(2, "cart_abandoned")], mtime=1)
    assert publisher.scan_once() == 2
    write(root / "part-2", [insight(2, "cart_abandoned"), insight(3)], mtime=2)
    # WHEN both are scanned
    assert publisher.scan_once() == 1
    assert publisher.scan_once() == 0
    # THEN the stream holds each insight once
    assert [i["insight_id"] for i in stream_contents(kinesis, "insights")] == [
        "metrics:0001", "cart_abandoned:0002", "metrics:0003"
    ]  # fmt: skip
    assert publisher.published_by_type == {"metrics": 2, "cart_abandoned": 1}
    assert publisher.pending_count == 3


def test_restart_republishes_only_what_the_fanout_did_not_finish(kinesis, tmp_path: Path) -> None:
    # GIVEN three insights published, of which the fan-out finished two
    root = tmp_path / "insights"
    done = tmp_path / "state" / "done.ids"
    first = InsightPublisher(kinesis, "insights", root, done).load()
    write(root / "part-1", [insight(1), insight(2), insight(3)], mtime=1)
    first.scan_once()
    records = [StreamRecord("s", str(i), "k", json.dumps(insight(i)).encode(), 0.0) for i in (1, 2)]
    first.mark_done(records, "processed")
    # WHEN the runtime restarts on a fresh (empty) insights stream
    kinesis.delete_stream(StreamName="insights")
    kinesis.create_stream(StreamName="insights", ShardCount=1)
    second = InsightPublisher(kinesis, "insights", root, done).load()
    second.scan_once()
    # THEN only the unfinished insight is published again
    assert [i["insight_id"] for i in stream_contents(kinesis, "insights")] == ["metrics:0003"]
    assert second.done_count == 2
    assert second.skipped_already_done == 2


def at(insight_doc: dict, occurred_at: str) -> dict:
    return {**insight_doc, "occurred_at": occurred_at}


def test_after_a_cutover_only_what_is_neither_delivered_nor_history_is_published(
    kinesis, tmp_path: Path
) -> None:
    # GIVEN the old version's publisher finished insight 1 (its fan-out delivered it)
    done = tmp_path / "state" / "done.ids"
    old = InsightPublisher(kinesis, "insights", tmp_path / "v1", done).load()
    write(tmp_path / "v1" / "part-1", [insight(1)], mtime=1)
    old.scan_once()
    old.mark_done([StreamRecord("s", "1", "k", json.dumps(insight(1)).encode(), 0.0)], "processed")
    # AND the new version recomputed it, plus one insight before the overlap and one inside it
    new_root = tmp_path / "versions" / "v2" / "live" / "insights"
    write(new_root / "part-1", [
        at(insight(1), "2026-11-25T12:00:00.000Z"),   # delivered by v1: never again
        at(insight(2), "2026-11-25T11:44:59.999Z"),   # history before deliver_from: held back
        at(insight(3), "2026-11-25T11:45:00.000Z"),   # at deliver_from: news
        {**insight(4), "occurred_at": "not a time"},  # unreadable time: published, not dropped
    ], mtime=1)  # fmt: skip
    kinesis.delete_stream(StreamName="insights")
    kinesis.create_stream(StreamName="insights", ShardCount=1)
    new = InsightPublisher(
        kinesis, "insights", new_root, done, deliver_from=datetime(2026, 11, 25, 11, 45, tzinfo=UTC)
    ).load()
    # WHEN the new version's publisher scans its folder
    assert new.scan_once() == 2
    # THEN only insights that are neither delivered nor history reach the stream
    assert [i["insight_id"] for i in stream_contents(kinesis, "insights")] == ["metrics:0003", "metrics:0004"]
    assert (new.skipped_already_done, new.skipped_before_switch, new.pending_count) == (1, 1, 2)
