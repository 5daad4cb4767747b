"""The Firehose stand-in: copies the raw stream into the archive layout on disk, as Firehose does into S3.

Firehose (Kinesis source → S3, GZIP, newline delimiter) buffers records and writes one object per
buffer under `archive/dt=YYYY-MM-DD/hour=HH/`, partitioned by the arrival time of the buffer's first
record. Locally the buffer is at most `buffer_seconds` (1 s by default, versus 60 s in AWS) so the
Flink job sees events quickly. Files are written atomically (dot-named temporary file, then rename):
the job's continuously monitored file source ignores dot files and never sees half a file.
"""

from __future__ import annotations

import gzip
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from kappa.local.kinesis_shards import ShardReader, StreamRecord, shard_ids
from kappa.local.paths import write_atomically

log = logging.getLogger(__name__)

ArchiveObserver = Callable[[list[StreamRecord], Path], None]
R = TypeVar("R")


def archive_path(root: Path, prefix: str, first_arrival: float, *, compress: bool) -> Path:
    """Where a buffer whose first record arrived at `first_arrival` goes (Firehose's naming, local root)."""
    moment = datetime.fromtimestamp(first_arrival, tz=UTC)
    name = f"{prefix}-1-{moment:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}.ndjson" + (".gz" if compress else "")
    return root / f"dt={moment:%Y-%m-%d}" / f"hour={moment:%H}" / name


def encode_records(records: list[StreamRecord]) -> bytes:
    """Newline-delimited record data (Firehose's AppendDelimiterToRecord: add `\\n` where missing)."""
    return b"".join(r.data if r.data.endswith(b"\n") else r.data + b"\n" for r in records)


class ArchiveBuffer(Generic[R]):
    """Firehose's buffer and delivery to archive files; the Kinesis- and the MSK-sourced stand-ins add the reading.

    A buffer is delivered once it is `buffer_seconds` old or `buffer_bytes` big (Firehose's buffering hints),
    as one file named and partitioned by its first record's arrival, written atomically.
    """

    def __init__(
        self,
        archive_root: Path,
        *,
        object_prefix: str,
        buffer_seconds: float,
        buffer_bytes: int,
        compress: bool,
        observers: list[ArchiveObserver] | None,
    ) -> None:
        self.root = archive_root
        self._prefix = object_prefix
        self._buffer_seconds = buffer_seconds
        self._buffer_bytes = buffer_bytes
        self._compress = compress
        self._observers = list(observers or [])
        self._buffer: list[R] = []
        self._buffered_bytes = 0
        self._buffer_started = 0.0
        self.records_delivered = 0
        self.files_written = 0
        self.error: BaseException | None = None

    def add_observer(self, observer: ArchiveObserver) -> None:
        """Called with the records (as `StreamRecord`s) and the path of each file written."""
        self._observers.append(observer)

    def _add_to_buffer(self, records: list[R], size: int) -> None:
        if records and not self._buffer:
            self._buffer_started = time.monotonic()
        self._buffer.extend(records)
        self._buffered_bytes += size

    def _buffer_due(self, *, force: bool) -> bool:
        """Whether the buffer is to be delivered now: not empty, and old or big enough (or `force`)."""
        if not self._buffer:
            return False
        due = time.monotonic() - self._buffer_started >= self._buffer_seconds
        return force or due or self._buffered_bytes >= self._buffer_bytes

    def _write_file(self, records: list[StreamRecord]) -> Path:
        """Write `records` (in archive order) to one archive file, atomically; the buffer is left as it is."""
        payload = encode_records(records)
        path = archive_path(self.root, self._prefix, records[0].arrival, compress=self._compress)
        write_atomically(
            path, gzip.compress(payload, compresslevel=5, mtime=0) if self._compress else payload
        )
        return path

    def _mark_delivered(self, count: int) -> None:
        self._buffer, self._buffered_bytes = [], 0
        self.records_delivered += count
        self.files_written += 1

    def _notify_observers(self, records: list[StreamRecord], path: Path) -> None:
        for observer in self._observers:
            try:
                observer(records, path)
            except Exception:
                log.exception("archive observer failed")


class FirehoseArchive(ArchiveBuffer[StreamRecord]):
    """Polls every shard of the raw stream and delivers buffers of records to archive files."""

    def __init__(
        self,
        kinesis: Any,
        stream_name: str,
        archive_root: Path,
        *,
        object_prefix: str | None = None,
        buffer_seconds: float = 1.0,
        buffer_bytes: int = 5 * 1024 * 1024,
        poll_seconds: float = 0.2,
        compress: bool = True,
        observers: list[ArchiveObserver] | None = None,
    ) -> None:
        super().__init__(
            archive_root,
            object_prefix=object_prefix or stream_name,
            buffer_seconds=buffer_seconds,
            buffer_bytes=buffer_bytes,
            compress=compress,
            observers=observers,
        )
        self._kinesis = kinesis
        self._stream_name = stream_name
        self._poll_seconds = poll_seconds
        self._readers: list[ShardReader] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self, *, force: bool = False) -> int:
        """Read every shard that is due (all with `force`) into the buffer; returns how many arrived."""
        if not self._readers:
            self._readers = [
                ShardReader(self._kinesis, self._stream_name, shard, poll_seconds=self._poll_seconds)
                for shard in shard_ids(self._kinesis, self._stream_name)
            ]
        arrived = 0
        for reader in self._readers:
            if not (force or reader.due()):
                continue
            records = reader.read()
            self._add_to_buffer(records, sum(len(r.data) + 1 for r in records))
            arrived += len(records)
        return arrived

    def flush(self, *, force: bool = False) -> Path | None:
        """Write the buffer to one archive file if it is old or big enough (or `force`)."""
        if not self._buffer_due(force=force):
            return None
        records = sorted(self._buffer, key=lambda r: r.arrival)
        path = self._write_file(records)
        self._mark_delivered(len(records))
        self._notify_observers(records, path)
        return path

    def drain(self, timeout: float = 10.0) -> None:
        """Read until the stream has nothing more, then write what is buffered (used at shutdown)."""
        deadline = time.monotonic() + timeout
        while self.poll_once(force=True) and time.monotonic() < deadline:
            pass
        self.flush(force=True)

    def start(self) -> FirehoseArchive:
        self._thread = threading.Thread(target=self._run, name="firehose-archive", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling and deliver everything still in the stream or the buffer."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        try:
            self.drain()
        except Exception as error:
            log.error("could not deliver the last records to the archive: %s", error)
            raise

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
                self.flush()
            except Exception as error:
                self.error = error
                log.exception("Firehose stand-in failed to read %s; retrying", self._stream_name)
                self._stop.wait(1.0)
            self._stop.wait(self._poll_seconds)
