"""Per-thread CPU of the job's JVM (bench/thread_cpu.py): names, attribution and the source's read position,
without a JVM."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.thread_cpu import (
    ThreadCpu,
    byte_offset_of_line,
    cpu_by_chain,
    jcmd_thread_names,
    operator_chain,
    read_offset,
)

THREAD_PRINT = """2026-12-07 17:20:01
Full thread dump OpenJDK 64-Bit Server VM (17.0.13+11 mixed mode, sharing):

"C2 CompilerThread0" #14 daemon prio=9 os_prio=0 cpu=9120.55ms elapsed=60.12s tid=0x00007f nid=0x1a2b waiting on condition  [0x0000000000000000]
   java.lang.Thread.State: RUNNABLE

"Deduplicate[5] -> Calc[6] (1/2)#0" #120 prio=5 os_prio=0 cpu=5000.00ms elapsed=40.00s tid=0x00007e nid=0x2b3c runnable  [0x00007f]
   java.lang.Thread.State: RUNNABLE

"Deduplicate[5] -> Calc[6] (2/2)#0" #121 prio=5 os_prio=0 cpu=4000.00ms elapsed=40.00s tid=0x00007d nid=0x2b3d runnable  [0x00007f]
"""


def test_jcmd_names_are_keyed_by_the_kernel_thread_id() -> None:
    names = jcmd_thread_names(THREAD_PRINT)
    assert names == {
        0x1A2B: "C2 CompilerThread0",
        0x2B3C: "Deduplicate[5] -> Calc[6] (1/2)#0",
        0x2B3D: "Deduplicate[5] -> Calc[6] (2/2)#0",
    }


def test_operator_chain_drops_the_subtask_suffix_only() -> None:
    assert (
        operator_chain("ProcessTableFunction[24] -> Calc[25] (2/2)#0")
        == "ProcessTableFunction[24] -> Calc[25]"
    )
    assert operator_chain("GC Thread#1") == "GC Thread#1"


def test_cpu_by_chain_adds_subtasks_counts_new_threads_whole_and_ranks_per_event() -> None:
    # GIVEN the baseline and the final CPU seconds of two subtasks, the JIT, and a thread started after the baseline
    names = {1: "Deduplicate[5] (1/2)#0", 2: "Deduplicate[5] (2/2)#0", 3: "C2 CompilerThread0"}
    baseline = ThreadCpu({1: 10.0, 2: 11.0, 3: 5.0})
    final = ThreadCpu({1: 12.0, 2: 12.5, 3: 6.0, 4: 0.5})
    # WHEN attributed over 1,000,000 events
    rows = cpu_by_chain(baseline, final, names, events=1_000_000)
    # THEN µs per event, subtasks of one chain together, an unnamed thread by its id, largest first
    assert rows == [
        ("Deduplicate[5]", pytest.approx(3.5)),
        ("C2 CompilerThread0", pytest.approx(1.0)),
        ("thread 4", pytest.approx(0.5)),
    ]


def test_byte_offset_of_a_line_and_past_the_end(tmp_path: Path) -> None:
    log = tmp_path / "log.ndjson"
    log.write_bytes(b'{"a":1}\n{"b":22}\n{"c":3}\n')
    assert byte_offset_of_line(log, 0) == 0
    assert byte_offset_of_line(log, 2) == len(b'{"a":1}\n{"b":22}\n')
    assert byte_offset_of_line(log, 10) == log.stat().st_size


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_read_offset_follows_a_file_this_process_reads(tmp_path: Path) -> None:
    import os

    log = tmp_path / "log.ndjson"
    log.write_bytes(b"x" * 100)
    assert read_offset(os.getpid(), log) is None
    with log.open("rb", buffering=0) as stream:  # unbuffered: the kernel's position is what was read
        stream.read(40)
        assert read_offset(os.getpid(), log) == 40
