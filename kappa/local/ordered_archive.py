"""The archive as a job reading history must see it: its files merged into one file in the order they were
written, then each new file as it is written.

Flink's files source reads the files one directory scan finds in no particular order (directory listing
order), and its watermark does not wait for the older ones: a job started over a whole archive of many files
sees much of it as late. The live runtime avoids this by starting the job before files pile up; a replay
and the first start of a version cut over to cannot. They read an `ArchiveFeed` instead: a folder holding
`history.ndjson` (every archive file, oldest first, in one file the source reads in order) and a hard link
to each archive file written later (found one by one, as the live job finds them in the archive).
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

from kappa.local.kinesis_shards import StreamRecord
from kappa.local.paths import atomic_file

log = logging.getLogger(__name__)

HISTORY_FILE = "history.ndjson"
HISTORY_MANIFEST = ".history-files"
"""The archive files merged into the history, one archive-relative path a line (a dot file: Flink skips it)."""
_WRITTEN_AT = re.compile(r"-(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})-")


def archive_files_in_order(archive: Path) -> list[Path]:
    """Committed archive files, oldest first: by partition, the time in Firehose's object name, then the
    file's modification time (several files can share a second)."""
    files = [
        path
        for path in archive.rglob("*.ndjson*")
        if path.is_file() and not any(part.startswith((".", "_")) for part in path.relative_to(archive).parts)
    ]

    def written(path: Path) -> tuple[str, str, int, str]:
        found = _WRITTEN_AT.search(path.name)
        return (
            str(path.parent.relative_to(archive)),
            found.group(1) if found else "",
            path.stat().st_mtime_ns,
            path.name,
        )

    return sorted(files, key=written)


def merge_in_order(files: Iterable[Path], target: Path) -> int:
    """Write the records of `files`, in that order, into one NDJSON file at `target` (atomically: the job
    never sees a partial file); returns how many records it holds."""
    records = 0
    with atomic_file(target) as out:
        for path in files:
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rb") as source:
                for line in source:
                    if line.strip():
                        out.write(line if line.endswith(b"\n") else line + b"\n")
                        records += 1
    return records


class ArchiveFeed:
    """A source folder for a job that must read the archive in order (`folder` is its `files.path`)."""

    def __init__(self, archive: Path, folder: Path) -> None:
        self.archive = archive
        self.folder = folder
        self._lock = threading.Lock()

    def prepare(self) -> int:
        """Merge the archive into the history on the first call; later, link what is not in the folder yet.
        Returns how many archive files were added."""
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            manifest = self.folder / HISTORY_MANIFEST
            if not (self.folder / HISTORY_FILE).exists():
                files = archive_files_in_order(self.archive)
                merge_in_order(files, self.folder / HISTORY_FILE)
                manifest.write_text("".join(f"{p.relative_to(self.archive)}\n" for p in files))
                return len(files)
            merged = set(manifest.read_text().splitlines()) if manifest.exists() else set()
            added = 0
            for path in archive_files_in_order(self.archive):
                if str(path.relative_to(self.archive)) not in merged and self._link(path):
                    added += 1
            return added

    def on_archived(self, _records: list[StreamRecord], path: Path) -> None:
        """The Firehose stand-in's observer: a new archive file joins the folder at once."""
        with self._lock:
            self._link(path)

    def _link(self, path: Path) -> bool:
        """Add one archive file under a flat, unique name (a hard link: whole at once, no copy)."""
        name = "__".join(path.relative_to(self.archive).parts)
        target = self.folder / name
        if target.exists():
            return False
        try:
            os.link(path, target)
        except OSError:  # another file system: copy to a dot file, then rename (never a partial file)
            temporary = self.folder / f".{name}.tmp"
            shutil.copyfile(path, temporary)
            with contextlib.suppress(FileNotFoundError):
                os.replace(temporary, target)
        return True
