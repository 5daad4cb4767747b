"""The contract's constants and schema documents, loaded once from `events/schemas/` (the single source)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Final

EVENT_TYPES: Final = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "checkout_started",
    "purchase",
)
INSIGHT_TYPES: Final = (
    "cart_abandoned",
    "product_recommendation",
    "trending_product",
    "conversion_drop",
    "session_summary",
    "metrics",
)

MAX_EVENT_BYTES: Final = 32 * 1024
"""Largest serialized event accepted (well below Kinesis' 1 MiB record limit, keeps batches cheap)."""
MAX_FUTURE_SKEW_SECONDS: Final = 5 * 60
"""How far `occurred_at` may lie ahead of the receiver's clock (client clock skew)."""
TOTAL_TOLERANCE: Final = 0.01
"""An order's `total` must match the sum of its items within one cent."""
MAX_EVENTS_PER_REQUEST: Final = 500


@cache
def event_schema() -> dict[str, Any]:
    """The event JSON Schema (draft 2020-12)."""
    return _load("event.schema.json")


@cache
def insight_schema() -> dict[str, Any]:
    """The insight envelope JSON Schema (draft 2020-12)."""
    return _load("insight.schema.json")


def _load(name: str) -> dict[str, Any]:
    text = resources.files("events").joinpath("schemas").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)
