"""`product_recommendation`: an item-to-item affinity model in the JVM, looked up per trigger.

Model (all JVM, rebuilt every `update_minutes` of event time; 1 in SQL, 2 and 3 in the Java process table
function `affinity_versions`, which reproduces the TUMBLE → HOP → window Top-N views it replaced digit for digit,
see docs/flink-job.md):
1. co-occurrence pairs: products bought in the same order (`copurchase_weight`) and products added to the
   same cart (`cocart_weight`: a user's cart window, bought or abandoned). Co-views are not used: pairing
   views needs a DISTINCT aggregate over half of all events, which measured slower than everything else in a
   session window, while carts and orders already carry the affinity;
2. summed per pair and update slice, then per version (the slices of the last `horizon_minutes`, every
   `update_minutes`), each slice weighted 2^-(age / half_life): exponential decay, exact decimal sums so the
   result does not depend on summation order;
3. the best neighbors per product, listed as one `neighbors` row per product and version:
   the version built at the end of update slice k serves triggers in slice k+1.

Triggers are add_to_cart events and the first product view of each session (in event time). Every further
view would be a trigger too in an ideal world, but views are half of all events: each would cross the
model lookup and an insight function call (a Python call when this was decided, where it measured as the most
expensive path of the job; Java now), and a recommendation per view is more than shoppers need; a session's
first view plus every cart add still greets each shopper. Each trigger
carries the shopper's recent cart changes (a RANGE frame per user in the `shopper_activity` PTF, see
`flink_app/sql/carts.py`) and is joined with the model version of its update slice by the Java process table
function `model_lookup` (`dev.kappa.flink.affinity.ModelLookup`: both tables partitioned by product, one point
lookup per trigger, a trigger ahead of its version waits for it until the watermark reaches the version's time).
It has the matches of the event-time interval join it replaced (`t.ts > m.version_time AND t.ts <=
m.version_time + update`: deterministic whatever the arrival order, state bounded by the watermark), which on
RocksDB iterated its state maps for every row. The Java table
function `recommendation_insights` (`dev.kappa.flink.insights.RecommendationInsightsFunction`) then drops what is
in the cart and keeps the top K, byte for byte as the Python reference (`flink_app.rules.recommendations`, the
cart replay of `rules.abandonment`) would; its settings and the job version are SQL literals.
"""

from __future__ import annotations

from flink_app.connectors import INSIGHTS_TABLE
from flink_app.settings import AnalyticsSettings, RecommendationSettings
from flink_app.sql import Insert, Statements, View, string_literal
from flink_app.sql.carts import CART_WINDOWS, SHOPPER_ACTIVITY
from flink_app.sql.events import ON_TIME_EVENTS

AFFINITY_PAIRS = "affinity_pairs"
AFFINITY_MODEL = "affinity_model"
AFFINITY_MODEL_FUNCTION = "affinity_versions"
"""The Java process table function (flink_app/java_functions.py) that builds the view `affinity_model`."""
RECOMMENDATION_TRIGGERS = "recommendation_triggers"
MODEL_VERSIONS = "model_versions"
MODEL_LOOKUP_FUNCTION = "model_lookup"
"""The Java process table function (flink_app/java_functions.py) joining each trigger with its slice's version."""
RECOMMENDATION_INSIGHTS_FUNCTION = "recommendation_insights"
"""The Java table function (flink_app/java_functions.py) that writes the insights of a trigger and model version."""

_ITEMS = "(`product_id`, `quantity`, `price`)"


def _decimal(value: float) -> str:
    return f"CAST({value!r} AS DECIMAL(12, 4))"


def candidate_count(top_k: int) -> int:
    """Neighbors kept per product version: enough to still fill top K after removing cart items."""
    return top_k + 5


def affinity_model_sql(rec: RecommendationSettings) -> str:
    """One row per product and model version: `product_id`, `version_time` (the version's end - 1 ms, a rowtime),
    `version_ms` (its end), `neighbors` (`b,score;...`). The Java process table function `affinity_versions`
    (`dev.kappa.flink.affinity.AffinityModelFunction`) keeps each product's per-slice sums and emits each version
    on an event-time timer, with the digits of the TUMBLE → HOP → window Top-N views it replaced (docs/flink-job.md).
    """
    return f"""SELECT `a` AS `product_id`, `rowtime` AS `version_time`, `version_ms`, `neighbors`
FROM {AFFINITY_MODEL_FUNCTION}(input => TABLE `{AFFINITY_PAIRS}` PARTITION BY `a`, on_time => DESCRIPTOR(`at`),
  update_minutes => {rec.update_minutes}, horizon_minutes => {rec.horizon_minutes},
  half_life_minutes => {rec.half_life_minutes}, min_support => CAST({rec.min_support!r} AS DECIMAL(20, 6)),
  candidates => {candidate_count(rec.top_k)})"""


