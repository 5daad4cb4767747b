"""The Firehose stand-in on the Kafka path: copies the raw topic into the archive layout, exactly once.

In AWS an MSK-sourced Firehose delivery stream reads the topic and writes GZIP NDJSON objects under
`archive/dt=YYYY-MM-DD/hour=HH/` (docs/archive-layout.md). Locally this reads the raw topic with a consumer
group of its own (`<prefix>-raw-events-archive`), buffers and writes with the Firehose stand-in's
`kappa.local.firehose.ArchiveBuffer` (same buffering, file names, partitioning by the first record's
timestamp, atomic writes), and only after a file is on disk records how far it got, so nothing accepted is
lost and nothing is archived twice:

1. the file is written atomically (dot-named temporary file, then rename);
2. the next offset of every partition in it goes to `offsets_file` (atomically);
3. the same offsets are committed to the consumer group (synchronously).

A crash after 1 and before 3 would re-read those records from the committed offsets and archive them again;
step 2 closes that gap: on (re)assignment the consumer starts at the offsets in `offsets_file` where they
are ahead of the group's. The group's committed offsets are what `kafka-consumer-groups` and lag monitoring
see, as for Firehose's own consumer.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kappa.local.firehose import ArchiveBuffer, ArchiveObserver
from kappa.local.kafka_records import (
    KafkaRecord,
    commit,
    end_offsets,
    from_message,
    manual_commit_consumer,
    next_offsets,
    positions,
)
from kappa.local.paths import write_atomically

log = logging.getLogger(__name__)


class KafkaArchive(ArchiveBuffer[KafkaRecord]):
    """Reads every partition of the raw topic and delivers buffers of records to archive files."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        archive_root: Path,
        *,
        group_id: str,
        offsets_file: Path,
        object_prefix: str | None = None,
        buffer_seconds: float = 1.0,
        buffer_bytes: int = 5 * 1024 * 1024,
        poll_seconds: float = 0.2,
        compress: bool = True,
        observers: list[ArchiveObserver] | None = None,
        consumer_factory: Callable[..., Any] = manual_commit_consumer,
    ) -> None:
        super().__init__(
            archive_root,
            object_prefix=object_prefix or topic,
            buffer_seconds=buffer_seconds,
            buffer_bytes=buffer_bytes,
            compress=compress,
            observers=observers,
        )
        self.topic = topic
        self.group_id = group_id
        self.offsets_file = offsets_file
        self._poll_seconds = poll_seconds
        self._consumer = consumer_factory(bootstrap_servers, group_id)
        self._subscribed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    # ------------------------------------------------------------------ offsets

    def saved_offsets(self) -> dict[tuple[str, int], int]:
        """The offsets the last archive file reached, per partition (empty before the first file)."""
        try:
            saved = json.loads(self.offsets_file.read_text())
        except FileNotFoundError:
            return {}
        return {
            (self.topic, int(partition)): int(offset) for partition, offset in saved.get("next", {}).items()
        }

    def _save_offsets(self, reached: dict[tuple[str, int], int]) -> None:
        merged = self.saved_offsets() | reached
        document = {"topic": self.topic, "next": {str(p): o for (_t, p), o in sorted(merged.items())}}
        write_atomically(self.offsets_file, json.dumps(document, indent=2).encode())

    def _on_assign(self, consumer: Any, partitions: list[Any]) -> None:
        """Start each partition where the last archive file ended, when that is ahead of the group's commit."""
        saved = self.saved_offsets()
        committed = {
            (p.topic, p.partition): p.offset
            for p in consumer.committed(partitions, timeout=10)
            if p.offset >= 0
        }
        for partition in partitions:
            key = (partition.topic, partition.partition)
            if key in saved and saved[key] > committed.get(key, -1):
                partition.offset = saved[key]
        consumer.assign(partitions)

    # ------------------------------------------------------------------ polling

    def poll_once(self, timeout: float | None = None) -> int:
        """Consume what arrived within `timeout` into the buffer; returns how many records arrived."""
        if not self._subscribed:
            self._consumer.subscribe([self.topic], on_assign=self._on_assign)
            self._subscribed = True
        messages = self._consumer.consume(
            num_messages=1000, timeout=self._poll_seconds if timeout is None else timeout
        )
        records = []
        for message in messages:
            if message.error() is not None:
                log.warning("reading %s for the archive: %s", self.topic, message.error())
                continue
            records.append(from_message(message))
        self._add_to_buffer(records, sum(len(r.value) + 1 for r in records))
        return len(records)

    def flush(self, *, force: bool = False) -> Path | None:
        """Write the buffer to one archive file if it is old or big enough (or `force`), then record its offsets."""
        if not self._buffer_due(force=force):
            return None
        # Firehose orders a buffer by arrival; the sort is stable, so each partition keeps its order.
        kafka_records = sorted(self._buffer, key=lambda r: r.timestamp_ms)
        records = [r.as_stream_record() for r in kafka_records]
        path = self._write_file(records)
        reached = next_offsets(kafka_records)
        self._save_offsets(reached)
        self._mark_delivered(len(records))
        commit(self._consumer, reached)
        self._notify_observers(records, path)
        return path

    def caught_up(self) -> bool:
        """True when every assigned partition has been read to its end (and the group has partitions)."""
        assignment = self._consumer.assignment()
        if not assignment:
            return False
        ends = end_offsets(self._consumer)
        reading = positions(self._consumer)
        saved = self.saved_offsets()
        buffered = next_offsets(self._buffer)
        committed = {
            (p.topic, p.partition): p.offset for p in self._consumer.committed(assignment, timeout=10)
        }
        for key, end in ends.items():
            reached = max(
                reading.get(key, -1), buffered.get(key, -1), saved.get(key, -1), committed.get(key, -1)
            )
            if end > 0 and reached < end:
                return False
        return True

    def drain(self, timeout: float = 15.0) -> None:
        """Read until every partition is at its end, then write what is buffered (used at shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            arrived = self.poll_once(timeout=0.5)
            if not arrived and self.caught_up():
                break
        else:
            log.warning("the archive did not reach the end of %s within %.0f s", self.topic, timeout)
        self.flush(force=True)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> KafkaArchive:
        self._thread = threading.Thread(target=self._run, name="kafka-archive", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling, deliver everything still in the topic or the buffer, and leave the group."""
        if self._closed:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        try:
            self.drain()
        except Exception as error:
            log.error("could not deliver the last records of %s to the archive: %s", self.topic, error)
            raise
        finally:
            self._closed = True
            self._consumer.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
                self.flush()
            except Exception as error:
                self.error = error
                log.exception("the archive stand-in failed to read %s; retrying", self.topic)
                self._stop.wait(1.0)
