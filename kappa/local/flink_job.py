"""Runs the real PyFlink job locally as a supervised subprocess, with retained checkpoints to resume from.

The job is started the way Managed Flink starts it: through Flink's client (`flink run -py main.py`,
PythonDriver), here with `execution.target: local` so the job runs in a mini cluster inside that client
JVM. The client reads a generated `config.yaml` (checkpoint interval, retention on cancellation, the venv's
Python), and `-s <checkpoint>` restores the latest retained checkpoint, so a restart resumes where the last
run stopped: files already read are not read again, insight files pending at the checkpoint are committed,
nothing after it is lost. The application properties file has the Managed Flink shape
(`[{"PropertyGroupId", "PropertyMap"}]`); its `job.checkpoint.dir` is where the job checkpoints and where a
restart looks for the checkpoint to resume from.

The client, its JVM and any Python workers share one process group; `stop` ends the whole group.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import psutil

from kappa.local.paths import DataDir, write_atomically

REPO_ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)
_SUBMITTED = re.compile(r"Job has been submitted with JobID ([0-9a-f]{32})")
_LOG_FILES = (
    "log4j-cli.properties",
    "log4j-console.properties",
    "log4j.properties",
    "logback.xml",
    "logback-console.xml",
)


class FlinkJobError(RuntimeError):
    """The Flink job could not start or stopped; the message says why and where the log is."""


@dataclass(frozen=True)
class FlinkJobSettings:
    main: Path
    """The job's entry point, e.g. `flink_app/main.py`."""
    properties: list[dict[str, Any]]
    """Managed Flink application properties: `[{"PropertyGroupId": ..., "PropertyMap": {...}}]`; the `job`
    group's `checkpoint.dir` (an absolute path or file:// URI) is required: a restart resumes from there."""
    checkpoint_interval_ms: int = 1000
    parallelism: int = 1
    python: str = sys.executable
    restart_attempts: int = 3
    """Restarts after a task failure before the job fails for good (and the runtime says so)."""
    extra_config: dict[str, str] = field(default_factory=dict)


def pyflink_home() -> Path:
    spec = importlib.util.find_spec("pyflink")
    if spec is None or spec.origin is None:
        raise FlinkJobError("PyFlink is not installed in this environment: run `make venv`")
    return Path(spec.origin).parent


def java_major_version() -> int | None:
    """The major version of `java` on PATH (or JAVA_HOME), None if there is no Java."""
    java = (
        Path(os.environ["JAVA_HOME"]) / "bin" / "java"
        if os.environ.get("JAVA_HOME")
        else shutil.which("java")
    )
    if java is None or not Path(java).exists():
        return None
    try:
        shown = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', shown)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def require_java() -> int:
    """Java's major version, or a FlinkJobError saying how to install it."""
    version = java_major_version()
    if version is None:
        raise FlinkJobError(
            "Java is required to run the Flink job locally, and `java` was not found: install a JDK/JRE 11 "
            "or newer (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME"
        )
    if version < 11:
        raise FlinkJobError(f"the Flink job needs Java 11 or newer; `java -version` reports Java {version}")
    return version


def require_job_jar(progress: Callable[[str], None] = lambda _message: None) -> Path:
    """The job's jar (its Java functions and connectors), built with Maven first when missing or older than its
    sources; a FlinkJobError saying what to install or fix when it cannot be built."""
    from flink_app.packaging import PackagingError, ensure_job_jar, jar_is_stale

    if jar_is_stale():
        progress("building the Flink job's jar (Java functions and connectors) with Maven")
    try:
        return ensure_job_jar()
    except PackagingError as error:
        raise FlinkJobError(f"the Flink job's jar could not be built: {error}") from None


def completed_checkpoints(root: Path) -> list[Path]:
    """Every completed checkpoint (`<job-id>/chk-N` holding `_metadata`) anywhere under `root`.

    Flink deletes subsumed checkpoints while we look, so folders that vanish mid-walk are skipped.
    """
    found = []
    for folder, folders, names in os.walk(root, onerror=lambda _error: None):
        if Path(folder).name.startswith("chk-") and "_metadata" in names:
            found.append(Path(folder))
            folders[:] = []
    return found


def latest_checkpoint(root: Path) -> Path | None:
    """The newest completed checkpoint under `root`."""
    dated = []
    for chk in completed_checkpoints(root):
        with contextlib.suppress(OSError, ValueError):
            dated.append(((chk / "_metadata").stat().st_mtime, int(chk.name[4:]), chk))
    return max(dated)[2] if dated else None


