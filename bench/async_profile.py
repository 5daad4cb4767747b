"""Where the Flink job's CPU goes, by method: async-profiler attached to the mini-cluster's JVM (`--profile` of
bench/bench_flink_job.py), and summaries of what it recorded.

async-profiler (Apache License 2.0; pinned in bench/profiler/pom.xml, fetched once from Maven Central into
build/bench/async-profiler) samples the stacks of the threads on CPU: Java frames, native ones (RocksDB, the
JVM's GC) and the JIT's compiler threads alike, with inlined methods where they ran. `--profile` attaches it with
`jcmd <pid> JVMTI.agent_load` once the files source has read `--threads-from` lines (when `--threads` takes its
baseline), and stops it when the job ends, writing collapsed stacks (one line per distinct stack,
`[thread tid=N];outermost frame;...;innermost frame <samples>`) and, beside them, a flame graph (FILE.html).

Why not Java Flight Recorder (the previous `--profile`): started on the running JVM the same way (`jcmd
JFR.start`), it made the job two to three times as costly (159–192 against 70–74 µs/event over the same lines)
and its samples sat in methods the JIT otherwise inlines (docs/benchmarks.md, run 17). Attached after the warm
lines, async-profiler measured within the machine's noise of no profiler at all.

    python -m bench.bench_flink_job --only-threads --profile build/bench/flink/job.collapsed
    python -m bench.async_profile build/bench/flink/job.collapsed      # summarize a recording again
"""

from __future__ import annotations

import platform
import re
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.thread_cpu import operator_chain
from kappa.maven import MavenError, copy_dependencies

VERSION = "4.1"
"""Pinned with bench/profiler/pom.xml (a test checks they agree)."""
POM = Path(__file__).resolve().parent / "profiler" / "pom.xml"
HOME = Path(__file__).resolve().parent.parent / "build" / "bench" / "async-profiler" / VERSION
INTERVAL_MS = 2
"""CPU time between two samples of a thread."""
_PLATFORMS = {"x86_64": "linux-x64", "amd64": "linux-x64", "aarch64": "linux-arm64", "arm64": "linux-arm64"}
_THREAD = re.compile(r"^\[(?P<name>.*?)(?: tid=\d+)?\]$")


class ProfilerError(RuntimeError):
    """async-profiler could not be fetched, attached or stopped; the message says why."""


def library(progress: Callable[[str], None] = print) -> Path:
    """The profiler's agent (`libasyncProfiler.so`) for this machine, fetched with Maven on first use."""
    if sys.platform != "linux" or platform.machine().lower() not in _PLATFORMS:
        raise ProfilerError(
            f"--profile needs Linux on x64 or arm64 (async-profiler's agent); this is {sys.platform} "
            f"{platform.machine()}"
        )
    directory = _PLATFORMS[platform.machine().lower()]
    agent = HOME / directory / "libasyncProfiler.so"
    if agent.is_file():
        return agent
    progress(f"fetching async-profiler {VERSION} with Maven ({POM.name}, ~1 MB) into {HOME}")

    def unpack(fetched: Path) -> None:
        with zipfile.ZipFile(fetched / f"async-profiler-{VERSION}.jar") as jar:
            jar.extract(f"{directory}/libasyncProfiler.so", fetched)

    try:
        copy_dependencies(POM, HOME, purpose=f"async-profiler {VERSION}", finish=unpack)
    except MavenError as error:
        raise ProfilerError(str(error)) from None
    return agent


def flame_graph(recording: Path) -> Path:
    """Where `stop` writes the flame graph of a recording (an HTML page): beside it, `.html` added."""
    return recording.with_name(recording.name + ".html")


def agent_argument(*options: str) -> str:
    """The agent's options as one argument of `jcmd JVMTI.agent_load`: quoted, as jcmd otherwise splits them at
    the commas and the agent sees only the first (`[ERROR] event must not be empty`)."""
    return '"' + ",".join(options) + '"'


