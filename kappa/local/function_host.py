"""Runs the real Lambda handlers locally, each in its own worker processes, as Lambda would.

A worker is one execution environment: a Python process with the function's environment variables
that imports the handler once (cold start) and then serves one invocation at a time. Separate
processes keep each function's environment, module globals and log output apart (as on Lambda), and
a handler that hangs past its timeout is killed and replaced, like a timed-out sandbox.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parents[2]
INIT_TIMEOUT_SECONDS = 30.0
"""Lambda allows 10 s of init; a cold Python + boto3 + Powertools import on a busy 2-core box needs more."""
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "TZ")


@dataclass(frozen=True)
class FunctionSpec:
    """What Lambda would know about one function: handler, environment, limits."""

    name: str
    handler: str
    """Import path of the handler function, e.g. `lambdas.ingest.handler.handler`."""
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 30.0
    memory_mb: int = 128
    max_concurrency: int = 1
    """How many invocations may run at once (one worker process each)."""


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation: the handler's result, or the error Lambda would report."""

    ok: bool
    result: Any = None
    error_type: str | None = None
    error_message: str | None = None
    duration_ms: float = 0.0

    @property
    def timed_out(self) -> bool:
        return self.error_type == "Sandbox.Timedout"


class FunctionInitError(RuntimeError):
    """The handler could not be imported (Lambda's Runtime.ImportModuleError / init failure)."""


class FunctionHost:
    """Invokes one function in a small pool of worker processes (at most `spec.max_concurrency`)."""

    def __init__(self, spec: FunctionSpec, log_path: Path, *, python: str = sys.executable) -> None:
        self.spec = spec
        self.log_path = log_path
        self._python = python
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(spec.max_concurrency)
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        self._stopped = False
        self.invocations = 0
        self.errors = 0

    def start(self) -> FunctionHost:
        """Start one worker now so an import error shows at start-up, not on the first request."""
        self._idle.put(self._spawn())
        return self

    def invoke(self, event: Any) -> Invocation:
        """Run the handler with `event` (JSON-compatible) and wait for its result or its timeout."""
        with self._slots:
            if self._stopped:
                raise RuntimeError(f"function {self.spec.name} has been stopped")
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                worker = self._spawn()
            started = time.monotonic()
            outcome = worker.call(event, self.spec.timeout_seconds)
            outcome = dataclasses.replace(outcome, duration_ms=(time.monotonic() - started) * 1000)
            with self._lock:
                self.invocations += 1
                self.errors += 0 if outcome.ok else 1
            if worker.alive:
                self._idle.put(worker)
            else:
                self._forget(worker)
            return outcome

    def pids(self) -> list[int]:
        with self._lock:
            return [worker.pid for worker in self._workers]

    def stop(self) -> None:
        self._stopped = True
        with self._lock:
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.stop()

    def _spawn(self) -> _Worker:
        environment = {name: os.environ[name] for name in _INHERITED if name in os.environ}
        python_path = [str(REPO_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        environment |= {
            "PYTHONPATH": os.pathsep.join(dict.fromkeys(python_path)),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_LAMBDA_FUNCTION_NAME": self.spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            "_HANDLER": self.spec.handler,
            **self.spec.environment,
        }
        worker = _Worker(self.spec, self._python, environment, self.log_path)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _forget(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._workers.discard(worker)


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, spec: FunctionSpec, python: str, environment: dict[str, str], log_path: Path) -> None:
        self._spec = spec
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("ab")
        self._process = subprocess.Popen(
            [python, "-m", "kappa.local.function_worker", spec.handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=environment,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
        self.pid = self._process.pid
        self._buffer = b""
        try:
            ready = self._read_reply(time.monotonic() + INIT_TIMEOUT_SECONDS)
        except EOFError:
            ready = {"errorType": "Runtime.ExitError", "errorMessage": "the worker exited during init"}
        if ready is None or not ready.get("ready"):
            self.stop()
            detail = (
                f"{ready.get('errorType')}: {ready.get('errorMessage')}"
                if ready
                else f"no answer within {INIT_TIMEOUT_SECONDS:.0f} s"
            )
            raise FunctionInitError(
                f"Lambda function {spec.name} ({spec.handler}) failed to initialise: {detail} "
                f"(details in {log_path})"
            )

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def call(self, event: Any, timeout_seconds: float) -> Invocation:
        request_id = str(uuid.uuid4())
        deadline = time.monotonic() + timeout_seconds
        request = {
            "request_id": request_id,
            "event": event,
            "deadline_ms": int(time.time() * 1000 + timeout_seconds * 1000),
        }
        stdin: IO[bytes] = self._process.stdin  # type: ignore[assignment]
        try:
            stdin.write(json.dumps(request, separators=(",", ":")).encode() + b"\n")
            stdin.flush()
        except (BrokenPipeError, OSError):
            self.stop(kill=True)
            return Invocation(
                False, error_type="Runtime.ExitError", error_message="the worker process exited"
            )
        try:
            reply = self._read_reply(deadline)
        except EOFError:
            self.stop(kill=True)
            return Invocation(
                False, error_type="Runtime.ExitError", error_message="the worker process exited"
            )
        if reply is None:
            self.stop(kill=True)
            return Invocation(
                False,
                error_type="Sandbox.Timedout",
                error_message=f"Task timed out after {timeout_seconds:.2f} seconds",
            )
        if reply.get("ok"):
            return Invocation(True, result=reply.get("result"))
        return Invocation(False, error_type=reply.get("errorType"), error_message=reply.get("errorMessage"))

    def _read_reply(self, deadline: float) -> dict[str, Any] | None:
        """The next reply line; None at the deadline; EOFError if the worker went away."""
        stdout: IO[bytes] = self._process.stdout  # type: ignore[assignment]
        descriptor = stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            readable, _, _ = select.select([descriptor], [], [], min(remaining, 0.5))
            if not readable:
                continue
            chunk = os.read(descriptor, 1 << 16)
            if not chunk:
                raise EOFError("the worker closed its reply pipe")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def stop(self, *, kill: bool = False) -> None:
        """End the worker: close its stdin so it exits on its own, or kill it (timeout, or no exit in 2 s)."""
        if not kill and self._process.poll() is None and self._process.stdin is not None:
            try:
                self._process.stdin.close()
                self._process.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._log.close()