def recommendation_options(analytics: AnalyticsSettings, *, job_version: str) -> str:
    """The settings arguments of `recommendation_insights`, as SQL literals: job_version, top_k, min_support
    (the DOUBLE Python's float is: repr reads back to the same double), half_life_ms, abandon_after_ms."""
    rec = analytics.recommendation
    return (
        f"{string_literal(job_version)}, {rec.top_k}, CAST({float(rec.min_support)!r} AS DOUBLE), "
        f"CAST({rec.half_life_minutes * 60_000} AS BIGINT), CAST({analytics.abandon_after_minutes * 60_000} AS BIGINT)"
    )


def recommendation_statements(analytics: AnalyticsSettings, *, job_version: str) -> Statements:
    rec = analytics.recommendation
    after_ms = analytics.abandon_after_minutes * 60_000
    branches = []
    if rec.copurchase_weight > 0:
        branches.append(
            f"""SELECT a.`product_id` AS `a`, b.`product_id` AS `b`, {_decimal(rec.copurchase_weight)} AS `weight`,
  `ts_ms` AS `at_ms`, `ts` AS `at`
FROM `{ON_TIME_EVENTS}`
CROSS JOIN UNNEST(`order_items`) AS a {_ITEMS}
CROSS JOIN UNNEST(`order_items`) AS b {_ITEMS}
WHERE `event_type` = 'purchase' AND a.`product_id` <> b.`product_id`"""
        )
    if rec.cocart_weight > 0:
        # Cart windows close abandon_after after their last change; their products were carted together.
        branches.append(
            f"""SELECT a.`p` AS `a`, b.`p` AS `b`, {_decimal(rec.cocart_weight)} AS `weight`,
  `last_change_ms` + {after_ms} - 1 AS `at_ms`, `window_time` AS `at`
FROM `{CART_WINDOWS}`
CROSS JOIN UNNEST(SPLIT(`carted`, ';')) AS a (`p`)
CROSS JOIN UNNEST(SPLIT(`carted`, ';')) AS b (`p`)
WHERE `carted` LIKE '%;%' AND a.`p` <> b.`p`"""
        )
    update_ms = f"CAST({rec.update_minutes * 60_000} AS BIGINT)"
    pairs = View(AFFINITY_PAIRS, "\nUNION ALL\n".join(branches))
    model = View(AFFINITY_MODEL, affinity_model_sql(rec))
    # The model's rows with their rowtime named as the triggers' (model_lookup's one on_time column).
    versions = View(
        MODEL_VERSIONS,
        f"""SELECT `product_id`, `version_time` AS `ts`, `version_ms`, `neighbors`, {update_ms} AS `update_ms`
FROM `{AFFINITY_MODEL}`""",
    )
    views: list[View] = [pairs, model, versions]
    # Triggers and their cart history come from the shopper_activity PTF (see flink_app/sql/carts.py).
    views.append(
        View(
            RECOMMENDATION_TRIGGERS,
            f"""SELECT `user_id`, `session_id`, `event_id`, `event_type`,
  CASE WHEN `event_type` = 'add_to_cart' THEN COALESCE(`product_id`, '') ELSE `product_id` END AS `product_id`,
  `ts_ms`, `rowtime` AS `ts`, `cart_history`, {update_ms} AS `update_ms`
FROM `{SHOPPER_ACTIVITY}`
WHERE `kind` = 'trigger'""",
        )
    )
    insert = Insert(
        INSIGHTS_TABLE,
        f"""SELECT r.`insight`
FROM {MODEL_LOOKUP_FUNCTION}(
  triggers => TABLE `{RECOMMENDATION_TRIGGERS}` PARTITION BY `product_id`,
  model => TABLE `{MODEL_VERSIONS}` PARTITION BY `product_id`,
  on_time => DESCRIPTOR(`ts`)) AS j,
LATERAL TABLE({RECOMMENDATION_INSIGHTS_FUNCTION}({recommendation_options(analytics, job_version=job_version)},
  j.`user_id`, j.`session_id`, j.`event_id`, j.`event_type`, j.`product_id`, j.`ts_ms`, j.`cart_history`,
  j.`neighbors`, j.`version_ms`)) AS r(`insight`)""",
    )
    return Statements(tuple(views), (insert,))