def job_checkpoint_dir(properties: list[dict[str, Any]]) -> Path:
    """The local folder the properties' `job.checkpoint.dir` names; a FlinkJobError if it names none."""
    job = next((g["PropertyMap"] for g in properties if g.get("PropertyGroupId") == "job"), {})
    value = str(job.get("checkpoint.dir") or "").strip()
    folder = Path(value) if value and "://" not in value else None
    parsed = urlparse(value)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        folder = Path(url2pathname(parsed.path))
    if folder is None or not folder.is_absolute():
        raise FlinkJobError(
            "the local runtime resumes the job from the checkpoints in its job.checkpoint.dir property, which "
            f"must be an absolute path or a file:// URI (got {value!r})"
        )
    return folder


def flink_config(settings: FlinkJobSettings, defaults: dict[str, str]) -> dict[str, str]:
    """The flattened `config.yaml` entries for a local run."""
    config = {
        **defaults,
        "execution.target": "local",
        "execution.runtime-mode": "STREAMING",
        "execution.checkpointing.interval": f"{settings.checkpoint_interval_ms}ms",
        "execution.checkpointing.storage": "filesystem",
        # The job sets this directory itself (from job.checkpoint.dir); the same here for a job that does not.
        "execution.checkpointing.dir": job_checkpoint_dir(settings.properties).as_uri(),
        "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
        "execution.checkpointing.num-retained": "2",
        "execution.checkpointing.min-pause": "0ms",
        "parallelism.default": str(settings.parallelism),
        "taskmanager.numberOfTaskSlots": str(max(2, settings.parallelism)),
        "restart-strategy.type": "fixed-delay",
        "restart-strategy.fixed-delay.attempts": str(settings.restart_attempts),
        "restart-strategy.fixed-delay.delay": "2s",
        "rest.address": "127.0.0.1",
        "rest.bind-address": "127.0.0.1",
        "rest.bind-port": "0",
        "jobmanager.rpc.address": "127.0.0.1",
        "jobmanager.bind-host": "127.0.0.1",
        "taskmanager.bind-host": "127.0.0.1",
        "taskmanager.host": "127.0.0.1",
        "python.client.executable": settings.python,
        "python.executable": settings.python,
        **settings.extra_config,
    }
    return config


def _default_java_options(home: Path) -> dict[str, str]:
    """The JVM options PyFlink's own config passes (Java 17 needs its --add-opens/--add-exports)."""
    text = (home / "conf" / "config.yaml").read_text()
    found = re.search(r"^\s+all:\s*(--add-.+)$", text, flags=re.MULTILINE)
    return {"env.java.opts.all": found.group(1).strip()} if found else {}


