"""Valid example events of every type, for tests across the suite."""

from __future__ import annotations

import copy
from typing import Any

BASE: dict[str, Any] = {
    "event_id": "evt-0001",
    "occurred_at": "2026-11-25T12:00:00.000Z",
    "user_id": "user-42",
    "session_id": "sess-42-1",
}
PRODUCT = {
    "product_id": "p-100",
    "name": "Trail shoe",
    "category": "shoes",
    "brand": "Acme",
    "price": 89.9,
    "currency": "EUR",
}
ORDER = {
    "order_id": "o-1",
    "items": [
        {"product_id": "p-100", "quantity": 2, "price": 89.9},
        {"product_id": "p-200", "quantity": 1, "price": 10.0},
    ],
    "total": 189.8,
    "currency": "EUR",
}
BODIES: dict[str, dict[str, Any]] = {
    "page_view": {"page": {"url": "https://shop.example/", "referrer": "https://search.example/?q=shoes"}},
    "product_view": {"product": PRODUCT, "page": {"url": "https://shop.example/p/100"}},
    "search": {"search": {"query": "running shoes", "results_count": 42}},
    "add_to_cart": {"product": PRODUCT, "quantity": 2},
    "remove_from_cart": {"product": PRODUCT, "quantity": 1},
    "checkout_started": {},
    "purchase": {"order": ORDER},
}


def valid_event(event_type: str = "page_view", **overrides: Any) -> dict[str, Any]:
    """A valid event of `event_type`; keyword overrides replace top-level fields."""
    event = {**copy.deepcopy(BASE), "event_type": event_type, **copy.deepcopy(BODIES[event_type])}
    event.update(overrides)
    return event
