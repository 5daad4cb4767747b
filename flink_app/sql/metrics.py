"""Per-window `metrics` (Flink SQL window aggregate, one Python call per window) and duplicate counts.

`metric_windows` is also the input of the conversion-drop analysis.
"""

from __future__ import annotations

from flink_app.connectors import INSIGHTS_TABLE, SOURCE_TABLE, STATS_TABLE
from flink_app.settings import AnalyticsSettings
from flink_app.sql import Insert, Statements, View, seconds
from flink_app.sql.events import ON_TIME_EVENTS, UNIQUE_EVENTS

METRIC_WINDOWS = "metric_windows"

_TYPES = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "checkout_started",
    "purchase",
)
FUNNEL_STEPS = ("product_view", "add_to_cart", "checkout_started", "purchase")


def _count_of(event_type: str) -> str:
    return f"SUM(CASE WHEN `event_type` = '{event_type}' THEN 1 ELSE 0 END) AS `{event_type}_events`"


def _sessions_with(event_type: str) -> str:
    # FILTER, not DISTINCT over a CASE: Flink keeps one distinct map per distinct argument, so every session
    # count (active_sessions and each funnel step) shares the map of `session_id`, with a flag per filter.
    return f"COUNT(DISTINCT `session_id`) FILTER (WHERE `event_type` = '{event_type}') AS `{event_type}_sessions`"


def order_amounts_sql() -> str:
    """`currency,cents;...` for the purchases of a group (see `flink_app.rules.metrics.order_totals`)."""
    return (
        "LISTAGG(CASE WHEN `event_type` = 'purchase' THEN "
        "CONCAT(`order_currency`, ',', CAST(`order_total_cents` AS STRING)) END, ';')"
    )


def metrics_statements(analytics: AnalyticsSettings) -> Statements:
    size = seconds(analytics.metrics_window_seconds)
    size_ms = analytics.metrics_window_seconds * 1000
    counts = ",\n  ".join(_count_of(t) for t in _TYPES)
    funnel = ",\n  ".join(_sessions_with(t) for t in FUNNEL_STEPS)
    windows = View(
        METRIC_WINDOWS,
        f"""SELECT `window_start`, `window_end`, `window_time`,
  MIN(`ts_ms`) - MOD(MIN(`ts_ms`), {size_ms}) AS `window_start_ms`,
  COUNT(*) AS `events`,
  {counts},
  COUNT(DISTINCT `user_id`) AS `active_users`,
  COUNT(DISTINCT `session_id`) AS `active_sessions`,
  {funnel},
  {order_amounts_sql()} AS `order_amounts`
FROM TABLE(TUMBLE(TABLE `{ON_TIME_EVENTS}`, DESCRIPTOR(`ts`), {size}))
GROUP BY `window_start`, `window_end`, `window_time`""",
    )
    type_args = ", ".join(f"`{t}_events`" for t in _TYPES)
    funnel_args = ", ".join(f"`{t}_sessions`" for t in FUNNEL_STEPS)
    insert = Insert(
        INSIGHTS_TABLE,
        f"""SELECT metrics_insight(`window_start_ms`, `window_start_ms` + {size_ms}, {type_args},
  `active_users`, `active_sessions`, {funnel_args}, `order_amounts`)
FROM `{METRIC_WINDOWS}`""",
    )
    # Duplicates per window: raw rows minus deduplicated rows, joined on the window (both tiny streams).
    raw_counts = f"""SELECT `window_start`, `window_end`, COUNT(*) AS `raw_events`
  FROM TABLE(TUMBLE(TABLE `{SOURCE_TABLE}`, DESCRIPTOR(`ts`), {size})) GROUP BY `window_start`, `window_end`"""
    unique_counts = f"""SELECT `window_start`, `window_end`, COUNT(*) AS `unique_events`,
    MIN(`ts_ms`) - MOD(MIN(`ts_ms`), {size_ms}) AS `window_start_ms`
  FROM TABLE(TUMBLE(TABLE `{UNIQUE_EVENTS}`, DESCRIPTOR(`ts`), {size})) GROUP BY `window_start`, `window_end`"""
    stats = Insert(
        STATS_TABLE,
        f"""SELECT duplicate_stats_record(u.`window_start_ms`, {size_ms}, r.`raw_events`, u.`unique_events`)
FROM ({raw_counts}) AS r
JOIN ({unique_counts}) AS u
ON r.`window_start` = u.`window_start` AND r.`window_end` = u.`window_end`""",
    )
    return Statements((windows,), (insert, stats))
