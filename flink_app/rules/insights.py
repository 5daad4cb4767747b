"""Insight envelopes for every type the job emits, built with `events.make_insight` and serialized once.

The `key` of each insight is what makes it unique in the log (so replays reproduce the same ids):

| type | key | occurred_at |
|---|---|---|
| metrics | window start | window end |
| session_summary | user, session, first event | last event |
| cart_abandoned | user, last cart change | last cart change + abandon_after |
| trending_product | product, window end | window end |
| conversion_drop | window end | window end |
| product_recommendation | user, trigger event id | trigger event |
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from events import format_rfc3339, make_insight
from events.models import Insight
from flink_app.rules.abandonment import AbandonedCart, abandoned_carts
from flink_app.rules.conversion import ConversionCheck
from flink_app.rules.lines import Neighbor
from flink_app.rules.metrics import WindowAggregates, metrics_payload
from flink_app.rules.money import from_cents
from flink_app.rules.sessions import SessionAggregates, session_payload
from flink_app.rules.trending import TrendScore


def to_json(insight: Insight) -> str:
    return orjson.dumps(insight).decode()


def metrics_insight(window: WindowAggregates, *, job_version: str) -> Insight:
    payload = metrics_payload(window)
    return make_insight(
        "metrics",
        key=(payload["window_start"],),
        occurred_at=payload["window_end"],
        job_version=job_version,
        payload=payload,
    )


def session_insight(session: SessionAggregates, *, job_version: str) -> Insight:
    payload = session_payload(session)
    return make_insight(
        "session_summary",
        key=(session.user_id, session.session_id, payload["started_at"]),
        occurred_at=payload["ended_at"],
        job_version=job_version,
        payload=payload,
        user_id=session.user_id,
    )


def abandoned_cart_insight(
    user_id: str, abandoned: AbandonedCart, *, abandon_after_minutes: int, job_version: str
) -> Insight:
    cart = abandoned.cart
    last_change = format_rfc3339(cart.last_change_at_ms)
    return make_insight(
        "cart_abandoned",
        key=(user_id, last_change),
        occurred_at=format_rfc3339(abandoned.abandoned_at_ms),
        job_version=job_version,
        user_id=user_id,
        payload={
            "session_id": cart.session_id,
            "items": cart.items_payload(),
            "value": from_cents(cart.value_cents),
            "currency": cart.currency,
            "last_cart_change_at": last_change,
            "abandon_after_minutes": abandon_after_minutes,
        },
    )


def abandoned_cart_insights(
    user_id: str, changes: str | None, *, abandon_after_minutes: int, job_version: str
) -> list[Insight]:
    """The cart_abandoned insights of one cart window's changes (`rules.lines` text), in event-time order: what
    the Python UDF wrote before the job called the Java `abandoned_cart_insights` (the reference it is tested
    against)."""
    return [
        abandoned_cart_insight(
            user_id, abandoned, abandon_after_minutes=abandon_after_minutes, job_version=job_version
        )
        for abandoned in abandoned_carts(changes, abandon_after_ms=abandon_after_minutes * 60_000)
    ]


def trending_insight(
    product_id: str,
    *,
    window_end_ms: int,
    window_minutes: int,
    trend: TrendScore,
    views: int,
    carts: int,
    job_version: str,
) -> Insight:
    window_end = format_rfc3339(window_end_ms)
    return make_insight(
        "trending_product",
        key=(product_id, window_end),
        occurred_at=window_end,
        job_version=job_version,
        payload={
            "product_id": product_id,
            "window_start": format_rfc3339(window_end_ms - window_minutes * 60_000),
            "window_end": window_end,
            "score": _round(trend.score, 3),
            "zscore": _round(trend.zscore, 3),
            "views": views,
            "expected_views": _round(trend.expected, 3),
            "add_to_carts": carts,
        },
    )


def conversion_drop_insight(
    *,
    window_end_ms: int,
    window_minutes: int,
    baseline_minutes: int,
    check: ConversionCheck,
    viewing_sessions: int,
    purchasing_sessions: int,
    job_version: str,
) -> Insight:
    window_end = format_rfc3339(window_end_ms)
    return make_insight(
        "conversion_drop",
        key=(window_end,),
        occurred_at=window_end,
        job_version=job_version,
        payload={
            "window_start": format_rfc3339(window_end_ms - window_minutes * 60_000),
            "window_end": window_end,
            "conversion": _round(check.conversion, 4),
            "baseline": _round(check.baseline, 4),
            "drop": _round(check.drop, 4),
            "baseline_minutes": baseline_minutes,
            "viewing_sessions": viewing_sessions,
            "purchasing_sessions": purchasing_sessions,
        },
    )


def recommendation_insight(
    *,
    user_id: str,
    session_id: str,
    trigger_event_id: str,
    trigger_event_type: str,
    trigger_product_id: str,
    occurred_at_ms: int,
    model_version_ms: int,
    recommendations: list[Neighbor],
    job_version: str,
) -> Insight:
    return make_insight(
        "product_recommendation",
        key=(user_id, trigger_event_id),
        occurred_at=format_rfc3339(occurred_at_ms),
        job_version=job_version,
        user_id=user_id,
        payload={
            "session_id": session_id,
            "trigger_product_id": trigger_product_id,
            "trigger_event_type": trigger_event_type,
            "model_version": format_rfc3339(model_version_ms),
            "recommendations": [
                {"product_id": n.product_id, "score": _round(n.score, 4)} for n in recommendations
            ],
        },
    )


def _round(value: float | None, digits: int) -> Any:
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return round(value, digits)
