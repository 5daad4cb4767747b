"""Insight envelopes: contract-valid, deterministic ids, the payloads the docs promise."""

from __future__ import annotations

import pytest

from events import InsightValidator
from flink_app.rules.abandonment import AbandonedCart
from flink_app.rules.cart import CartSnapshot
from flink_app.rules.conversion import ConversionCheck
from flink_app.rules.insights import (
    abandoned_cart_insight,
    abandoned_cart_insights,
    conversion_drop_insight,
    metrics_insight,
    recommendation_insight,
    session_insight,
    trending_insight,
)
from flink_app.rules.lines import CartChange, Neighbor
from flink_app.rules.metrics import WindowAggregates, order_totals
from flink_app.rules.sessions import SessionAggregates
from flink_app.rules.trending import TrendScore

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z

WINDOW = WindowAggregates(
    window_start_ms=T0,
    window_end_ms=T0 + 60_000,
    events_by_type={"product_view": 10, "purchase": 2, "page_view": 3},
    active_users=5,
    active_sessions=6,
    funnel={"product_view": 4, "add_to_cart": 2, "checkout_started": 2, "purchase": 1},
    order_amounts="EUR,1999;EUR,1000;USD,500",
)
SESSION = SessionAggregates("u-1", "s-1", T0, T0 + 90_500, 12, 3, 5, 1, 2, 4997, "EUR", 1, "EUR,4997")


def every_insight() -> list[dict]:
    cart = CartSnapshot(
        items=(("p-1", 2, 1999), ("p-2", 1, 550)), currency="EUR", last_change_at_ms=T0, session_id="s-1"
    )
    return [
        metrics_insight(WINDOW, job_version="v1"),
        session_insight(SESSION, job_version="v1"),
        abandoned_cart_insight(
            "u-1", AbandonedCart(cart, T0 + 1_800_000), abandon_after_minutes=30, job_version="v1"
        ),
        trending_insight(
            "p-9",
            window_end_ms=T0 + 600_000,
            window_minutes=10,
            trend=TrendScore(recent=40, expected=5.0, score=41 / 6, zscore=14.29, trending=True),
            views=40,
            carts=3,
            job_version="v1",
        ),
        conversion_drop_insight(
            window_end_ms=T0 + 900_000,
            window_minutes=15,
            baseline_minutes=120,
            check=ConversionCheck(0.02, 0.1, 0.8, True),
            viewing_sessions=100,
            purchasing_sessions=2,
            job_version="v1",
        ),
        recommendation_insight(
            user_id="u-1",
            session_id="s-1",
            trigger_event_id="e-1",
            trigger_event_type="add_to_cart",
            trigger_product_id="p-1",
            occurred_at_ms=T0 + 5,
            model_version_ms=T0,
            recommendations=[Neighbor("p-2", 3.14159)],
            job_version="v1",
        ),
    ]


@pytest.mark.parametrize("insight", every_insight(), ids=lambda i: i["type"])
def test_every_insight_type_is_valid_against_the_contract(insight) -> None:
    assert InsightValidator().validate(insight) == []


def test_ids_depend_on_the_inputs_not_on_the_clock() -> None:
    first, second = every_insight(), every_insight()
    assert [i["insight_id"] for i in first] == [i["insight_id"] for i in second]
    assert len({i["insight_id"] for i in first}) == len(first)


def test_metrics_payload() -> None:
    payload = metrics_insight(WINDOW, job_version="v1")["payload"]
    assert payload["events"] == 15
    assert payload["events_by_type"]["search"] == 0
    assert payload["revenue"] == {"EUR": 29.99, "USD": 5.0}
    assert payload["average_order_value"] == {"EUR": 15.0, "USD": 5.0}
    assert payload["orders"] == 3
    assert payload["conversion"] == 0.25
    assert payload["window_start"] == "2026-01-01T00:00:00.000Z"


def test_cart_abandoned_payload() -> None:
    insight = every_insight()[2]
    assert insight["payload"]["items"] == [
        {"product_id": "p-1", "quantity": 2, "price": 19.99},
        {"product_id": "p-2", "quantity": 1, "price": 5.5},
    ]
    assert insight["payload"]["value"] == 45.48
    assert insight["occurred_at"] == "2026-01-01T00:30:00.000Z"


def test_abandoned_cart_insights_of_a_window_one_per_abandoned_cart_in_order() -> None:
    # GIVEN a window's lines (any order) holding a cart abandoned after 30 minutes, then one bought
    changes = ";".join(
        c.encode()
        for c in [
            CartChange(T0 + 31 * 60_000, "add", "e3", "s2", "p-3", 1, 100, "EUR"),
            CartChange(T0, "add", "e1", "s1", "p-1", 1, 100, "EUR"),
            CartChange(T0 + 40 * 60_000, "purchase", "e4", "s2"),
        ]
    )
    # WHEN the reference builds its insights
    insights = abandoned_cart_insights("u-1", changes, abandon_after_minutes=30, job_version="v9")
    # THEN only the first cart, with the window's settings
    assert [i["payload"]["items"][0]["product_id"] for i in insights] == ["p-1"]
    assert insights[0]["payload"]["abandon_after_minutes"] == 30
    assert insights[0]["job_version"] == "v9"
    assert abandoned_cart_insights("u-1", None, abandon_after_minutes=30, job_version="v9") == []


def test_session_payload() -> None:
    payload = session_insight(SESSION, job_version="v1")["payload"]
    assert payload["duration_seconds"] == 90.5
    assert payload["cart_value"] == 49.97
    assert payload["converted"] is True


def test_order_totals_per_currency() -> None:
    assert order_totals("EUR,100;EUR,250;GBP,5") == {"EUR": (350, 2), "GBP": (5, 1)}
    assert order_totals(None) == {}
