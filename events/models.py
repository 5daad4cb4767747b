"""Typed shapes of the contract for type checkers; the JSON Schemas in `events/schemas/` stay authoritative.

`tests/events/test_models.py` checks that every key here exists in the schema and vice versa.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

EventType = Literal[
    "page_view", "product_view", "search", "add_to_cart", "remove_from_cart", "checkout_started", "purchase"
]
InsightType = Literal[
    "cart_abandoned",
    "product_recommendation",
    "trending_product",
    "conversion_drop",
    "session_summary",
    "metrics",
]


class Page(TypedDict):
    url: str
    referrer: NotRequired[str]
    title: NotRequired[str]


class Product(TypedDict):
    product_id: str
    price: float
    currency: str
    name: NotRequired[str]
    category: NotRequired[str]
    brand: NotRequired[str]


class Search(TypedDict):
    query: str
    results_count: NotRequired[int]


class OrderItem(TypedDict):
    product_id: str
    quantity: int
    price: float


class Order(TypedDict):
    order_id: str
    items: list[OrderItem]
    total: float
    currency: str


class Meta(TypedDict):
    received_at: str
    producer: str
    ingest_id: str


class Event(TypedDict):
    event_id: str
    event_type: EventType
    occurred_at: str
    user_id: str
    session_id: str
    page: NotRequired[Page]
    product: NotRequired[Product]
    quantity: NotRequired[int]
    search: NotRequired[Search]
    order: NotRequired[Order]
    context: NotRequired[dict[str, Any]]
    properties: NotRequired[dict[str, Any]]
    _meta: NotRequired[Meta]


class Insight(TypedDict):
    insight_id: str
    type: InsightType
    occurred_at: str
    emitted_at: str
    job_version: str
    payload: dict[str, Any]
    user_id: NotRequired[str | None]
