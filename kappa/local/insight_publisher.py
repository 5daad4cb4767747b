"""Moves the Flink job's committed insight files into the insights stream, each insight once.

In AWS the job writes to the insights stream itself (Kinesis sink). Locally it writes insight files
(its files sink, committed on checkpoint); this stand-in reads every committed file (in-progress files
are dot files and are skipped) and puts each insight on the local insights stream, so the fan-out is
fed by a real stream with real sequence numbers.

Exactly-once towards the fan-out across restarts: the event source mapping reports every insight it
has finished with (`mark_done`); their ids are appended to `done_ids_path`. On start every committed
file is read again and only insights not yet done are published, so an insight that was on the stream
but not yet delivered when the runtime stopped is published again, and nothing is published twice.
Insight ids are deterministic (same inputs → same id), which also makes a job re-run from scratch safe.

After a cut-over to a new job version (`kappa.local.active_version`) the publisher reads that version's
folder with the same done ids, so what the old version delivered is not published again, and `deliver_from`
holds back the new version's insights about moments before the switch's overlap (history, not news).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from events.timefmt import parse_rfc3339
from kappa.local.kinesis_shards import StreamRecord

log = logging.getLogger(__name__)

PUT_RECORDS_LIMIT = 500
FULL_LISTING_SECONDS = 2.0
"""Folder timestamps can miss two renames within one clock tick; list everything this often anyway."""
InsightObserver = Callable[[list[dict[str, Any]]], None]


def committed_files(root: Path, *, skip: set[Path] | None = None) -> list[Path]:
    """Committed sink files under `root` not in `skip`, oldest first.

    Flink's in-progress and pending part files are dot files; `_`-prefixed names are Flink's too.
    """
    files = [path for path in _visible_files(root) if skip is None or path not in skip]
    return sorted(files, key=lambda path: (path.stat().st_mtime, str(path)))


def _visible_files(root: Path) -> list[Path]:
    found = []
    for folder, folders, names in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith((".", "_"))]
        found.extend(
            Path(folder) / name
            for name in names
            if not name.startswith((".", "_")) and ".inprogress" not in name
        )
    return found


def _folder_stamps(root: Path) -> dict[str, int]:
    """Modification times of `root` and its visible sub-folders: unchanged stamps mean no new file."""
    stamps = {}
    for folder, folders, _ in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith((".", "_"))]
        with contextlib.suppress(OSError):
            stamps[folder] = os.stat(folder).st_mtime_ns
    return stamps


def read_done_ids(path: Path) -> set[str]:
    """The insight ids in a done-ids file (one per line; none if the file does not exist)."""
    if not path.exists():
        return set()
    return {line for line in path.read_text().splitlines() if line}


def occurred_before(insight: dict[str, Any], moment: datetime) -> bool:
    """True when the insight's event time is before `moment`; an unreadable time counts as not before."""
    try:
        return parse_rfc3339(str(insight["occurred_at"])) < moment
    except (KeyError, ValueError):
        return False


