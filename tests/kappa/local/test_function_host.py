"""Handlers run in worker processes like Lambda execution environments: isolated, timed, logged."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from kappa.local.function_host import FunctionHost, FunctionInitError, FunctionSpec

SAMPLES = "tests.kappa.local.sample_handlers"


def host(tmp_path: Path, handler: str, **spec: object) -> FunctionHost:
    return FunctionHost(
        FunctionSpec(name="sample", handler=f"{SAMPLES}.{handler}", **spec), tmp_path / "sample.log"
    )


def test_invocation_returns_result_with_context_and_environment(tmp_path: Path) -> None:
    # GIVEN a function with an environment variable
    function = host(tmp_path, "echo", environment={"SAMPLE_SETTING": "from-spec"}, timeout_seconds=7).start()
    try:
        # WHEN it is invoked
        outcome = function.invoke({"hello": "world"})
    finally:
        function.stop()
    # THEN the handler saw the event, a Lambda-like context and its own environment
    assert outcome.ok
    assert outcome.result["event"] == {"hello": "world"}
    assert outcome.result["function_name"] == "sample"
    assert outcome.result["env"] == "from-spec"
    assert 0 < outcome.result["remaining_ms"] <= 7000
    # AND what the handler printed went to the function's log, not into the result
    assert "prints to its log" in (tmp_path / "sample.log").read_text()


def test_handler_exception_becomes_function_error(tmp_path: Path) -> None:
    function = host(tmp_path, "fail").start()
    try:
        outcome = function.invoke({})
        again = function.invoke({})
    finally:
        function.stop()
    assert not outcome.ok
    assert (outcome.error_type, outcome.error_message) == ("ValueError", "sample failure")
    assert again.error_type == "ValueError"  # the environment survives a handler error


def test_handler_past_its_timeout_is_killed_and_replaced(tmp_path: Path) -> None:
    # GIVEN a function with a 0.5 s timeout
    function = host(tmp_path, "slow", timeout_seconds=0.5).start()
    try:
        (first_pid,) = function.pids()
        # WHEN an invocation sleeps for 10 s
        outcome = function.invoke({"seconds": 10})
        # THEN it ends as a timeout, and the sandbox process is gone
        assert outcome.timed_out
        assert outcome.duration_ms < 3000
        assert not psutil.pid_exists(first_pid) or psutil.Process(first_pid).status() == psutil.STATUS_ZOMBIE
        # AND the next invocation gets a fresh environment
        assert function.invoke({"seconds": 0}).result == "done"
    finally:
        function.stop()


def test_worker_that_exits_is_reported_and_replaced(tmp_path: Path) -> None:
    function = host(tmp_path, "exit_process").start()
    try:
        outcome = function.invoke({})
        assert outcome.error_type == "Runtime.ExitError"
        assert not function.invoke({}).ok
    finally:
        function.stop()


def test_unserialisable_result_is_a_marshal_error(tmp_path: Path) -> None:
    function = host(tmp_path, "unserialisable").start()
    try:
        assert function.invoke({}).error_type == "Runtime.MarshalError"
    finally:
        function.stop()


def test_missing_handler_fails_at_start_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(FunctionInitError, match=r"sample .*failed to initialise: AttributeError"):
        host(tmp_path, "no_such_handler").start()


def test_stop_leaves_no_worker_processes(tmp_path: Path) -> None:
    function = FunctionHost(
        FunctionSpec(name="sample", handler=f"{SAMPLES}.echo", max_concurrency=2), tmp_path / "s.log"
    ).start()
    function.invoke({})
    pids = function.pids()
    function.stop()
    assert pids
    assert all(not psutil.pid_exists(pid) for pid in pids)
