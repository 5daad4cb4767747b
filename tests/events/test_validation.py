"""The event validator: valid examples pass, each kind of mistake fails with its path and a plain message."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from events import EVENT_TYPES, EventValidator, FieldError, InsightValidator, make_insight
from tests.events.factories import valid_event

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def validator() -> EventValidator:
    return EventValidator()


def paths(errors: list[FieldError]) -> list[str]:
    return [e.path for e in errors]


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_valid_example_of_every_type_passes(validator: EventValidator, event_type: str) -> None:
    assert validator.validate(valid_event(event_type), now=NOW) == []


def _without(field: str):
    def mutate(event: dict[str, Any]) -> None:
        parts = field.split(".")
        target = event
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[parts[-1]]

    return mutate


def _setting(field: str, value: Any):
    def mutate(event: dict[str, Any]) -> None:
        parts = field.split(".")
        target = event
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        target[parts[-1]] = value

    return mutate


INVALID_CASES = [
    # (event type, mutation, expected path, words in the message)
    ("page_view", _without("event_id"), "event_id", "is required"),
    ("page_view", _without("event_type"), "event_type", "is required"),
    ("page_view", _without("occurred_at"), "occurred_at", "is required"),
    ("page_view", _without("user_id"), "user_id", "is required"),
    ("page_view", _without("session_id"), "session_id", "is required"),
    ("page_view", _without("page"), "page", "is required for event_type page_view"),
    ("page_view", _without("page.url"), "page.url", "is required"),
    ("product_view", _without("product"), "product", "is required for event_type product_view"),
    ("product_view", _without("product.price"), "product.price", "is required"),
    ("product_view", _without("product.currency"), "product.currency", "is required"),
    ("search", _without("search"), "search", "is required for event_type search"),
    ("search", _setting("search.query", ""), "search.query", "shorter than 1"),
    ("add_to_cart", _without("quantity"), "quantity", "is required for event_type add_to_cart"),
    ("add_to_cart", _without("product"), "product", "is required"),
    ("remove_from_cart", _setting("quantity", 0), "quantity", "at least 1"),
    ("add_to_cart", _setting("quantity", 1001), "quantity", "at most 1000"),
    ("add_to_cart", _setting("quantity", 1.5), "quantity", "must be an integer"),
    ("add_to_cart", _setting("quantity", "2"), "quantity", "not a string"),
    ("purchase", _without("order"), "order", "is required for event_type purchase"),
    ("purchase", _setting("order.items", []), "order.items", "at least 1 item"),
    ("purchase", _without("order.items.0.price"), "order.items[0].price", "is required"),
    ("purchase", _setting("order.total", 200.0), "order.total", "add up to 189.80"),
    ("purchase", _setting("order.currency", "euro"), "order.currency", "ISO 4217"),
    ("page_view", _setting("event_type", "click"), "event_type", "must be one of"),
    ("page_view", _setting("event_id", "has space"), "event_id", "letters, digits"),
    ("page_view", _setting("event_id", "x" * 65), "event_id", "longer than 64"),
    ("page_view", _setting("user_id", 42), "user_id", "must be a string, not a number"),
    ("page_view", _setting("user_id", "u" * 129), "user_id", "longer than 128"),
    ("page_view", _setting("occurred_at", "2026-11-25 12:00:00"), "occurred_at", "RFC 3339"),
    ("page_view", _setting("occurred_at", "2026-11-25T12:00:00"), "occurred_at", "RFC 3339"),
    ("page_view", _setting("occurred_at", "2026-02-30T12:00:00Z"), "occurred_at", "not a real date"),
    ("page_view", _setting("occurred_at", "2026-11-25T12:06:00Z"), "occurred_at", "5 minutes in the future"),
    ("page_view", _setting("unknown", 1), "unknown", "is not an allowed field"),
    ("product_view", _setting("product.colour", "red"), "product.colour", "is not an allowed field"),
    (
        "page_view",
        _setting("product", {"product_id": "p", "price": 1, "currency": "EUR"}),
        "product",
        "is not allowed for event_type page_view",
    ),
    (
        "checkout_started",
        _setting("quantity", 1),
        "quantity",
        "is not allowed for event_type checkout_started",
    ),
    ("product_view", _setting("product.price", -1), "product.price", "at least 0"),
    ("page_view", _setting("context", {"bad key": "x"}), "context", "has a key"),
    ("page_view", _setting("properties", {f"k{i}": i for i in range(33)}), "properties", "at most 32 keys"),
    (
        "page_view",
        _setting("_meta", {"received_at": "x", "producer": "p", "ingest_id": "i"}),
        "_meta",
        "set by the ingestion API",
    ),
]


@pytest.mark.parametrize(
    ("event_type", "mutate", "path", "words"), INVALID_CASES, ids=[f"{c[2]}:{c[3]}" for c in INVALID_CASES]
)
def test_invalid_event_fails_with_path_and_plain_message(
    validator: EventValidator, event_type: str, mutate: Any, path: str, words: str
) -> None:
    # GIVEN a valid event with one mistake
    event = valid_event(event_type)
    mutate(event)
    # WHEN it is validated
    errors = validator.validate(event, now=NOW)
    # THEN the mistake is reported at its path, in words a producer can act on
    matching = [e for e in errors if e.path == path]
    assert matching, f"expected an error at {path!r}, got {errors}"
    assert any(words in e.message for e in matching), matching


def test_all_errors_of_an_event_are_reported_at_once(validator: EventValidator) -> None:
    event = valid_event("add_to_cart", quantity=0, user_id="", extra=True)
    del event["event_id"]
    errors = validator.validate(event, now=NOW)
    assert set(paths(errors)) == {"quantity", "user_id", "extra", "event_id"}


def test_event_over_32_kb_is_rejected_with_its_size(validator: EventValidator) -> None:
    event = valid_event("page_view", properties={f"k{i}": "x" * 1024 for i in range(32)})
    errors = validator.validate(event, now=NOW)
    assert any(e.path == "" and "at most 32768 bytes" in e.message for e in errors)


@pytest.mark.parametrize("value", [[], "text", 3, None])
def test_non_object_event_is_rejected(validator: EventValidator, value: Any) -> None:
    errors = validator.validate(value, now=NOW)
    assert errors == [FieldError("", errors[0].message)]
    assert errors[0].message.startswith("must be a JSON object")


def test_order_total_within_a_cent_is_accepted(validator: EventValidator) -> None:
    event = valid_event("purchase")
    event["order"]["total"] = 189.805
    assert validator.validate(event, now=NOW) == []


def test_stored_events_with_meta_validate_when_allowed() -> None:
    event = valid_event(
        "page_view", _meta={"received_at": "2026-11-25T12:00:00.000Z", "producer": "k", "ingest_id": "i"}
    )
    assert EventValidator(allow_meta=True).validate(event, now=NOW) == []


def test_field_not_allowed_hides_its_inner_errors(validator: EventValidator) -> None:
    event = valid_event("page_view", order={"items": []})
    errors = validator.validate(event, now=NOW)
    assert [e for e in errors if e.path.startswith("order")] == [
        FieldError("order", "is not allowed for event_type page_view")
    ]


def test_insight_validator_accepts_built_insights_and_names_missing_payload_keys() -> None:
    insight = make_insight(
        "cart_abandoned",
        key=("user-1", "t"),
        occurred_at="2026-11-25T12:00:00.000Z",
        job_version="v1",
        user_id="user-1",
        payload={
            "items": [],
            "value": 0,
            "currency": "EUR",
            "last_cart_change_at": "2026-11-25T11:30:00.000Z",
        },
    )
    validator = InsightValidator()
    assert validator.validate(insight) == []
    broken = copy.deepcopy(insight)
    del broken["payload"]["value"]
    assert FieldError("payload.value", "is required for type cart_abandoned") in validator.validate(broken)
