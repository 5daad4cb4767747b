"""The archive fed in order: one history file oldest first, then each new archive file as it is written."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from kappa.local.ordered_archive import (
    HISTORY_FILE,
    HISTORY_MANIFEST,
    ArchiveFeed,
    archive_files_in_order,
    merge_in_order,
)


def archived(
    archive: Path, hour: str, second: str, lines: list[str], *, mtime_ns: int, name: str = "a"
) -> Path:
    """One Firehose-named archive file (GZIP NDJSON) written at `mtime_ns`."""
    path = (
        archive
        / "dt=2026-11-25"
        / f"hour={hour}"
        / f"kappa-raw-1-2026-11-25-{hour}-00-{second}-{name}.ndjson.gz"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress("".join(f"{line}\n" for line in lines).encode()))
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def test_archive_files_are_ordered_as_written_not_as_listed(tmp_path: Path) -> None:
    # GIVEN files whose names and listing order disagree with when they were written
    late_hour = archived(tmp_path, "13", "05", ["e5"], mtime_ns=1, name="0")
    same_second_later = archived(tmp_path, "12", "30", ["e3"], mtime_ns=300, name="0")
    same_second_earlier = archived(tmp_path, "12", "30", ["e2"], mtime_ns=200, name="f")
    first = archived(tmp_path, "12", "10", ["e1"], mtime_ns=900, name="z")
    (tmp_path / "dt=2026-11-25" / "hour=12" / ".kappa-raw-1-x.ndjson.gz.tmp").write_bytes(b"partial")
    # THEN partition, then the time in the name, then the write time decide
    assert archive_files_in_order(tmp_path) == [first, same_second_earlier, same_second_later, late_hour]


def test_merge_keeps_the_order_and_every_record(tmp_path: Path) -> None:
    plain = tmp_path / "b.ndjson"
    plain.write_bytes(b'{"n": 3}\n\n{"n": 4}')  # a blank line, no final newline
    files = [archived(tmp_path, "12", "00", ['{"n": 1}', '{"n": 2}'], mtime_ns=1), plain]
    target = tmp_path / "out" / HISTORY_FILE
    assert merge_in_order(files, target) == 4
    assert target.read_text() == '{"n": 1}\n{"n": 2}\n{"n": 3}\n{"n": 4}\n'
    assert [p.name for p in target.parent.iterdir()] == [HISTORY_FILE]


def test_a_feed_merges_the_history_once_then_adds_new_files_as_they_come(tmp_path: Path) -> None:
    archive, folder = tmp_path / "archive", tmp_path / "source"
    archived(archive, "12", "20", ["e2"], mtime_ns=2)
    archived(archive, "12", "10", ["e1"], mtime_ns=1)
    feed = ArchiveFeed(archive, folder)
    # WHEN the feed is prepared for a first start
    assert feed.prepare() == 2
    assert (folder / HISTORY_FILE).read_text() == "e1\ne2\n"
    assert len((folder / HISTORY_MANIFEST).read_text().splitlines()) == 2
    # AND the Firehose stand-in writes a new file
    new = archived(archive, "12", "30", ["e3"], mtime_ns=3)
    feed.on_archived([], new)
    linked = folder / f"dt=2026-11-25__hour=12__{new.name}"
    assert linked.stat().st_ino == new.stat().st_ino  # a hard link: whole at once, no copy
    # WHEN the runtime restarts after a file was written that the feed did not see
    missed = archived(archive, "12", "40", ["e4"], mtime_ns=4)
    again = ArchiveFeed(archive, folder)
    assert again.prepare() == 1
    # THEN only that file is added: the history is not rebuilt, nothing is added twice
    assert (folder / HISTORY_FILE).read_text() == "e1\ne2\n"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(
        [HISTORY_FILE, linked.name, f"dt=2026-11-25__hour=12__{missed.name}"]
    )
    assert again.prepare() == 0
