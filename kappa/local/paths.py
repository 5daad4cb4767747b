"""The layout of the local runtime's data directory: one place holds everything a restart needs."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

DEFAULT_DATA_DIR = Path(".kappa")


@dataclass(frozen=True)
class DataDir:
    """Where each part of the local runtime keeps its files (created on demand by `create`).

    ```
    <root>/api-keys.json        generated API keys (producers + admin)
    <root>/archive/dt=…/hour=…/ the raw log as Firehose would archive it (the job's input, replay source)
    <root>/insights/            the Flink job's committed insight files (its files sink)
    <root>/diagnostics/         the job's late events and duplicate counts
    <root>/flink/               generated job properties and Flink config, retained checkpoints
    <root>/state/               what the AWS stand-ins must remember across restarts, the active job version
    <root>/kafka/               the local Kafka broker's storage, when started with `--log kafka`
    <root>/logs/                one log per Lambda function, the Flink job and the runtime
    <root>/versions/<version>/  a replayed job version (`kappa replay`); after `kappa cutover` to it, the
                                runtime's run of it under `live/` (source feed, insights, diagnostics, checkpoints)
    ```
    Until the first cut-over the runtime runs cdk.json's job version and writes `insights/`, `diagnostics/`
    and `flink/checkpoints/` (see `kappa.local.active_version`).
    """

    root: Path

    @classmethod
    def at(cls, path: str | os.PathLike[str]) -> DataDir:
        return cls(Path(path).expanduser().resolve())

    @property
    def api_keys(self) -> Path:
        return self.root / "api-keys.json"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def insights(self) -> Path:
        return self.root / "insights"

    @property
    def diagnostics(self) -> Path:
        return self.root / "diagnostics"

    @property
    def flink(self) -> Path:
        return self.root / "flink"

    @property
    def flink_conf(self) -> Path:
        return self.flink / "conf"

    @property
    def flink_properties(self) -> Path:
        """The application properties the runtime's job last started with (Managed Flink's shape)."""
        return self.flink / "application_properties.json"

    @property
    def checkpoints(self) -> Path:
        return self.flink / "checkpoints"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def versions(self) -> Path:
        return self.root / "versions"

    @property
    def insights_done_ids(self) -> Path:
        """Ids of the insights the fan-out has finished with (the publisher's exactly-once record)."""
        return self.state / "insights-done.ids"

    @property
    def kafka(self) -> Path:
        """The local Kafka broker's storage (`kappa local up --log kafka`): topics, records, committed offsets."""
        return self.root / "kafka"

    @property
    def log_backend_file(self) -> Path:
        """Which log the data directory was started with (`kinesis` or `kafka`); one data directory, one log."""
        return self.state / "log-backend"

    @property
    def kafka_broker_file(self) -> Path:
        """Where the running runtime's broker listens (`{"bootstrap_servers": ...}`), for `kappa replay` beside it."""
        return self.state / "kafka-broker.json"

    @property
    def raw_archive_offsets(self) -> Path:
        """How far the Firehose stand-in on Kafka has archived each raw topic partition (written after each file)."""
        return self.state / "raw-archive-offsets.json"

    def create(self) -> DataDir:
        for folder in (
            self.root,
            self.archive,
            self.insights,
            self.flink_conf,
            self.checkpoints,
            self.state,
            self.logs,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        return self


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A binary file that replaces `path` when the block ends without an error, so readers see the old file
    or the whole new one, never a part (and nothing if the block fails).

    The temporary file is a dot file in the same folder: same filesystem (so the rename is atomic) and
    ignored by Flink's file enumerator, which skips names starting with `.` or `_`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old file or the whole new one, never a part."""
    with atomic_file(path) as file:
        file.write(data)


class DataDirBusyError(RuntimeError):
    """Another runtime uses the data directory; the message says which process."""


class DataDirLock:
    """An exclusive lock on a data directory for as long as one runtime uses it (released on exit or crash)."""

    def __init__(self, data: DataDir) -> None:
        self.path = data.root / ".lock"
        self._file: IO[str] | None = None

    def acquire(self) -> DataDirLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise DataDirBusyError(
                f"{self.path.parent} is in use by a running kappa runtime (pid {holder}): stop it first, "
                "or choose another --data-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return self

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
