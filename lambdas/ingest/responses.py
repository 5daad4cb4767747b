"""The HTTP answers of `POST /v1/events` (docs/ingestion-api.md): status codes and JSON bodies.

`202` some or all accepted; `400` none valid (same body), or `{"message"}` for a bad request; `413`/`415`
`{"message"}`; `503` when the log still refused some valid events after retries: their status is
`failed` and the producer resends exactly those.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Final

import orjson

from lambdas.ingest.service import BatchOutcome, EventStatus

RETRY_AFTER_SECONDS: Final = 1
"""Sent with 503: the log usually recovers from throttling within a second."""


def batch_status(outcome: BatchOutcome) -> HTTPStatus:
    if outcome.count(EventStatus.FAILED):
        return HTTPStatus.SERVICE_UNAVAILABLE
    if not outcome.count(EventStatus.ACCEPTED):
        return HTTPStatus.BAD_REQUEST
    return HTTPStatus.ACCEPTED


def batch_body(outcome: BatchOutcome) -> dict[str, Any]:
    """`{"accepted", "rejected", "results": [{"index", "event_id", "status", "error"?}]}`."""
    results = []
    for result in outcome.results:
        entry: dict[str, Any] = {
            "index": result.index,
            "event_id": result.event_id,
            "status": result.status.value,
        }
        if result.errors:
            entry["error"] = [error.as_dict() for error in result.errors]
        results.append(entry)
    return {
        "accepted": outcome.count(EventStatus.ACCEPTED),
        "rejected": outcome.count(EventStatus.REJECTED),
        "results": results,
    }


def batch_headers(status: HTTPStatus) -> dict[str, str]:
    headers = {"Cache-Control": "no-store"}
    if status is HTTPStatus.SERVICE_UNAVAILABLE:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return headers


def message_body(message: str) -> dict[str, str]:
    """The body of every answer that is about the request as a whole."""
    return {"message": message}


def to_json(body: dict[str, Any]) -> str:
    return orjson.dumps(body).decode()
