"""HTTP answers: which status a batch outcome gets, and the body shape of the contract."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from events import FieldError
from lambdas.ingest.responses import batch_body, batch_headers, batch_status
from lambdas.ingest.service import LOG_UNAVAILABLE, BatchOutcome, EventResult, EventStatus

ACCEPTED = EventResult(0, "a", EventStatus.ACCEPTED)
REJECTED = EventResult(1, None, EventStatus.REJECTED, (FieldError("user_id", "is required"),))
FAILED = EventResult(2, "c", EventStatus.FAILED, (LOG_UNAVAILABLE,))


@pytest.mark.parametrize(
    ("results", "status"),
    [
        ([ACCEPTED], HTTPStatus.ACCEPTED),
        ([ACCEPTED, REJECTED], HTTPStatus.ACCEPTED),
        ([REJECTED], HTTPStatus.BAD_REQUEST),
        ([ACCEPTED, FAILED], HTTPStatus.SERVICE_UNAVAILABLE),
        ([REJECTED, FAILED], HTTPStatus.SERVICE_UNAVAILABLE),
        ([FAILED], HTTPStatus.SERVICE_UNAVAILABLE),
    ],
)
def test_the_status_follows_the_contract(results: list[EventResult], status: HTTPStatus) -> None:
    assert batch_status(BatchOutcome(results)) == status


def test_the_body_lists_every_event_with_errors_only_where_there_are_some() -> None:
    assert batch_body(BatchOutcome([ACCEPTED, REJECTED, FAILED])) == {
        "accepted": 1,
        "rejected": 1,
        "results": [
            {"index": 0, "event_id": "a", "status": "accepted"},
            {
                "index": 1,
                "event_id": None,
                "status": "rejected",
                "error": [{"path": "user_id", "message": "is required"}],
            },
            {
                "index": 2,
                "event_id": "c",
                "status": "failed",
                "error": [{"path": "", "message": "log unavailable, retry"}],
            },
        ],
    }


def test_a_503_tells_producers_when_to_retry_and_nothing_is_cached() -> None:
    assert batch_headers(HTTPStatus.SERVICE_UNAVAILABLE) == {"Cache-Control": "no-store", "Retry-After": "1"}
    assert batch_headers(HTTPStatus.ACCEPTED) == {"Cache-Control": "no-store"}
