"""Per-minute metrics payload from the window aggregates Flink SQL computes.

Definitions (the pandas reference in tests/flink_app/reference.py computes the same independently):
- `events_by_type`: events of each type in the window (every type listed, zeros included);
- `active_users` / `active_sessions`: distinct user ids / session ids with any event;
- `orders`, `revenue` (per currency, sum of order totals) and `average_order_value` (revenue / orders,
  rounded to cents);
- `funnel`: distinct sessions with at least one product_view, add_to_cart, checkout_started, purchase;
- `conversion`: funnel purchase / funnel product_view, 4 decimals (null without viewing sessions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events import EVENT_TYPES, format_rfc3339
from flink_app.rules.lines import FIELD_SEPARATOR, RECORD_SEPARATOR
from flink_app.rules.money import from_cents

FUNNEL_STEPS = ("product_view", "add_to_cart", "checkout_started", "purchase")


@dataclass(frozen=True, slots=True)
class WindowAggregates:
    window_start_ms: int
    window_end_ms: int
    events_by_type: dict[str, int]
    active_users: int
    active_sessions: int
    funnel: dict[str, int]
    order_amounts: str | None
    """`currency,cents;...`, one record per order."""


def order_totals(order_amounts: str | None) -> dict[str, tuple[int, int]]:
    """Per currency: (total cents, number of orders)."""
    totals: dict[str, tuple[int, int]] = {}
    for record in (order_amounts or "").split(RECORD_SEPARATOR):
        if not record:
            continue
        currency, cents = record.split(FIELD_SEPARATOR)
        total, count = totals.get(currency, (0, 0))
        totals[currency] = (total + int(cents), count + 1)
    return dict(sorted(totals.items()))


def conversion_of(funnel: dict[str, int]) -> float | None:
    viewing = funnel.get("product_view", 0)
    return round(funnel.get("purchase", 0) / viewing, 4) if viewing else None


def metrics_payload(window: WindowAggregates) -> dict[str, Any]:
    totals = order_totals(window.order_amounts)
    by_type = {event_type: int(window.events_by_type.get(event_type, 0)) for event_type in EVENT_TYPES}
    funnel = {step: int(window.funnel.get(step, 0)) for step in FUNNEL_STEPS}
    return {
        "window_start": format_rfc3339(window.window_start_ms),
        "window_end": format_rfc3339(window.window_end_ms),
        "events": sum(by_type.values()),
        "events_by_type": by_type,
        "active_users": window.active_users,
        "active_sessions": window.active_sessions,
        "orders": sum(count for _, count in totals.values()),
        "revenue": {currency: from_cents(cents) for currency, (cents, _) in totals.items()},
        "average_order_value": {
            currency: from_cents(round(cents / count)) for currency, (cents, count) in totals.items()
        },
        "funnel": funnel,
        "conversion": conversion_of(funnel),
    }
