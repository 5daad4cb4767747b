"""One runtime per data directory; files written atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

from kappa.local.paths import DataDir, DataDirBusyError, DataDirLock, write_atomically


def test_second_runtime_on_the_same_data_dir_is_refused_until_the_first_releases(tmp_path: Path) -> None:
    data = DataDir.at(tmp_path)
    first = DataDirLock(data).acquire()
    with pytest.raises(DataDirBusyError, match="in use by a running kappa runtime"):
        DataDirLock(data).acquire()
    first.release()
    DataDirLock(data).acquire().release()


def test_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.json"
    write_atomically(target, b"one")
    write_atomically(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]