@dataclass(frozen=True, slots=True)
class AttachedProfiler:
    """async-profiler in a running JVM: `start()` samples every thread's CPU, `stop(path)` writes the collapsed
    stacks and a flame graph and ends the sampling."""

    pid: int
    agent: Path

    def start(self, *, interval_ms: int = INTERVAL_MS) -> None:
        self._command("start", "event=cpu", f"interval={interval_ms}ms", "threads")

    def stop(self, output: Path) -> Path:
        """Writes the collapsed stacks to `output` and a flame graph beside it (`flame_graph(output)`), which
        it returns, and ends the sampling."""
        if "," in str(output):
            # the agent's options are comma-separated: it would take the rest of the path for an option
            raise ProfilerError(f"the profile's path must not contain a comma: {output}")
        output.parent.mkdir(parents=True, exist_ok=True)
        self._command("dump", f"file={output}", "collapsed")
        graph = flame_graph(output)
        self._command("stop", f"file={graph}", "flamegraph")
        return graph

    def _command(self, *options: str) -> None:
        try:
            result = subprocess.run(
                ["jcmd", str(self.pid), "JVMTI.agent_load", str(self.agent), agent_argument(*options)],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except FileNotFoundError:
            raise ProfilerError("jcmd (a JDK's) is needed to attach async-profiler") from None
        except subprocess.TimeoutExpired:
            # raised here as the profiler's error: the recorder keeps that one from the sampler's thread
            raise ProfilerError(
                f"async-profiler {options[0]} in JVM {self.pid}: jcmd did not answer in 60 s"
            ) from None
        answer = result.stdout + result.stderr
        if result.returncode != 0 or "[ERROR]" in answer or "return code: 0" not in answer:
            detail = " ".join(answer.split())[:300]
            raise ProfilerError(f"async-profiler {options[0]} in JVM {self.pid} failed: {detail}")


@dataclass(frozen=True, slots=True)
class Stack:
    """One line of collapsed stacks: the thread (subtasks of one operator chain merged), frames outermost
    first, and how many samples had it."""

    thread: str
    frames: tuple[str, ...]
    samples: int


def read_collapsed(lines: Iterable[str]) -> Iterator[Stack]:
    """The stacks of a collapsed-stacks file written with per-thread stacks (the first frame is the thread)."""
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        first, *frames = stack.split(";")
        named = _THREAD.match(first)
        thread = operator_chain(named["name"]) if named else "?"
        if not named:
            frames = [first, *frames]
        yield Stack(thread, tuple(frames), int(count))


def cpu_by_thread(stacks: Iterable[Stack]) -> list[tuple[str, float]]:
    """Each thread's share of all samples, largest first."""
    samples: Counter[str] = Counter()
    for stack in stacks:
        samples[stack.thread] += stack.samples
    total = sum(samples.values()) or 1
    return [(thread, count / total) for thread, count in samples.most_common()]


def hot_frames(
    stacks: Iterable[Stack], thread_prefix: str = "", top: int = 12
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """The frames of the threads starting with `thread_prefix` (all threads by default), as shares of their
    samples: on top of the stack (self time), and anywhere in it (time in the frame and what it calls)."""
    own: Counter[str] = Counter()
    within: Counter[str] = Counter()
    total = 0
    for stack in stacks:
        if not stack.thread.startswith(thread_prefix) or not stack.frames:
            continue
        total += stack.samples
        own[stack.frames[-1]] += stack.samples
        for frame in set(stack.frames):
            within[frame] += stack.samples
    total = total or 1
    return (
        [(frame, count / total) for frame, count in own.most_common(top)],
        [(frame, count / total) for frame, count in within.most_common(top)],
    )


def summary(recording: Path, *, threads: int = 20, hot_threads: int = 4, top: int = 12) -> list[str]:
    """Printable lines: each thread's share of the samples, then the hottest frames of all threads and of the
    busiest task threads (operator chains: their names hold `[`)."""
    with recording.open() as stream:
        stacks = list(read_collapsed(stream))
    samples = sum(stack.samples for stack in stacks)
    shares = cpu_by_thread(stacks)
    lines = [f"CPU by thread ({recording}, {samples:,} samples):"]
    lines += [f"  {share:6.1%}  {name[:140]}" for name, share in shares[:threads]]
    lines.append("hottest frames of all threads (self):")
    lines += [f"  {share:6.1%}  {frame[:160]}" for frame, share in hot_frames(stacks, top=top)[0]]
    for task in [name for name, _ in shares if "[" in name][:hot_threads]:
        own, _ = hot_frames(stacks, task, top)
        lines.append(f"hottest frames of {task[:100]} (self):")
        lines += [f"  {share:6.1%}  {frame[:160]}" for frame, share in own]
    return lines


if __name__ == "__main__":
    print("\n".join(summary(Path(sys.argv[1]))))
