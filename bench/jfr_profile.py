"""Where the Flink job's CPU goes, by Flink task: a Java Flight Recorder recording of the mini-cluster's JVM
(`jcmd JFR.start/JFR.dump`, JDK 17), summarized per thread. Flink names each task thread after its operator
chain, so the threads are the job's operators; `C2 CompilerThread*` is the JIT, `Thread-N` the planner and
py4j/pemja threads.

    python -m bench.bench_flink_job --parallelism 2 --profile build/bench/flink/job.jfr
    python -m bench.jfr_profile build/bench/flink/job.jfr      # summarize a recording again

Two views: `jdk.ThreadCPULoad` (CPU of each thread, native code such as thread-mode Python included) and
`jdk.ExecutionSample` (Java stack samples, for the hottest methods of a thread).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.thread_cpu import operator_chain


def thread_name(event: dict[str, Any], field: str) -> str:
    """The thread's name without its subtask suffix (`GroupWindowAggregate[139] (1/2)#0` → `...[139]`)."""
    name = (event["values"].get(field) or {}).get("javaName") or "?"
    return operator_chain(name)


def cpu_by_thread(events: Iterable[dict[str, Any]]) -> list[tuple[str, float]]:
    """Each thread's share of the recorded CPU load (user + system), largest first."""
    load: Counter[str] = Counter()
    for event in events:
        values = event["values"]
        load[thread_name(event, "eventThread")] += values["user"] + values["system"]
    total = sum(load.values()) or 1.0
    return [(name, value / total) for name, value in load.most_common()]


def hot_methods(
    events: Iterable[dict[str, Any]], thread_prefix: str, top: int = 10
) -> list[tuple[str, float]]:
    """The methods on top of the stack in a thread's execution samples, with their share of its samples."""
    tops: Counter[str] = Counter()
    for event in events:
        if not thread_name(event, "sampledThread").startswith(thread_prefix):
            continue
        frames = (event["values"].get("stackTrace") or {}).get("frames") or []
        if frames:
            method = frames[0]["method"]
            tops[f"{method['type']['name'].rsplit('/', 1)[-1]}.{method['name']}"] += 1
    total = sum(tops.values()) or 1
    return [(name, count / total) for name, count in tops.most_common(top)]


def read_events(recording: Path, event_type: str) -> list[dict[str, Any]]:
    """The recording's events of one type, through the JDK's `jfr print --json`."""
    printed = subprocess.run(
        ["jfr", "print", "--json", "--events", event_type, str(recording)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(printed.stdout)["recording"]["events"]


def summary(recording: Path, *, threads: int = 20, hot_threads: int = 3) -> list[str]:
    """Printable lines: CPU share per thread, then the hottest methods of the busiest task threads."""
    shares = cpu_by_thread(read_events(recording, "jdk.ThreadCPULoad"))
    lines = [f"CPU by thread ({recording}):"]
    lines += [f"  {share:6.1%}  {name[:140]}" for name, share in shares[:threads]]
    samples = read_events(recording, "jdk.ExecutionSample")
    tasks = [name for name, _ in shares if "[" in name][:hot_threads]
    for task in tasks:
        lines.append(f"hottest methods of {task[:100]}:")
        lines += [f"  {share:6.1%}  {method}" for method, share in hot_methods(samples, task)]
    return lines


class Recording:
    """JFR on a running JVM by its process id: `start()`, then `stop()` writes the file."""

    def __init__(self, pid: int, path: Path) -> None:
        self.pid, self.path = pid, path

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._jcmd("JFR.start", "name=kappa-bench", "settings=profile", f"filename={self.path}")

    def stop(self) -> None:
        self._jcmd("JFR.stop", "name=kappa-bench", f"filename={self.path}")

    def _jcmd(self, *arguments: str) -> None:
        subprocess.run(["jcmd", str(self.pid), *arguments], check=True, capture_output=True)


if __name__ == "__main__":
    print("\n".join(summary(Path(sys.argv[1]))))
