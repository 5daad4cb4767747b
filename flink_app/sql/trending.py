"""`trending_product`: per-product views per slide (SQL window aggregate), then per product the trend statistic
and the *start* of each trend (the Java process table function `trend_starts`, dev.kappa.flink.trending: the
rolling sums over the trend window and the baseline, the rule of `flink_app.rules.trending`, and a slide that
trends after one that did not), so a trend yields one insight, not one per slide. `trending_insight` (Python,
once per trend) writes the insight.

`trend_starts` replaced four OVER windows per product (the first slide, the window's and the baseline's rolling
sums, the slide before for the run start), each behind its own shuffle, and a Python `is_trending` call per slide
that could trend: the same rows and insights, one keyed state access per slide (docs/flink-job.md).
"""

from __future__ import annotations

from flink_app.connectors import INSIGHTS_TABLE
from flink_app.settings import TrendingSettings
from flink_app.sql import Insert, Statements, View, minutes
from flink_app.sql.events import ON_TIME_EVENTS

PRODUCT_SLIDES = "product_slides"
TREND_STARTS_FUNCTION = "trend_starts"
"""The Java process table function (flink_app/java_functions.py) that finds the slides starting a trend."""


def trend_starts_arguments(trending: TrendingSettings) -> str:
    """The settings arguments of `trend_starts`, as SQL literals (the rule's minutes, threshold and views)."""
    return (
        f"window_minutes => CAST({trending.window_minutes} AS BIGINT),\n"
        f"  slide_minutes => CAST({trending.slide_minutes} AS BIGINT),\n"
        f"  baseline_minutes => CAST({trending.baseline_minutes} AS BIGINT),\n"
        f"  threshold => CAST({float(trending.threshold)!r} AS DOUBLE),\n"
        f"  min_views => CAST({trending.min_views} AS BIGINT),\n"
        f"  min_history_minutes => CAST({trending.min_history_minutes} AS BIGINT)"
    )


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
    insert = Insert(
        INSIGHTS_TABLE,
        f"""SELECT trending_insight(`product_id`, `slide_end_ms`, `recent`, `baseline_total`, `history_ms`,
  `recent`, `recent_carts`)
FROM {TREND_STARTS_FUNCTION}(
  input => TABLE `{PRODUCT_SLIDES}` PARTITION BY `product_id`,
  {trend_starts_arguments(trending)})""",
    )
    return Statements((slides,), (insert,))
