"""async-profiler for `--profile` (bench/async_profile.py): its pinned version, the agent's arguments, summaries
of collapsed stacks, and a real attach to a running JVM."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from bench import async_profile as module
from bench.async_profile import (
    AttachedProfiler,
    ProfilerError,
    Stack,
    agent_argument,
    cpu_by_thread,
    hot_frames,
    read_collapsed,
    summary,
)

COLLAPSED = """\
[Deduplicate[5] -> Calc[6] (1/2)#0 tid=101];java/lang/Thread.run;org/apache/flink/Heap.get;MurmurHash.mix 30
[Deduplicate[5] -> Calc[6] (2/2)#0 tid=102];java/lang/Thread.run;org/apache/flink/Heap.get 10
[C2 CompilerThre tid=7];start_thread;PhaseChaitin::Split 35
[Source: raw_events[1] (1/2)#0 tid=103];java/lang/Thread.run;Json.parse;Json.parse 25
not a stack line
"""


def test_pinned_version_matches_the_pom() -> None:
    pom = module.POM.read_text()
    found = re.search(r"<artifactId>async-profiler</artifactId>\s*<version>([^<]+)</version>", pom)
    assert found is not None
    assert found.group(1) == module.VERSION


def test_the_agents_options_are_one_quoted_argument_for_jcmd() -> None:
    # jcmd splits an unquoted argument at its commas: the agent would see "start" alone
    assert agent_argument("start", "event=cpu", "interval=2ms") == '"start,event=cpu,interval=2ms"'


def test_collapsed_stacks_merge_the_subtasks_of_an_operator_chain() -> None:
    stacks = list(read_collapsed(COLLAPSED.splitlines()))

    assert stacks[0] == Stack(
        "Deduplicate[5] -> Calc[6]",
        ("java/lang/Thread.run", "org/apache/flink/Heap.get", "MurmurHash.mix"),
        30,
    )
    assert [stack.thread for stack in stacks] == [
        "Deduplicate[5] -> Calc[6]",
        "Deduplicate[5] -> Calc[6]",
        "C2 CompilerThre",
        "Source: raw_events[1]",
    ]
    assert cpu_by_thread(stacks) == [
        ("Deduplicate[5] -> Calc[6]", pytest.approx(0.40)),
        ("C2 CompilerThre", pytest.approx(0.35)),
        ("Source: raw_events[1]", pytest.approx(0.25)),
    ]


def test_stacks_recorded_without_threads_keep_their_first_frame() -> None:
    (stack,) = read_collapsed(["java/lang/Thread.run;Json.parse 3\n"])
    assert stack == Stack("?", ("java/lang/Thread.run", "Json.parse"), 3)


def test_hot_frames_count_self_on_top_and_inclusive_once_per_stack() -> None:
    stacks = list(read_collapsed(COLLAPSED.splitlines()))

    own, within = hot_frames(stacks, "Deduplicate[5]")
    assert own == [
        ("MurmurHash.mix", pytest.approx(0.75)),
        ("org/apache/flink/Heap.get", pytest.approx(0.25)),
    ]
    assert dict(within)["org/apache/flink/Heap.get"] == pytest.approx(1.0)

    # a recursive frame counts once per stack in the inclusive view
    _, within_source = hot_frames(stacks, "Source")
    assert dict(within_source)["Json.parse"] == pytest.approx(1.0)


def test_summary_names_threads_and_the_busiest_tasks_hot_frames(tmp_path: Path) -> None:
    recording = tmp_path / "job.collapsed"
    recording.write_text(COLLAPSED)

    lines = summary(recording)

    assert "100 samples" in lines[0]
    assert "   35.0%  C2 CompilerThre" in lines
    assert "hottest frames of Deduplicate[5] -> Calc[6] (self):" in lines
    assert "   75.0%  MurmurHash.mix" in lines


def test_a_failed_agent_command_is_an_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    answer = subprocess.CompletedProcess(
        [], 0, stdout="1234:\n[ERROR] event must not be empty\nreturn code: 100\n", stderr=""
    )
    monkeypatch.setattr(module.subprocess, "run", lambda *args, **kwargs: answer)

    with pytest.raises(ProfilerError, match=r"start in JVM 1234 failed: .*event must not be empty"):
        AttachedProfiler(1234, tmp_path / "libasyncProfiler.so").start()


def test_a_path_with_a_comma_is_refused_before_the_agent_reads_it_as_two_options(tmp_path: Path) -> None:
    with pytest.raises(ProfilerError, match="must not contain a comma"):
        AttachedProfiler(1234, tmp_path / "libasyncProfiler.so").stop(tmp_path / "a,b.collapsed")


def test_a_jcmd_that_never_answers_is_the_profilers_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def hang(*args: object, **kwargs: object) -> None:
        raise subprocess.TimeoutExpired("jcmd", 60)

    monkeypatch.setattr(module.subprocess, "run", hang)

    # the --profile recorder keeps a ProfilerError raised in the sampler's thread and raises it after the job
    with pytest.raises(ProfilerError, match="did not answer in 60 s"):
        AttachedProfiler(1234, tmp_path / "libasyncProfiler.so").start()


SPIN = """
public class Spin {
    static long spin(long x) { for (int i = 0; i < 1_000_000; i++) { x += i * 31L; } return x; }
    public static void main(String[] args) throws Exception {
        System.out.println("spinning"); System.out.flush();
        long x = 0;
        while (System.in.available() == 0) { x = spin(x); }
        System.out.println(x);
    }
}
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="async-profiler's agent is Linux-only here")
def test_attached_to_a_running_jvm_it_records_the_busy_threads_stacks(tmp_path: Path) -> None:
    if shutil.which("java") is None or shutil.which("jcmd") is None:
        pytest.skip("needs a JDK (java, jcmd)")
    # GIVEN a JVM spinning in Spin.spin until its stdin gets a byte
    source = tmp_path / "Spin.java"
    source.write_text(SPIN)
    jvm = subprocess.Popen(
        ["java", str(source)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert jvm.stdout is not None
        assert jvm.stdout.readline().strip() == "spinning"
        profiler = AttachedProfiler(jvm.pid, module.library(progress=lambda message: None))

        # WHEN the profiler is attached for half a second of the JVM's CPU time (not wall time: load-proof)
        profiler.start(interval_ms=1)
        process = psutil.Process(jvm.pid)
        started = sum(process.cpu_times()[:2])
        while sum(process.cpu_times()[:2]) - started < 0.5:
            time.sleep(0.05)
        recording = tmp_path / "spin.collapsed"
        graph = profiler.stop(recording)
    finally:
        if jvm.stdin is not None:
            jvm.stdin.write("x\n")
            jvm.stdin.close()
        jvm.wait(timeout=60)

    # THEN the recording holds the main thread's samples in Spin.spin, and a flame graph lies beside it
    stacks = list(read_collapsed(recording.read_text().splitlines()))
    main = [stack for stack in stacks if stack.thread == "main"]
    assert sum(stack.samples for stack in main if "Spin.spin" in stack.frames) > 0
    assert graph == tmp_path / "spin.collapsed.html"
    assert graph.read_text().startswith("<!DOCTYPE html>")
