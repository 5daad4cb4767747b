"""`trending_product`: per-product activity per slide (SQL), rolling sums over the trend window and the
baseline (SQL OVER windows), the statistic (Python, `flink_app.rules.trending`, one call per active
product and slide), and the *start* of each trend via MATCH_RECOGNIZE (a not-trending slide followed by a
trending one), so a trend yields one insight, not one per slide.
"""

from __future__ import annotations

from flink_app.connectors import INSIGHTS_TABLE
from flink_app.rules.trending import CART_WEIGHT, PURCHASE_WEIGHT, VIEW_WEIGHT
from flink_app.settings import TrendingSettings
from flink_app.sql import Insert, Statements, View, minutes
from flink_app.sql.events import ON_TIME_EVENTS

PRODUCT_ACTIVITY = "product_activity"
PRODUCT_SLIDES = "product_slides"
PRODUCT_RECENT = "product_recent"
PRODUCT_TRENDS = "product_trends"


def _preceding(total_minutes: int, slide_minutes: int) -> str:
    """A RANGE frame covering `total_minutes` of slides ending with the current one."""
    return f"RANGE BETWEEN {minutes(total_minutes - slide_minutes)} PRECEDING AND CURRENT ROW"


def trending_statements(trending: TrendingSettings) -> Statements:
    slide_ms = trending.slide_minutes * 60_000
    activity = View(
        PRODUCT_ACTIVITY,
        f"""SELECT `product_id`, `ts_ms`, `ts`,
  CASE WHEN `event_type` = 'product_view' THEN 1 ELSE 0 END AS `views`,
  CASE WHEN `event_type` = 'add_to_cart' THEN 1 ELSE 0 END AS `carts`,
  0 AS `units`
FROM `{ON_TIME_EVENTS}` WHERE `event_type` IN ('product_view', 'add_to_cart')
UNION ALL
SELECT i.`product_id`, `ts_ms`, `ts`, 0, 0, i.`quantity`
FROM `{ON_TIME_EVENTS}` CROSS JOIN UNNEST(`order_items`) AS i (`product_id`, `quantity`, `price`)
WHERE `event_type` = 'purchase'""",
    )
    slides = View(
        PRODUCT_SLIDES,
        f"""SELECT `product_id`, `window_time`,
  MIN(`ts_ms`) - MOD(MIN(`ts_ms`), {slide_ms}) + {slide_ms} AS `slide_end_ms`,
  SUM(`views`) AS `views`, SUM(`carts`) AS `carts`, SUM(`units`) AS `units`,
  SUM(`views`) * {VIEW_WEIGHT} + SUM(`carts`) * {CART_WEIGHT} + SUM(`units`) * {PURCHASE_WEIGHT} AS `activity`
FROM TABLE(TUMBLE(TABLE `{PRODUCT_ACTIVITY}`, DESCRIPTOR(`ts`), {minutes(trending.slide_minutes)}))
GROUP BY `window_start`, `window_end`, `window_time`, `product_id`""",
    )
    recent = View(
        PRODUCT_RECENT,
        f"""SELECT `product_id`, `window_time`, `slide_end_ms`, `activity`,
  COALESCE(SUM(`activity`) OVER w, 0) AS `recent`,
  COALESCE(SUM(`views`) OVER w, 0) AS `recent_views`,
  COALESCE(SUM(`carts`) OVER w, 0) AS `recent_carts`,
  COALESCE(SUM(`units`) OVER w, 0) AS `recent_units`
FROM `{PRODUCT_SLIDES}`
WINDOW w AS (PARTITION BY `product_id` ORDER BY `window_time`
  {_preceding(trending.window_minutes, trending.slide_minutes)})""",
    )
    trends = View(
        PRODUCT_TRENDS,
        f"""SELECT `product_id`, `window_time`, `slide_end_ms`, `recent`, `recent_views`, `recent_carts`,
  `recent_units`, `baseline_total`, `history_ms`,
  is_trending(`recent`, `baseline_total`, `history_ms`) AS `trending`
FROM (
  SELECT `product_id`, `window_time`, `slide_end_ms`, `recent`, `recent_views`, `recent_carts`, `recent_units`,
    COALESCE(SUM(`activity`) OVER b, 0) AS `baseline_total`,
    `slide_end_ms` - COALESCE(MIN(`slide_end_ms`) OVER b, 0) + {slide_ms} AS `history_ms`
  FROM `{PRODUCT_RECENT}`
  WINDOW b AS (PARTITION BY `product_id` ORDER BY `window_time`
    {_preceding(trending.baseline_minutes, trending.slide_minutes)})
)""",
    )
    insert = Insert(
        INSIGHTS_TABLE,
        f"""SELECT trending_insight(`product_id`, `window_end_ms`, `recent`, `baseline_total`, `history_ms`,
  `views`, `carts`, `units`)
FROM `{PRODUCT_TRENDS}`
MATCH_RECOGNIZE (
  PARTITION BY `product_id`
  ORDER BY `window_time`
  MEASURES
    T.`slide_end_ms` AS `window_end_ms`,
    T.`recent` AS `recent`,
    T.`baseline_total` AS `baseline_total`,
    T.`history_ms` AS `history_ms`,
    T.`recent_views` AS `views`,
    T.`recent_carts` AS `carts`,
    T.`recent_units` AS `units`
  ONE ROW PER MATCH
  AFTER MATCH SKIP TO LAST T
  PATTERN (N T)
  DEFINE N AS NOT N.`trending`, T AS T.`trending`
)""",
    )
    return Statements((activity, slides, recent, trends), (insert,))
