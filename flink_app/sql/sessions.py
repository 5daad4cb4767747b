"""`session_summary`: the sessions of each (user_id, session_id) with the configured gap, one Java call per
session.

The sessions are the `session` rows of the per-shopper Java process table function `shopper_activity`
(dev.kappa.flink.ShopperActivity, its view `shopper_activity_rows` registered by `flink_app/sql/carts.py`): one
keyed operator per user_id that reads every on-time event and keeps, besides the cart windows and
recommendation triggers, each session id's open sessions and their aggregates, with Flink's session window
semantics per (user_id, session_id) (events within the gap, inclusive, merge; a session is emitted when the
watermark passes its last event + gap). A session belongs to one shopper in every log, so per user_id these are
the sessions per (user_id, session_id). The rule is `dev.kappa.flink.sessions` (`SessionWindows`, `Session`,
per shopper `ShopperSessions`); it replaced Flink SQL's group-window SESSION (`GROUP BY user_id, session_id,
SESSION(ts, gap)`), then a PTF of its own, `session_summaries`, partitioned by (user_id, session_id) behind its
own keyed exchange (issue 15, docs/flink-job.md). The rows have the columns that window's aggregates had.

Leaving this analysis out (the benchmark's `without`) drops only its INSERT: the shopper function still runs
for the cart windows and triggers, and still computes the session rows, which nothing then reads.

`session_insight` is the Java scalar function `dev.kappa.flink.insights.SessionInsightFunction`
(flink_app/java_functions.py), byte for byte the Python reference `flink_app.rules.insights.session_insight`; the
job version is its first argument, an SQL string literal.
"""

from __future__ import annotations

from flink_app.connectors import INSIGHTS_TABLE
from flink_app.settings import AnalyticsSettings
from flink_app.sql import Insert, Statements, View, string_literal
from flink_app.sql.carts import SHOPPER_ACTIVITY

SESSION_WINDOWS = "session_windows"
SESSION_KIND = "session"
"""The `kind` of `shopper_activity`'s session rows (dev.kappa.flink.ShopperActivity.SESSION)."""
SESSION_INSIGHT_FUNCTION = "session_insight"
"""SQL name of the Java function that writes the insight (flink_app/java_functions.py)."""

_SESSION_COLUMNS = (
    "`started_at_ms`, `ended_at_ms`, `events`, `page_views`, `product_views`, `searches`, `cart_adds`, "
    "`cart_value_cents`, `cart_currency`, `checkouts`, `order_amounts`"
)


def session_statements(analytics: AnalyticsSettings, *, job_version: str) -> Statements:
    """The session rows of `shopper_activity` (whose call, in flink_app/sql/carts.py, passes
    `analytics.session_gap_minutes` as `session_gap_ms`) and the insight of each."""
    windows = View(
        SESSION_WINDOWS,
        f"""SELECT `user_id`, `session_id`, {_SESSION_COLUMNS}
FROM `{SHOPPER_ACTIVITY}`
WHERE `kind` = '{SESSION_KIND}'""",
    )
    insert = Insert(
        INSIGHTS_TABLE,
        f"""SELECT {SESSION_INSIGHT_FUNCTION}({string_literal(job_version)}, `user_id`, `session_id`, {_SESSION_COLUMNS})
FROM `{SESSION_WINDOWS}`""",
    )
    return Statements((windows,), (insert,))
