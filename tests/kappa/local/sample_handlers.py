"""Tiny Lambda handlers for testing the local runtime's hosting and event source mappings (tests only)."""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from typing import Any


def echo(event: Any, context: Any) -> dict[str, Any]:
    print("echo handler prints to its log, not to the protocol")
    return {
        "event": event,
        "function_name": context.function_name,
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "env": os.environ.get("SAMPLE_SETTING"),
    }


def fail(event: Any, context: Any) -> None:
    raise ValueError("sample failure")


def slow(event: Any, context: Any) -> str:
    time.sleep(float(event.get("seconds", 5)))
    return "done"


def exit_process(event: Any, context: Any) -> None:
    sys.stderr.write("exiting hard\n")
    os._exit(3)


def unserialisable(event: Any, context: Any) -> object:
    return object()


def proxy_echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An API Gateway proxy integration that returns the event it got."""
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "x-sample": "yes"},
        "body": json.dumps(event),
    }


def kinesis_fail_marked(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Reports records whose data contains "fail" as batch item failures."""
    failures = []
    for record in event["Records"]:
        data = base64.b64decode(record["kinesis"]["data"])
        if b"fail" in data:
            failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
    return {"batchItemFailures": failures}
