"""An independent batch computation (pandas) of per-minute metrics and session summaries from a log file.

It shares no code with the job's SQL or rules: it reads the NDJSON, dedupes by event_id, and follows the
definitions in docs/flink-job.md. The Kappa-equivalence tests require the stream job to agree exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from events import format_rfc3339

TYPES = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "checkout_started",
    "purchase",
)
STEPS = ("product_view", "add_to_cart", "checkout_started", "purchase")


def unique_events(path: Path) -> pd.DataFrame:
    records = []
    for line in path.read_text().splitlines():
        event = json.loads(line)
        product = event.get("product") or {}
        order = event.get("order") or {}
        records.append(
            {
                "event_id": event["event_id"],
                "event_type": event["event_type"],
                "occurred_at": event["occurred_at"],
                "user_id": event["user_id"],
                "session_id": event["session_id"],
                "product_id": product.get("product_id"),
                "price": product.get("price"),
                "product_currency": product.get("currency"),
                "quantity": event.get("quantity"),
                "order_total": order.get("total"),
                "order_currency": order.get("currency"),
            }
        )
    frame = pd.DataFrame.from_records(records).drop_duplicates("event_id", keep="first")
    frame["ts_ms"] = (
        pd.to_datetime(frame["occurred_at"], utc=True, format="ISO8601").astype("int64") // 1_000_000
    )
    return frame.reset_index(drop=True)


def _money(amount: float) -> int:
    return round(amount * 100)


def _revenue(purchases: pd.DataFrame) -> tuple[int, dict[str, float], dict[str, float]]:
    totals: dict[str, list[int]] = {}
    for total, currency in zip(purchases["order_total"], purchases["order_currency"], strict=True):
        totals.setdefault(currency, []).append(_money(total))
    revenue = {c: round(sum(v) / 100, 2) for c, v in sorted(totals.items())}
    average = {c: round(round(sum(v) / len(v)) / 100, 2) for c, v in sorted(totals.items())}
    return sum(len(v) for v in totals.values()), revenue, average


def metrics_by_window(events: pd.DataFrame, window_ms: int = 60_000) -> dict[str, dict[str, Any]]:
    """{window_start: payload} for every window with at least one event."""
    expected = {}
    for start, group in events.groupby(events["ts_ms"] // window_ms * window_ms):
        by_type = {t: int((group["event_type"] == t).sum()) for t in TYPES}
        funnel = {s: int(group.loc[group["event_type"] == s, "session_id"].nunique()) for s in STEPS}
        orders, revenue, average = _revenue(group[group["event_type"] == "purchase"])
        window_start = format_rfc3339(int(start))
        expected[window_start] = {
            "window_start": window_start,
            "window_end": format_rfc3339(int(start) + window_ms),
            "events": len(group),
            "events_by_type": by_type,
            "active_users": int(group["user_id"].nunique()),
            "active_sessions": int(group["session_id"].nunique()),
            "orders": orders,
            "revenue": revenue,
            "average_order_value": average,
            "funnel": funnel,
            "conversion": round(funnel["purchase"] / funnel["product_view"], 4)
            if funnel["product_view"]
            else None,
        }
    return expected


def sessions(events: pd.DataFrame, gap_minutes: int = 30) -> dict[tuple[str, str, str], dict[str, Any]]:
    """{(user, session, started_at): payload}; a silence longer than the gap starts a new session."""
    gap_ms = gap_minutes * 60_000
    expected = {}
    ordered = events.sort_values(["user_id", "session_id", "ts_ms"], kind="stable")
    for (user_id, session_id), group in ordered.groupby(["user_id", "session_id"], sort=False):
        part = (group["ts_ms"].diff() > gap_ms).cumsum()
        for _, piece in group.groupby(part):
            kind = piece["event_type"]
            adds = piece[kind == "add_to_cart"]
            orders, revenue, _ = _revenue(piece[kind == "purchase"])
            started, ended = int(piece["ts_ms"].min()), int(piece["ts_ms"].max())
            cart_cents = sum(int(q) * _money(p) for q, p in zip(adds["quantity"], adds["price"], strict=True))
            expected[(user_id, session_id, format_rfc3339(started))] = {
                "session_id": session_id,
                "started_at": format_rfc3339(started),
                "ended_at": format_rfc3339(ended),
                "duration_seconds": (ended - started) / 1000,
                "events": len(piece),
                "page_views": int((kind == "page_view").sum()),
                "product_views": int((kind == "product_view").sum()),
                "searches": int((kind == "search").sum()),
                "cart_adds": len(adds),
                "cart_value": round(cart_cents / 100, 2),
                "currency": max(adds["product_currency"]) if len(adds) else None,
                "checkouts": int((kind == "checkout_started").sum()),
                "orders": orders,
                "revenue": revenue,
                "converted": orders > 0,
            }
    return expected