class FlinkJob:
    """One run of the job: write config and properties, start, watch, stop."""

    def __init__(self, settings: FlinkJobSettings, data: DataDir) -> None:
        self.settings = settings
        self.data = data
        self.log_path = data.logs / "flink-job.log"
        self.properties_path = data.flink_properties
        self.restored_from: Path | None = None
        self.job_id: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    def start(self, *, restore: bool = True) -> FlinkJob:
        """Start the job (from the latest retained checkpoint when `restore` and one exists)."""
        home = pyflink_home()
        if not self.settings.main.exists():
            raise FlinkJobError(f"the Flink job's entry point {self.settings.main} does not exist")
        self._write_config(home)
        write_atomically(self.properties_path, json.dumps(self.settings.properties, indent=2).encode())
        self._stop_leftover()
        self.restored_from = latest_checkpoint(self.checkpoint_dir) if restore else None
        self._prune_checkpoints(keep=self.restored_from)
        command = [str(home / "bin" / "flink"), "run", "--target", "local"]
        if self.restored_from is not None:
            command += ["--fromSavepoint", str(self.restored_from)]
        command += ["--python", str(self._entry_point()), "--properties", str(self.properties_path)]
        venv_bin = str(Path(self.settings.python).parent)
        environment = {
            **os.environ,
            "FLINK_CONF_DIR": str(self.data.flink_conf),
            "FLINK_LOG_DIR": str(self.data.logs / "flink"),
            "PYTHONPATH": os.pathsep.join(
                dict.fromkeys(
                    [str(REPO_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
                )
            ),
            "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
            "VIRTUAL_ENV": str(Path(venv_bin).parent),
            "PYTHONUNBUFFERED": "1",
        }
        self.data.logs.mkdir(parents=True, exist_ok=True)
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            started = time.strftime("%Y-%m-%d %H:%M:%S")
            note = (
                f"from checkpoint {self.restored_from}"
                if self.restored_from
                else "from the start of the archive"
            )
            log.write(f"\n===== {started} starting the Flink job {note}\n$ {' '.join(command)}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                cwd=REPO_ROOT,
                start_new_session=True,
            )
        self._pid_path.write_text(str(self._process.pid))
        return self

    def _entry_point(self) -> Path:
        """The script Flink's client runs: a launcher that imports the job as a package.

        Flink's PythonDriver puts the script's own folder on the path. For `flink_app/main.py` that would
        make every module in `flink_app/` importable by its bare name and shadow libraries of the same
        name (`flink_app/packaging.py` hides the `packaging` library Beam needs). The Managed Flink zip
        has the entry point at its root and the packages beside it; the launcher reproduces that.
        """
        main = self.settings.main.resolve()
        try:
            module = ".".join(main.relative_to(REPO_ROOT).with_suffix("").parts)
        except ValueError:
            return main  # outside the repository: run the file itself
        launcher = self.data.flink / "launch" / "run_job.py"
        launcher.parent.mkdir(parents=True, exist_ok=True)
        launcher.write_text(
            '"""Runs the job module as __main__ (generated by kappa.local.flink_job)."""\n'
            "import runpy\n\n"
            f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
        )
        return launcher

    @property
    def checkpoint_dir(self) -> Path:
        """Where this job's checkpoints are written and looked for: its properties' `job.checkpoint.dir`."""
        return job_checkpoint_dir(self.settings.properties)

    @property
    def _pid_path(self) -> Path:
        return self.data.flink / "job.pid"

    def _stop_leftover(self) -> None:
        """End a job an earlier runtime left running (it was killed before it could stop the job)."""
        if not self._pid_path.exists():
            return
        try:
            pid = int(self._pid_path.read_text().strip())
            leftover = psutil.Process(pid)
            ours = str(self.data.flink_conf) in " ".join(leftover.cmdline()) or (
                leftover.environ().get("FLINK_CONF_DIR") == str(self.data.flink_conf)
            )
        except (ValueError, psutil.Error):
            ours = False
        if ours:
            log.warning("stopping a Flink job left running by an earlier runtime (pid %d)", pid)
            members = _group_members(pid)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            for member in members:
                with contextlib.suppress(psutil.Error):
                    member.kill()
            psutil.wait_procs(members, timeout=10)
        self._pid_path.unlink(missing_ok=True)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def exit_code(self) -> int | None:
        """None while the job's client process runs, else its exit code."""
        return self._process.poll() if self._process else None

    def log_tail(self, lines: int = 25) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            text = log.read().decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_submitted(self, timeout: float = 120.0) -> str:
        """Block until the client reports the job id; a FlinkJobError if the process ends or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                found = _SUBMITTED.search(log.read().decode(errors="replace"))
            if found:
                self.job_id = found.group(1)
                return self.job_id
            code = self.exit_code()
            if code is not None:
                raise FlinkJobError(
                    f"the Flink job exited with code {code} before it started; last lines of {self.log_path}:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.2)
        raise FlinkJobError(f"the Flink job did not start within {timeout:.0f} s; see {self.log_path}")

    def stop(self, timeout: float = 15.0) -> None:
        """End the client, its JVM and every Python worker it started; the last checkpoint stays."""
        process, self._process = self._process, None
        if process is None:
            return
        self._pid_path.unlink(missing_ok=True)
        members = _group_members(process.pid)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        for member in members:
            with contextlib.suppress(psutil.Error):
                member.kill()
        psutil.wait_procs(members, timeout=5)

    def _write_config(self, home: Path) -> None:
        self.data.flink_conf.mkdir(parents=True, exist_ok=True)
        for name in _LOG_FILES:
            source = home / "conf" / name
            if source.exists():
                shutil.copyfile(source, self.data.flink_conf / name)
        config = flink_config(self.settings, _default_java_options(home))
        lines = [f"{key}: {json.dumps(value)}" for key, value in sorted(config.items())]
        write_atomically(self.data.flink_conf / "config.yaml", ("\n".join(lines) + "\n").encode())

    def _prune_checkpoints(self, keep: Path | None) -> None:
        """Drop checkpoints of earlier runs except the one we restore from (each run makes its own)."""
        if keep is None:
            return
        for job_dir in {chk.parent for chk in completed_checkpoints(self.checkpoint_dir)} - {keep.parent}:
            shutil.rmtree(job_dir, ignore_errors=True)


def _group_members(pgid: int) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter(["pid"]):
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(process.pid) == pgid:
                members.append(process)
    with contextlib.suppress(psutil.Error):
        members.extend(p for p in psutil.Process(pgid).children(recursive=True) if p not in members)
    return members
