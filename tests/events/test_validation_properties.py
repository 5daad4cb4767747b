"""Property tests: random valid events always pass; a random single mutation always fails."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import EventValidator, format_rfc3339

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
VALIDATOR = EventValidator()

ids = st.text(alphabet=string.ascii_letters + string.digits + "_.:-", min_size=1, max_size=64)
money = st.decimals(min_value=0, max_value=10_000, places=2).map(float)
currency = st.sampled_from(["EUR", "USD", "GBP"])
timestamps = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 11, 25, 12, 4)).map(
    lambda d: format_rfc3339(d.replace(tzinfo=UTC))
)
products = st.fixed_dictionaries(
    {"product_id": ids, "price": money, "currency": currency},
    optional={"name": st.text(min_size=1, max_size=40), "category": st.text(min_size=1, max_size=20)},
)
items = st.lists(
    st.fixed_dictionaries({"product_id": ids, "quantity": st.integers(1, 5), "price": money}),
    min_size=1,
    max_size=5,
)


def _order(order_items: list[dict[str, Any]]) -> dict[str, Any]:
    total = round(sum(i["quantity"] * i["price"] for i in order_items), 2)
    return {"order_id": "o-1", "items": order_items, "total": total, "currency": "EUR"}


bodies = st.one_of(
    st.builds(
        lambda url: {"event_type": "page_view", "page": {"url": url}}, st.text(min_size=1, max_size=100)
    ),
    st.builds(lambda p: {"event_type": "product_view", "product": p}, products),
    st.builds(lambda q: {"event_type": "search", "search": {"query": q}}, st.text(min_size=1, max_size=50)),
    st.builds(
        lambda t, p, q: {"event_type": t, "product": p, "quantity": q},
        st.sampled_from(["add_to_cart", "remove_from_cart"]),
        products,
        st.integers(1, 1000),
    ),
    st.just({"event_type": "checkout_started"}),
    st.builds(lambda i: {"event_type": "purchase", "order": _order(i)}, items),
)
events = st.builds(
    lambda event_id, occurred_at, user, session, body: {
        "event_id": event_id,
        "occurred_at": occurred_at,
        "user_id": user,
        "session_id": session,
        **body,
    },
    ids,
    timestamps,
    ids,
    ids,
    bodies,
)

MUTATIONS = {
    "drop event_id": lambda e: e.pop("event_id"),
    "drop user_id": lambda e: e.pop("user_id"),
    "empty session_id": lambda e: e.update(session_id=""),
    "unknown type": lambda e: e.update(event_type="teleport"),
    "numeric user_id": lambda e: e.update(user_id=7),
    "extra field": lambda e: e.update(surprise=True),
    "far future": lambda e: e.update(occurred_at=format_rfc3339(NOW + timedelta(hours=1))),
    "not a timestamp": lambda e: e.update(occurred_at="yesterday"),
    "meta from producer": lambda e: e.update(_meta={"received_at": "x", "producer": "p", "ingest_id": "i"}),
}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(events)
def test_random_valid_events_pass(event: dict[str, Any]) -> None:
    assert VALIDATOR.validate(event, now=NOW) == []


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(events, st.sampled_from(sorted(MUTATIONS)))
def test_random_mutated_events_fail(event: dict[str, Any], mutation: str) -> None:
    MUTATIONS[mutation](event)
    assert VALIDATOR.validate(event, now=NOW) != []