def read_insights(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The insights in one file, and how many lines were not valid insight JSON."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    insights, invalid = [], 0
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except ValueError:
            invalid += 1
            continue
        if isinstance(document, dict) and isinstance(document.get("insight_id"), str):
            insights.append(document)
        else:
            invalid += 1
    return insights, invalid


class InsightPublisher:
    """Polls the insights folder and publishes new insights to the insights stream."""

    def __init__(
        self,
        kinesis: Any,
        stream_name: str,
        insights_root: Path,
        done_ids_path: Path,
        *,
        poll_seconds: float = 0.2,
        observers: list[InsightObserver] | None = None,
        deliver_from: datetime | None = None,
    ) -> None:
        """`deliver_from`: insights about earlier moments (`occurred_at`) are not published (after a cut-over)."""
        self._kinesis = kinesis
        self._stream_name = stream_name
        self._root = insights_root
        self._done_path = done_ids_path
        self._poll_seconds = poll_seconds
        self._observers = list(observers or [])
        self._deliver_from = deliver_from
        self._lock = threading.Lock()
        self._done: set[str] = set()
        self._published: set[str] = set()
        self._read_files: set[Path] = set()
        self._stamps: dict[str, int] = {}
        self._listed_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.published_by_type: Counter[str] = Counter()
        self.invalid_lines = 0
        self.skipped_already_done = 0
        self.skipped_before_switch = 0
        """Insights not published because they are about moments before `deliver_from`."""
        self.error: BaseException | None = None

    def add_observer(self, observer: InsightObserver) -> None:
        self._observers.append(observer)

    def load(self) -> InsightPublisher:
        """Read which insights were delivered in earlier runs."""
        self._done = read_done_ids(self._done_path)
        return self

    @property
    def done_count(self) -> int:
        with self._lock:
            return len(self._done)

    @property
    def pending_count(self) -> int:
        """Insights published to the stream that the fan-out has not finished with yet."""
        with self._lock:
            return len(self._published - self._done)

    def scan_once(self) -> int:
        """Publish the insights of committed files not read yet; returns how many were published."""
        published = 0
        stamps = _folder_stamps(self._root)
        if stamps == self._stamps and time.monotonic() - self._listed_at < FULL_LISTING_SECONDS:
            return 0  # a committed file appears by rename, which touches its folder
        self._listed_at = time.monotonic()
        for path in committed_files(self._root, skip=self._read_files):
            insights, invalid = read_insights(path)
            if invalid:
                log.warning("%d line(s) of %s are not insights; skipped", invalid, path)
            with self._lock:
                self.invalid_lines += invalid
                fresh = []
                for insight in insights:
                    insight_id = insight["insight_id"]
                    if insight_id in self._done or insight_id in self._published:
                        self.skipped_already_done += 1
                        continue
                    if self._deliver_from is not None and occurred_before(insight, self._deliver_from):
                        self.skipped_before_switch += 1
                        continue
                    fresh.append(insight)
                    self._published.add(insight_id)
            self._put(fresh)
            self._read_files.add(path)
            published += len(fresh)
            if fresh:
                with self._lock:
                    self.published_by_type.update(insight["type"] for insight in fresh)
                for observer in self._observers:
                    try:
                        observer(fresh)
                    except Exception:
                        log.exception("insight observer failed")
        self._stamps = stamps
        return published

    def mark_done(self, records: list[StreamRecord], outcome: str) -> None:
        """The fan-out finished with these records (delivered, or discarded to the DLQ): never again."""
        ids = []
        for record in records:
            try:
                ids.append(json.loads(record.data)["insight_id"])
            except (ValueError, KeyError, TypeError):
                log.warning("record %s on the insights stream is not an insight", record.sequence_number)
        if not ids:
            return
        with self._lock:
            self._done.update(ids)
            self._done_path.parent.mkdir(parents=True, exist_ok=True)
            with self._done_path.open("a") as file:
                file.write("\n".join(ids) + "\n")
                file.flush()
                os.fsync(file.fileno())

    def _put(self, insights: list[dict[str, Any]]) -> None:
        for start in range(0, len(insights), PUT_RECORDS_LIMIT):
            chunk = insights[start : start + PUT_RECORDS_LIMIT]
            entries = [
                {
                    "Data": json.dumps(insight, separators=(",", ":")).encode(),
                    "PartitionKey": str(insight.get("user_id") or insight["insight_id"]),
                }
                for insight in chunk
            ]
            delay = 0.1
            while entries:
                answer = self._kinesis.put_records(StreamName=self._stream_name, Records=entries)
                entries = [e for e, r in zip(entries, answer["Records"], strict=True) if r.get("ErrorCode")]
                if entries:
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)

    def start(self) -> InsightPublisher:
        self._thread = threading.Thread(target=self._run, name="insight-publisher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling after one last scan (so insights committed just before are on the stream)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        try:
            self.scan_once()
        except Exception as error:
            log.warning("last scan of %s failed: %s (the next start reads it again)", self._root, error)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.scan_once()
                self.error = None
            except Exception as error:
                self.error = error
                log.exception("publishing insights from %s failed; retrying", self._root)
                self._stop.wait(1.0)
            self._stop.wait(self._poll_seconds)
