"""`conversion_drop`: funnel conversion over the last window against its rolling baseline, from the
per-window metrics (so one row per metrics window, a single non-keyed stream). Rolling sums are SQL OVER
windows; the decision is `flink_app.rules.conversion`; `flink_app.sql.run_starts` keeps only the start of a drop
(a window that dropped after one that did not; it replaced a MATCH_RECOGNIZE of the same pattern)."""

from __future__ import annotations

from flink_app.connectors import INSIGHTS_TABLE
from flink_app.settings import AnalyticsSettings
from flink_app.sql import Insert, Statements, View, run_starts, seconds
from flink_app.sql.metrics import METRIC_WINDOWS

CONVERSION_CHECKS = "conversion_checks"


def conversion_statements(analytics: AnalyticsSettings) -> Statements:
    conversion = analytics.conversion
    size_s = analytics.metrics_window_seconds
    size_ms = size_s * 1000

    def frame(total_minutes: int) -> str:
        return f"RANGE BETWEEN {seconds(total_minutes * 60 - size_s)} PRECEDING AND CURRENT ROW"

    checks = View(
        CONVERSION_CHECKS,
        f"""SELECT `window_time`, `window_end_ms`, `recent_viewing`, `recent_purchasing`, `total_viewing`,
  `total_purchasing`, `history_ms`,
  conversion_dropped(`recent_viewing`, `recent_purchasing`, `total_viewing`, `total_purchasing`, `history_ms`)
    AS `dropped`
FROM (
  SELECT `window_time`, `window_end_ms`, `recent_viewing`, `recent_purchasing`,
    COALESCE(SUM(`viewing`) OVER b, 0) AS `total_viewing`,
    COALESCE(SUM(`purchasing`) OVER b, 0) AS `total_purchasing`,
    `window_end_ms` - COALESCE(MIN(`window_end_ms`) OVER b, 0) + {size_ms} AS `history_ms`
  FROM (
    SELECT `window_time`, `window_start_ms` + {size_ms} AS `window_end_ms`,
      `product_view_sessions` AS `viewing`, `purchase_sessions` AS `purchasing`,
      COALESCE(SUM(`product_view_sessions`) OVER w, 0) AS `recent_viewing`,
      COALESCE(SUM(`purchase_sessions`) OVER w, 0) AS `recent_purchasing`
    FROM `{METRIC_WINDOWS}`
    WINDOW w AS (ORDER BY `window_time` {frame(conversion.window_minutes)})
  )
  WINDOW b AS (ORDER BY `window_time` {frame(conversion.baseline_minutes)})
)""",
    )
    starts = run_starts(f"SELECT * FROM `{CONVERSION_CHECKS}`", flag="`dropped`", order_by="`window_time`")
    insert = Insert(
        INSIGHTS_TABLE,
        f"""SELECT conversion_drop_insight(`window_end_ms`, `recent_viewing`, `recent_purchasing`, `total_viewing`,
  `total_purchasing`, `history_ms`)
FROM ({starts})""",
    )
    return Statements((checks,), (insert,))
