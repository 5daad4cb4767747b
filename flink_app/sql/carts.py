"""`cart_abandoned`: a session window per user over cart changes with gap = abandon_after.

Why a session window is exactly the contract: it closes (on an event-time timer, when the watermark passes
the last change + abandon_after) precisely when no cart change or purchase followed within abandon_after;
an abandoned cart resets to empty, so each window starts with an empty cart. The window hands its changes as
compact lines (`flink_app/rules/lines.py`) to the Java table function `abandoned_cart_insights`
(`dev.kappa.flink.insights.AbandonedCartInsightsFunction`), which replays them in event-time order, decides and
writes the insights, byte for byte what the Python reference (`flink_app.rules.abandonment.abandoned_carts` and
`rules.insights.abandoned_cart_insight`, the UDF the job called before) writes; its settings (the job version,
abandon_after in minutes) are SQL literals. One call per cart window, not one per event. `cart_windows` also
lists the products carted together, one input of the recommendation model.

The window is computed, with Flink's session-window semantics, by the `shopper_activity` Java process table
function (dev.kappa.flink.ShopperActivity, one keyed operator per user_id), which also emits the
recommendation triggers with their cart history (`flink_app/sql/recommendations.py`); docs/flink-job.md
("Per-shopper operator") says which Flink operators it reproduces and why the output is the same.

The insight function is only called for windows that can end with a non-empty cart: some add_to_cart at or
after the window's last purchase (a purchase empties the cart, and within one window nothing is abandoned before its
end, since every change follows the previous one within abandon_after). That is a necessary condition of the
rule, so the result is the same; it spares the call (and the replay of the window's changes) for every cart
that was bought.
"""

from __future__ import annotations

from flink_app.connectors import INSIGHTS_TABLE
from flink_app.settings import AnalyticsSettings
from flink_app.sql import Insert, Statements, View, string_literal
from flink_app.sql.events import ON_TIME_EVENTS

SHOPPER_INPUTS = "shopper_inputs"
SHOPPER_ACTIVITY = "shopper_activity_rows"
CART_WINDOWS = "cart_windows"

ABANDONED_CART_INSIGHTS_FUNCTION = "abandoned_cart_insights"
"""The Java table function (flink_app/java_functions.py) that writes the cart_abandoned insights of a cart window."""

VIEW_TRIGGERS = "product_view"
"""The event type that, besides cart changes, goes into `shopper_activity` when views trigger recommendations."""


def cart_change_line_sql() -> str:
    """`at_ms,kind,event_id,session_id,product_id,quantity,price_cents,currency` (see rules/lines.py)."""
    return """CONCAT_WS(',',
    CAST(`ts_ms` AS STRING),
    CASE `event_type` WHEN 'add_to_cart' THEN 'a' WHEN 'remove_from_cart' THEN 'r' ELSE 'p' END,
    `event_id`,
    `session_id`,
    COALESCE(`product_id`, ''),
    CAST(COALESCE(`quantity`, 0) AS STRING),
    CAST(COALESCE(`price_cents`, 0) AS STRING),
    COALESCE(`product_currency`, `order_currency`, ''))"""


def shopper_activity_views(analytics: AnalyticsSettings, *, state_ttl_minutes: int) -> tuple[View, View]:
    """The `shopper_activity` Java PTF (dev.kappa.flink.ShopperActivity) over each shopper's cart changes
    (and product views when views trigger recommendations): cart windows and recommendation triggers.
    `state_ttl_minutes` is the job's `table.exec.state.ttl` (`job.dedupe.ttl_minutes`): how long, in processing
    time, a viewed session stays marked after its last view (as the first-view OVER window's state did)."""
    rec = analytics.recommendation
    event_types = ["add_to_cart", "remove_from_cart", "purchase"]
    if rec.view_triggers == "first_in_session":
        event_types.append(VIEW_TRIGGERS)
    listed = ", ".join(f"'{event_type}'" for event_type in event_types)
    inputs = View(
        SHOPPER_INPUTS,
        f"""SELECT `user_id`, `session_id`, `event_id`, `event_type`, `product_id`, `ts`,
  CASE WHEN `event_type` = '{VIEW_TRIGGERS}' THEN CAST(NULL AS STRING) ELSE {cart_change_line_sql()} END AS `line`
FROM `{ON_TIME_EVENTS}`
WHERE `event_type` IN ({listed})""",
    )
    activity = View(
        SHOPPER_ACTIVITY,
        f"""SELECT * FROM shopper_activity(
  input => TABLE `{SHOPPER_INPUTS}` PARTITION BY `user_id`,
  on_time => DESCRIPTOR(`ts`),
  abandon_after_ms => CAST({analytics.abandon_after_minutes * 60_000} AS BIGINT),
  cart_history_ms => CAST({rec.cart_history_minutes * 60_000} AS BIGINT),
  viewed_ttl_ms => CAST({state_ttl_minutes * 60_000} AS BIGINT))""",
    )
    return inputs, activity


def abandoned_cart_options(analytics: AnalyticsSettings, *, job_version: str) -> str:
    """The settings arguments of `abandoned_cart_insights`, as SQL literals: job_version, abandon_after_minutes
    (an INT: the payload carries the minutes, the rule their milliseconds)."""
    return f"{string_literal(job_version)}, {analytics.abandon_after_minutes}"


def cart_statements(analytics: AnalyticsSettings, *, job_version: str, state_ttl_minutes: int) -> Statements:
    windows = View(
        CART_WINDOWS,
        f"""SELECT `user_id`, `rowtime` AS `window_time`, `last_change_ms`, `changes`, `carted`, `last_add_ms`,
  `last_purchase_ms`
FROM `{SHOPPER_ACTIVITY}`
WHERE `kind` = 'window'""",
    )
    insert = Insert(
        INSIGHTS_TABLE,
        f"""SELECT a.`insight` FROM `{CART_WINDOWS}` AS w,
LATERAL TABLE({ABANDONED_CART_INSIGHTS_FUNCTION}({abandoned_cart_options(analytics, job_version=job_version)},
  w.`user_id`, w.`changes`)) AS a(`insight`)
WHERE w.`last_add_ms` IS NOT NULL AND (w.`last_purchase_ms` IS NULL OR w.`last_add_ms` >= w.`last_purchase_ms`)""",
    )
    return Statements(
        (*shopper_activity_views(analytics, state_ttl_minutes=state_ttl_minutes), windows), (insert,)
    )
