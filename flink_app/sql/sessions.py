"""`session_summary`: the sessions of each (user_id, session_id) with the configured gap, one Java call per
session.

The sessions come from the Java process table function `session_summaries`
(flink_app/src/main/java/dev/kappa/flink/sessions): one keyed operator holding each key's open sessions and
their aggregates, with Flink's session window semantics (events within the gap, inclusive, merge; a session is
emitted when the watermark passes its last event + gap). It replaced Flink SQL's group-window SESSION
(`GROUP BY user_id, session_id, SESSION(ts, gap)`), whose merging window set and per-event timer changes cost
most of this analysis's CPU (issue 15, docs/flink-job.md). The function emits the columns that window's
aggregates had. `session_insight` is the Java scalar function `dev.kappa.flink.insights.SessionInsightFunction`
(flink_app/java_functions.py), byte for byte the Python reference `flink_app.rules.insights.session_insight`; the
job version is its first argument, an SQL string literal.
"""

from __future__ import annotations

from flink_app.connectors import INSIGHTS_TABLE
from flink_app.settings import AnalyticsSettings
from flink_app.sql import Insert, Statements, View, string_literal
from flink_app.sql.events import ON_TIME_EVENTS

SESSION_EVENTS = "session_events"
SESSION_WINDOWS = "session_windows"
SESSION_SUMMARIES_FUNCTION = "session_summaries"
"""SQL name of the Java function (flink_app/java_functions.py)."""
SESSION_INSIGHT_FUNCTION = "session_insight"
"""SQL name of the Java function that writes the insight (flink_app/java_functions.py)."""

_SESSION_COLUMNS = (
    "`started_at_ms`, `ended_at_ms`, `events`, `page_views`, `product_views`, `searches`, `cart_adds`, "
    "`cart_value_cents`, `cart_currency`, `checkouts`, `order_amounts`"
)


def session_statements(analytics: AnalyticsSettings, *, job_version: str) -> Statements:
    # Only what the function reads: every column of the table argument is converted for each call.
    events = View(
        SESSION_EVENTS,
        f"""SELECT `user_id`, `session_id`, `event_type`, `quantity`, `price_cents`, `product_currency`,
  `order_currency`, `order_total_cents`, `ts`
FROM `{ON_TIME_EVENTS}`""",
    )
    windows = View(
        SESSION_WINDOWS,
        f"""SELECT `user_id`, `session_id`, {_SESSION_COLUMNS}
FROM {SESSION_SUMMARIES_FUNCTION}(
  input => TABLE `{SESSION_EVENTS}` PARTITION BY (`user_id`, `session_id`),
  on_time => DESCRIPTOR(`ts`),
  gap_ms => CAST({analytics.session_gap_minutes * 60_000} AS BIGINT))""",
    )
    insert = Insert(
        INSIGHTS_TABLE,
        f"""SELECT {SESSION_INSIGHT_FUNCTION}({string_literal(job_version)}, `user_id`, `session_id`, {_SESSION_COLUMNS})
FROM `{SESSION_WINDOWS}`""",
    )
    return Statements((events, windows), (insert,))
