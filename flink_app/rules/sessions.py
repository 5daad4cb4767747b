"""Session summary payload from the session-window aggregates Flink SQL computes.

A session is one (user_id, session_id) whose events follow each other within the session gap; a longer
silence starts a new session even under the same session_id. Definitions (mirrored independently by the
pandas reference in tests/flink_app/reference.py):
- `duration_seconds` = last event − first event; `events` = all events;
- `page_views`, `product_views`, `searches`, `cart_adds`, `checkouts`, `orders` = events of those types;
- `cart_value` = Σ quantity × price over the session's add_to_cart events (what the shopper put in the cart),
  in `currency` (the add_to_cart currency);
- `revenue` = order totals per currency; `converted` = the session has an order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events import format_rfc3339
from flink_app.rules.metrics import order_totals
from flink_app.rules.money import from_cents


@dataclass(frozen=True, slots=True)
class SessionAggregates:
    user_id: str
    session_id: str
    started_at_ms: int
    ended_at_ms: int
    events: int
    page_views: int
    product_views: int
    searches: int
    cart_adds: int
    cart_value_cents: int
    cart_currency: str | None
    checkouts: int
    order_amounts: str | None


def session_payload(session: SessionAggregates) -> dict[str, Any]:
    totals = order_totals(session.order_amounts)
    orders = sum(count for _, count in totals.values())
    return {
        "session_id": session.session_id,
        "started_at": format_rfc3339(session.started_at_ms),
        "ended_at": format_rfc3339(session.ended_at_ms),
        "duration_seconds": (session.ended_at_ms - session.started_at_ms) / 1000,
        "events": session.events,
        "page_views": session.page_views,
        "product_views": session.product_views,
        "searches": session.searches,
        "cart_adds": session.cart_adds,
        "cart_value": from_cents(session.cart_value_cents),
        "currency": session.cart_currency,
        "checkouts": session.checkouts,
        "orders": orders,
        "revenue": {currency: from_cents(cents) for currency, (cents, _) in totals.items()},
        "converted": orders > 0,
    }
