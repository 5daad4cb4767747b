"""Summaries of JFR events (the shape `jfr print --json` writes), without a JVM."""

from __future__ import annotations

import pytest

from bench.jfr_profile import cpu_by_thread, hot_methods


def _load(thread: str, user: float, system: float = 0.0) -> dict:
    return {"values": {"eventThread": {"javaName": thread}, "user": user, "system": system}}


def _sample(thread: str, *methods: tuple[str, str]) -> dict:
    frames = [{"method": {"type": {"name": type_name}, "name": name}} for type_name, name in methods]
    return {"values": {"sampledThread": {"javaName": thread}, "stackTrace": {"frames": frames}}}


def test_cpu_by_thread_merges_subtasks_of_one_operator_chain_and_ranks_them() -> None:
    # GIVEN two subtasks of the session window and the JIT thread
    events = [
        _load("GroupWindowAggregate[139] -> PythonCalc[140] (1/2)#0", 0.2, 0.1),
        _load("GroupWindowAggregate[139] -> PythonCalc[140] (2/2)#0", 0.2),
        _load("C2 CompilerThread0", 0.5),
    ]

    # WHEN the load is summed per thread
    shares = cpu_by_thread(events)

    # THEN the subtasks count as one task, and shares add up to the whole
    assert shares[0] == ("GroupWindowAggregate[139] -> PythonCalc[140]", pytest.approx(0.5))
    assert shares[1] == ("C2 CompilerThread0", pytest.approx(0.5))


def test_hot_methods_count_the_top_frame_of_the_named_threads_only() -> None:
    events = [
        _sample("Deduplicate[124] (1/2)#0", ("org/apache/flink/Heap", "get"), ("x/Caller", "run")),
        _sample("Deduplicate[124] (2/2)#0", ("org/apache/flink/Heap", "get")),
        _sample("Deduplicate[124] (2/2)#0", ("java/util/HashMap", "getNode")),
        _sample("Source: raw_events[120] (1/2)#0", ("java/text/SimpleDateFormat", "parse")),
    ]
    assert hot_methods(events, "Deduplicate[124]") == [
        ("Heap.get", pytest.approx(2 / 3)),
        ("HashMap.getNode", pytest.approx(1 / 3)),
    ]
