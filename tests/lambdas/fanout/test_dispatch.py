"""Lanes: per-subscriber concurrency limits and fairness on a shared pool."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from lambdas.fanout.dispatch import LaneDispatcher, SubscriberGate


def test_a_subscriber_never_gets_more_concurrent_jobs_than_its_lanes() -> None:
    running: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    lock = threading.Lock()

    def work(job: tuple[str, int], gate: SubscriberGate) -> None:
        with lock:
            running[job[0]] += 1
            peak[job[0]] = max(peak[job[0]], running[job[0]])
        time.sleep(0.01)
        with lock:
            running[job[0]] -= 1

    jobs = [("a", n) for n in range(20)] + [("b", n) for n in range(20)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        LaneDispatcher(pool, lanes_per_subscriber=3).run(jobs, subscriber_of=lambda j: j[0], work=work)
    assert peak == {"a": 3, "b": 3}


def test_a_subscriber_with_many_jobs_does_not_delay_one_with_few() -> None:
    started: dict[str, float] = {}

    def work(job: tuple[str, int], gate: SubscriberGate) -> None:
        started.setdefault(job[0], time.perf_counter())
        time.sleep(0.02)

    jobs = [("busy", n) for n in range(20)] + [("quiet", 0)]
    begin = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        LaneDispatcher(pool, lanes_per_subscriber=1).run(jobs, subscriber_of=lambda j: j[0], work=work)
    assert started["quiet"] - begin < 0.1


def test_the_gate_is_shared_by_a_subscribers_lanes_only() -> None:
    seen: dict[str, list[str | None]] = {"a": [], "b": []}

    def work(job: tuple[str, int], gate: SubscriberGate) -> None:
        seen[job[0]].append(gate.paused_reason)
        if job == ("a", 0):
            gate.pause("timed out", 5.0)

    jobs = [("a", n) for n in range(3)] + [("b", n) for n in range(3)]
    with ThreadPoolExecutor(max_workers=1) as pool:
        LaneDispatcher(pool, lanes_per_subscriber=1).run(jobs, subscriber_of=lambda j: j[0], work=work)
    assert seen["a"] == [None, "timed out", "timed out"]
    assert seen["b"] == [None, None, None]


def test_an_unexpected_error_surfaces_after_every_lane_finished() -> None:
    done: list[int] = []

    def work(job: int, gate: SubscriberGate) -> None:
        if job == 0:
            raise RuntimeError("bug")
        done.append(job)

    with ThreadPoolExecutor(max_workers=4) as pool, pytest.raises(RuntimeError, match="bug"):
        LaneDispatcher(pool, lanes_per_subscriber=1).run(
            [0, 1, 2, 3], subscriber_of=lambda j: f"s{j}", work=work
        )
    assert sorted(done) == [1, 2, 3]
