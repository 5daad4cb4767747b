"""`cart_abandoned`: a session window per user over cart changes with gap = abandon_after.

Why a session window is exactly the contract: it closes (on an event-time timer, when the watermark passes
the last change + abandon_after) precisely when no cart change or purchase followed within abandon_after;
an abandoned cart resets to empty, so each window starts with an empty cart. The window hands its changes to
Python as compact lines; `flink_app.rules.abandonment` replays them in event-time order and decides. Python
sees one row per cart window, not one per event. `cart_windows` also lists the products carted together,
one input of the recommendation model.

Python is only called for windows that can end with a non-empty cart: some add_to_cart at or after the
window's last purchase (a purchase empties the cart, and within one window nothing is abandoned before its
end, since every change follows the previous one within abandon_after). That is a necessary condition of the
rule, so the result is the same; it spares the Python call (and the replay of the window's changes) for
every cart that was bought.
"""

from __future__ import annotations

from flink_app.connectors import INSIGHTS_TABLE
from flink_app.settings import AnalyticsSettings
from flink_app.sql import Insert, Statements, View, minutes
from flink_app.sql.events import ON_TIME_EVENTS

CART_CHANGES = "cart_changes"
CART_WINDOWS = "cart_windows"


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


def cart_statements(analytics: AnalyticsSettings) -> Statements:
    gap = minutes(analytics.abandon_after_minutes)
    changes = View(
        CART_CHANGES,
        f"""SELECT `user_id`, `ts`, `ts_ms`, `event_type`, `product_id`, {cart_change_line_sql()} AS `line`
FROM `{ON_TIME_EVENTS}`
WHERE `event_type` IN ('add_to_cart', 'remove_from_cart', 'purchase')""",
    )
    windows = View(
        CART_WINDOWS,
        f"""SELECT `user_id`, SESSION_ROWTIME(`ts`, {gap}) AS `window_time`, MAX(`ts_ms`) AS `last_change_ms`,
  LISTAGG(`line`, ';') AS `changes`,
  LISTAGG(DISTINCT CASE WHEN `event_type` = 'add_to_cart' THEN `product_id` END, ';') AS `carted`,
  MAX(CASE WHEN `event_type` = 'add_to_cart' THEN `ts_ms` END) AS `last_add_ms`,
  MAX(CASE WHEN `event_type` = 'purchase' THEN `ts_ms` END) AS `last_purchase_ms`
FROM `{CART_CHANGES}`
GROUP BY `user_id`, SESSION(`ts`, {gap})""",
    )
    insert = Insert(
        INSIGHTS_TABLE,
        f"""SELECT a.`insight` FROM `{CART_WINDOWS}` AS w,
LATERAL TABLE(abandoned_cart_insights(w.`user_id`, w.`changes`)) AS a(`insight`)
WHERE w.`last_add_ms` IS NOT NULL AND (w.`last_purchase_ms` IS NULL OR w.`last_add_ms` >= w.`last_purchase_ms`)""",
    )
    return Statements((changes, windows), (insert,))
