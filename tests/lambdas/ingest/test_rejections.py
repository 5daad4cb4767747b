"""Rejection reasons: each validator finding maps to the category the monitoring stack charts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from events import EventValidator, FieldError
from lambdas.ingest.rejections import REJECTION_REASONS, rejection_reason

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
VALID = {
    "event_id": "e-1",
    "event_type": "purchase",
    "occurred_at": "2026-11-25T11:59:00Z",
    "user_id": "u-1",
    "session_id": "s-1",
    "order": {
        "order_id": "o-1",
        "items": [{"product_id": "p-1", "quantity": 2, "price": 5.0}],
        "total": 10.0,
        "currency": "EUR",
    },
}


@pytest.fixture(scope="module")
def validator() -> EventValidator:
    return EventValidator()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"occurred_at": "2026-11-25T12:30:00Z"}, "future_timestamp"),
        ({"_meta": {"received_at": "x", "producer": "me", "ingest_id": "1"}}, "reserved_field"),
        ({"properties": {f"k{i}": "x" * 1024 for i in range(32)}}, "size"),
        ({"order": {**VALID["order"], "total": 99.0}}, "order_total"),
        ({"event_type": "click"}, "schema"),
        ({"colour": "red"}, "schema"),
        ({"occurred_at": "2026-02-30T11:00:00Z"}, "schema"),
    ],
)
def test_the_validators_findings_map_to_their_reason(
    validator: EventValidator, change: dict, reason: str
) -> None:
    # GIVEN the real validator's errors for an event with one problem
    errors = validator.validate({**VALID, **change}, now=NOW)
    assert errors, "the change must make the event invalid"
    # THEN the reason is that problem's category
    assert rejection_reason(errors) == reason


def test_the_most_specific_reason_wins() -> None:
    errors = [
        FieldError("colour", "is not an allowed field"),
        FieldError("order.total", "is 9.00 but the items add up to 10.00 (quantity × price)"),
        FieldError("occurred_at", "is more than 5 minutes in the future of the server clock"),
    ]
    assert rejection_reason(errors) == "future_timestamp"


def test_every_reason_is_a_short_metric_dimension_value() -> None:
    assert REJECTION_REASONS == ("size", "reserved_field", "future_timestamp", "order_total", "schema")
    assert all(reason.isidentifier() and len(reason) <= 20 for reason in REJECTION_REASONS)
