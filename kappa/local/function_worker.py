"""One local Lambda execution environment: imports a handler once, then runs invocations sent over a pipe.

Started by `function_host` as `python -m kappa.local.function_worker <module.function>` with the
function's environment. Protocol: one JSON document per line. The host writes
`{"request_id", "event", "deadline_ms"}` to stdin; the worker answers on its original stdout with
`{"ok": true, "result": ...}` or `{"ok": false, "errorType", "errorMessage", "stackTrace"}`. Before the
first request it announces `{"ready": true}` (or the import error). Everything the handler prints or
logs goes to stderr, which the host sends to the function's log file.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import IO, Any


class LambdaContext:
    """The attributes of the Lambda Python runtime's context object that handlers and Powertools read."""

    def __init__(self, request_id: str, deadline_ms: int) -> None:
        name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        region = os.environ.get("AWS_REGION", "us-east-1")
        self.function_name = name
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{name}"
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", f"/aws/lambda/{name}")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(error: BaseException) -> dict[str, Any]:
    return {
        "ok": False,
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


def _load(handler_path: str) -> Callable[[Any, Any], Any]:
    module_name, _, function_name = handler_path.rpartition(".")
    if not module_name:
        raise ValueError(f"handler {handler_path!r} must look like package.module.function")
    function = getattr(importlib.import_module(module_name), function_name)
    if not callable(function):
        raise TypeError(f"{handler_path} is not callable")
    return function


def serve(handler_path: str, requests: IO[bytes], replies: IO[bytes]) -> None:
    """Answer invocations from `requests` on `replies` until `requests` closes."""

    def reply(document: dict[str, Any]) -> None:
        replies.write(json.dumps(document, separators=(",", ":"), default=str).encode() + b"\n")
        replies.flush()

    try:
        handler = _load(handler_path)
    except BaseException as error:
        reply({"ready": False, **_error(error)})
        return
    reply({"ready": True})
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        context = LambdaContext(request["request_id"], int(request["deadline_ms"]))
        try:
            result = handler(request["event"], context)
            try:
                answer = {"ok": True, "result": json.loads(json.dumps(result))}
            except (TypeError, ValueError) as error:
                answer = {
                    "ok": False,
                    "errorType": "Runtime.MarshalError",
                    "errorMessage": f"Unable to marshal response: {error}",
                    "stackTrace": [],
                }
        except Exception as error:
            answer = _error(error)
        sys.stdout.flush()
        sys.stderr.flush()
        reply(answer)


def main() -> None:
    # Keep the protocol on a private copy of stdout; point fd 1 at stderr (the function's log) so
    # anything the handler prints cannot corrupt the protocol.
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    serve(sys.argv[1], sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
