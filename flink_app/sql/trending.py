"""`trending_product`: per-product views per slide (SQL), rolling sums over the trend window and the
baseline (SQL OVER windows), the statistic (Python, `flink_app.rules.trending`, one call per active
product and slide), and the *start* of each trend (a not-trending slide followed by a trending one,
`flink_app.sql.run_starts`: an OVER window over each slide and the one before it, which replaced a
MATCH_RECOGNIZE of the same pattern), so a trend yields one insight, not one per slide.
"""

from __future__ import annotations

from flink_app.connectors import INSIGHTS_TABLE
from flink_app.settings import TrendingSettings
from flink_app.sql import Insert, Statements, View, minutes, run_starts
from flink_app.sql.events import ON_TIME_EVENTS

PRODUCT_SLIDES = "product_slides"
PRODUCT_RECENT = "product_recent"
PRODUCT_TRENDS = "product_trends"


def _preceding(total_minutes: int, slide_minutes: int) -> str:
    """A RANGE frame covering `total_minutes` of slides ending with the current one."""
    return f"RANGE BETWEEN {minutes(total_minutes - slide_minutes)} PRECEDING AND CURRENT ROW"


def trending_statements(trending: TrendingSettings) -> Statements:
    slide_ms = trending.slide_minutes * 60_000
    slides = View(
        PRODUCT_SLIDES,
        f"""SELECT `product_id`, `window_time`,
  MIN(`ts_ms`) - MOD(MIN(`ts_ms`), {slide_ms}) + {slide_ms} AS `slide_end_ms`,
  SUM(CASE WHEN `event_type` = 'product_view' THEN 1 ELSE 0 END) AS `views`,
  SUM(CASE WHEN `event_type` = 'add_to_cart' THEN 1 ELSE 0 END) AS `carts`
FROM TABLE(TUMBLE(TABLE `{ON_TIME_EVENTS}`, DESCRIPTOR(`ts`), {minutes(trending.slide_minutes)}))
WHERE `event_type` IN ('product_view', 'add_to_cart')
GROUP BY `window_start`, `window_end`, `window_time`, `product_id`""",
    )
    recent = View(
        PRODUCT_RECENT,
        f"""SELECT `product_id`, `window_time`, `slide_end_ms`, `first_slide_end_ms`, `views`,
  COALESCE(SUM(`views`) OVER w, 0) AS `recent`,
  COALESCE(SUM(`carts`) OVER w, 0) AS `recent_carts`
FROM (
  SELECT `product_id`, `window_time`, `slide_end_ms`, `views`, `carts`,
    COALESCE(MIN(`slide_end_ms`) OVER (PARTITION BY `product_id` ORDER BY `window_time`
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), 0) AS `first_slide_end_ms`
  FROM `{PRODUCT_SLIDES}`
)
WINDOW w AS (PARTITION BY `product_id` ORDER BY `window_time`
  {_preceding(trending.window_minutes, trending.slide_minutes)})""",
    )
    # Python decides only for rows that can trend at all (a necessary condition of the rule, so results
    # are the same); the others are "not trending" in SQL. Both halves feed the same run_starts.
    scored = f"""SELECT `product_id`, `window_time`, `slide_end_ms`, `recent`, `recent_carts`,
    COALESCE(SUM(`views`) OVER b, 0) AS `baseline_total`,
    `slide_end_ms` - `first_slide_end_ms` + {slide_ms} AS `history_ms`
  FROM `{PRODUCT_RECENT}`
  WINDOW b AS (PARTITION BY `product_id` ORDER BY `window_time`
    {_preceding(trending.baseline_minutes, trending.slide_minutes)})"""
    can_trend = f"`recent` >= {trending.min_views} AND `history_ms` >= {max(trending.min_history_minutes, trending.window_minutes) * 60_000}"
    columns = "`product_id`, `window_time`, `slide_end_ms`, `recent`, `recent_carts`, `baseline_total`, `history_ms`"
    trends = View(
        PRODUCT_TRENDS,
        f"""SELECT {columns}, is_trending(`recent`, `baseline_total`, `history_ms`) AS `trending`
FROM ({scored}) WHERE {can_trend}
UNION ALL
SELECT {columns}, FALSE AS `trending`
FROM ({scored}) WHERE NOT ({can_trend})""",
    )
    starts = run_starts(
        f"SELECT * FROM `{PRODUCT_TRENDS}`",
        flag="`trending`",
        order_by="`window_time`",
        partition_by="`product_id`",
    )
    insert = Insert(
        INSIGHTS_TABLE,
        f"""SELECT trending_insight(`product_id`, `slide_end_ms`, `recent`, `baseline_total`, `history_ms`,
  `recent`, `recent_carts`)
FROM ({starts})""",
    )
    return Statements((slides, recent, trends), (insert,))
