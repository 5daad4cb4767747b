"""Where the Flink job's CPU goes, in µs per event by JVM thread, without a profiler (`--threads` of
bench/bench_flink_job.py).

Flink names each task thread after its operator chain, so the threads are the job's operators; `C2
CompilerThread*` is the JIT, `GC Thread#*` and `G1 *` the collector, `Thread-N` the planner and py4j/pemja.
While the job runs, a sampler reads the CPU time of every thread of the mini-cluster's JVM (psutil, i.e.
/proc on Linux) every `POLL_SECONDS`; when the files source has read past a given byte offset of the log (the
warm part: JVM start, planning, code generation and the first JIT), it takes the baseline. A task thread's
last sample before the job ends is its total. Full thread names come from `jcmd <pid> Thread.print` (the
kernel keeps 15 characters of them).

Nothing is added to the job's own CPU, and the figures are per event of the measured part, comparable with the
benchmark's µs/event. `--profile` (bench/async_profile.py) attaches its profiler when the baseline is taken, so
the methods it records are of the same lines. Linux only: the source's position is read from /proc/<pid>/fdinfo.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psutil

POLL_SECONDS = 0.1
NAMES_REFRESH_SECONDS = 5.0
"""How often, at most, jcmd is asked again for the names of threads that started after the last ask."""
_SUBTASK = re.compile(r" \(\d+/\d+\)(#\d+)?$")
_JCMD_THREAD = re.compile(r'^"(?P<name>.*?)".*? nid=(?P<nid>0x[0-9a-f]+)', re.MULTILINE)


def operator_chain(thread_name: str) -> str:
    """A thread's name without its subtask suffix (`Deduplicate[5] -> Calc[6] (1/2)#0` → `...Calc[6]`): the
    subtasks of one operator chain are added up."""
    return _SUBTASK.sub("", thread_name)


def jcmd_thread_names(thread_print: str) -> dict[int, str]:
    """Thread id (the kernel's, jcmd's `nid`) → full Java thread name, from `jcmd <pid> Thread.print`."""
    return {int(match["nid"], 16): match["name"] for match in _JCMD_THREAD.finditer(thread_print)}


@dataclass(frozen=True, slots=True)
class ThreadCpu:
    """Per-thread CPU seconds (user + system) at one moment, by thread id."""

    seconds: Mapping[int, float]


def cpu_by_chain(
    baseline: ThreadCpu, final: ThreadCpu, names: Mapping[int, str], *, events: int
) -> list[tuple[str, float]]:
    """CPU µs per event of each operator chain (or other thread) between the two samples, largest first.

    A thread missing from the baseline started after it (all its CPU counts); one without a name is reported
    by its id."""
    by_chain: dict[str, float] = defaultdict(float)
    for thread_id, seconds in final.seconds.items():
        spent = seconds - baseline.seconds.get(thread_id, 0.0)
        if spent > 0:
            by_chain[operator_chain(names.get(thread_id, f"thread {thread_id}"))] += spent
    return sorted(
        ((chain, spent / events * 1e6) for chain, spent in by_chain.items()), key=lambda row: -row[1]
    )


def thread_cpu(process: psutil.Process) -> ThreadCpu:
    return ThreadCpu({thread.id: thread.user_time + thread.system_time for thread in process.threads()})


def read_offset(pid: int, path: Path) -> int | None:
    """How far (bytes) the process has read the file `path`, if it has it open (Linux /proc), else None."""
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        descriptors = list(fd_dir.iterdir())
    except OSError:
        return None
    for descriptor in descriptors:
        try:
            if Path(descriptor.readlink()) != path:
                continue
            info = Path(f"/proc/{pid}/fdinfo/{descriptor.name}").read_text()
        except OSError:
            continue
        for line in info.splitlines():
            if line.startswith("pos:"):
                return int(line.split()[1])
    return None


def byte_offset_of_line(path: Path, line: int) -> int:
    """The byte offset where line `line` (0-based) of the file starts (its size when it has fewer lines)."""
    with path.open("rb") as stream:
        for _ in range(line):
            if not stream.readline():
                break
        return stream.tell()


@dataclass
class ThreadCpuSampler:
    """Samples the JVM's threads while a job reads `log`; the baseline is taken once the source passed
    `from_offset` bytes of it, and `on_baseline` (if any) called then with the JVM's process id. `start()`
    before submitting the job, `stop()` after it ended."""

    log: Path
    from_offset: int
    on_baseline: Callable[[int], None] | None = None
    _baseline: ThreadCpu | None = None
    _last: dict[int, float] = field(default_factory=dict)
    _names: dict[int, str] = field(default_factory=dict)
    _asked_about: set[int] = field(default_factory=set)
    _names_asked_at: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="thread-cpu-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def report(self, *, events: int) -> list[tuple[str, float]]:
        """µs per event by thread since the baseline; empty when the source never passed the offset."""
        if self._baseline is None:
            return []
        return cpu_by_chain(self._baseline, ThreadCpu(dict(self._last)), self._names, events=events)

    def _run(self) -> None:
        jvm: psutil.Process | None = None
        log = self.log.resolve()
        while not self._stop.is_set():
            try:
                jvm = jvm or _java_child_reading(log)
                if jvm is not None:
                    self._sample(jvm, log)
            except psutil.Error:
                pass  # the JVM or one of its threads went away between two reads
            self._stop.wait(POLL_SECONDS)

    def _sample(self, jvm: psutil.Process, log: Path) -> None:
        sample = thread_cpu(jvm)
        for thread_id in sample.seconds.keys() - self._last.keys():
            # the kernel's 15 characters until jcmd's full name (a thread that ends before jcmd is asked keeps it)
            self._names.setdefault(thread_id, _kernel_thread_name(jvm.pid, thread_id))
        self._last.update(sample.seconds)
        if self._baseline is None:
            offset = read_offset(jvm.pid, log)
            if offset is not None and offset >= self.from_offset:
                self._baseline = sample
                self._ask_names(jvm.pid, sample)
                if self.on_baseline is not None:
                    self.on_baseline(jvm.pid)
        elif (
            sample.seconds.keys() - self._asked_about
            and time.monotonic() - self._names_asked_at >= NAMES_REFRESH_SECONDS
        ):
            self._ask_names(jvm.pid, sample)

    def _ask_names(self, pid: int, sample: ThreadCpu) -> None:
        """Full names of the JVM's threads (native threads, e.g. RocksDB's, keep the kernel's name)."""
        self._names.update(_jvm_thread_names(pid))
        self._asked_about.update(sample.seconds)
        self._names_asked_at = time.monotonic()


def _java_child_reading(log: Path) -> psutil.Process | None:
    """The JVM among this process's children that has the log open: the job's (a Kafka broker is a JVM too)."""
    for child in psutil.Process().children(recursive=True):
        if child.name() == "java" and read_offset(child.pid, log) is not None:
            return child
    return None


def _kernel_thread_name(pid: int, thread_id: int) -> str:
    try:
        return Path(f"/proc/{pid}/task/{thread_id}/comm").read_text().strip()
    except OSError:
        return f"thread {thread_id}"


def _jvm_thread_names(pid: int) -> dict[int, str]:
    printed = subprocess.run(["jcmd", str(pid), "Thread.print"], capture_output=True, text=True, check=False)
    return jcmd_thread_names(printed.stdout)
