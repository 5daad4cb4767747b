"""Event time from RFC 3339 (offsets, 0-9 fraction digits), dedupe, the late-event side output, and the
archive layout (dt=/hour= directories, gzip) — on small hand-made logs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.flink_app.jobs import run_job

pytestmark = [pytest.mark.slow, pytest.mark.flink]


def event(event_id: str, event_type: str, occurred_at: str, user: str = "u-1", **body) -> dict:
    base = {"event_id": event_id, "event_type": event_type, "occurred_at": occurred_at, "user_id": user,
            "session_id": f"s-{user}"}  # fmt: skip
    if event_type == "page_view":
        base["page"] = {"url": "https://shop.example.com/"}
    if event_type == "search":
        base["search"] = {"query": "socks"}
    if event_type == "product_view":
        base["product"] = {"product_id": "p-1", "price": 9.99, "currency": "EUR"}
    return {**base, **body}


def write(path: Path, events: list[dict], *, gz: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(e) + "\n" for e in events)
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)


@pytest.fixture(scope="module")
def late_run(flink_environment, tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("late")
    searched = event("e-3", "search", "2026-01-01T00:00:01.123456789Z")
    events = [
        event("e-1", "page_view", "2026-01-01T00:00:00Z"),
        event("e-2", "product_view", "2026-01-01T01:00:00.5+01:00"),  # 00:00:00.500Z
        searched,
        searched,  # delivered twice
        event("e-4", "page_view", "2025-12-31T19:00:02.25-05:00"),  # 00:00:02.250Z
        *[event(f"e-1{n}", "page_view", f"2026-01-01T00:0{n}:30Z", user=f"u-{n}") for n in range(1, 10)],
        event("e-late", "search", "2026-01-01T00:00:05Z", user="u-9"),  # 9 minutes behind: late
        event("e-last", "page_view", "2026-01-01T00:09:59Z"),
    ]
    write(directory / "events.ndjson", events)
    return run_job(directory / "events.ndjson", directory / "out")


def test_offsets_and_fractions_land_in_the_right_minute(late_run) -> None:
    first = next(
        i for i in late_run.of_type("metrics") if i["payload"]["window_start"] == "2026-01-01T00:00:00.000Z"
    )
    # e-1, e-2 (+01:00), e-3 (9 fraction digits, delivered twice), e-4 (-05:00); not the late e-late
    assert first["payload"]["events_by_type"]["page_view"] == 2
    assert first["payload"]["events_by_type"]["product_view"] == 1
    assert first["payload"]["events_by_type"]["search"] == 1
    sessions = {i["user_id"]: i["payload"] for i in late_run.of_type("session_summary")}
    assert sessions["u-1"]["started_at"] == "2026-01-01T00:00:00.000Z"


def test_a_late_event_goes_to_the_side_output_not_into_windows(late_run) -> None:
    assert [record["event_id"] for record in late_run.late] == ["e-late"]
    assert late_run.late[0]["event_time"] == "2026-01-01T00:00:05.000Z"
    counted = sum(i["payload"]["events"] for i in late_run.of_type("metrics"))
    assert counted == 14  # 15 distinct events minus the late one


def test_duplicates_are_counted_per_window(late_run) -> None:
    assert {(s["window_start"], s["duplicates"]) for s in late_run.stats if s["duplicates"]} == {
        ("2026-01-01T00:00:00.000Z", 1)
    }


def test_archive_layout_with_gzip_is_read_recursively(flink_environment, tmp_path: Path) -> None:
    # GIVEN the Firehose archive layout: archive/dt=YYYY-MM-DD/hour=HH/, gzip and plain files, a dot file
    archive = tmp_path / "archive"
    write(
        archive / "dt=2026-01-01" / "hour=00" / "part-1.gz",
        [event("a-1", "page_view", "2026-01-01T00:10:00Z")],
        gz=True,
    )
    write(archive / "dt=2026-01-01" / "hour=01" / "part-2", [event("a-2", "search", "2026-01-01T01:10:00Z")])
    write(
        archive / "dt=2026-01-01" / "hour=01" / ".part-3.tmp",
        [event("a-3", "search", "2026-01-01T01:20:00Z")],
    )
    # WHEN the job replays it (a watermark wide enough for files read in any order)
    run = run_job(archive, tmp_path / "out", job={"watermark.out_of_orderness_ms": str(3 * 3600_000)})
    # THEN both visible files are read, the in-progress dot file is not
    windows = {i["payload"]["window_start"]: i["payload"]["events"] for i in run.of_type("metrics")}
    assert windows == {"2026-01-01T00:10:00.000Z": 1, "2026-01-01T01:10:00.000Z": 1}
