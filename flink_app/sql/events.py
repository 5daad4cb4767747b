"""Deduplicated, on-time events (the input of every analysis) and the late-event side output.

* Dedupe: the first row per `event_id` (Flink's deduplication on processing time, state with TTL
  `job.dedupe.ttl_minutes` via `table.exec.state.ttl`). Duplicates carry the same content, so which copy
  survives does not change any result.
* Late: an event at or behind the current watermark (`CURRENT_WATERMARK(ts)`) can no longer be counted in
  its windows; it goes to the late side output (with a counter) instead of being dropped silently.
"""

from __future__ import annotations

from flink_app.connectors import LATE_TABLE, SOURCE_TABLE
from flink_app.sql import Insert, Statements, View, cents

UNIQUE_EVENTS = "unique_events"
ON_TIME_EVENTS = "on_time_events"
LATE_EVENTS = "late_events"

_COLUMNS = "`event_id`, `event_type`, `occurred_at`, `user_id`, `session_id`, `product`, `quantity`, `order`, `ts_ms`, `ts`"
# What the analyses read: nested fields flattened once, money as integer cents (exact, order-independent sums).
_FLAT_COLUMNS = f"""`event_id`, `event_type`, `occurred_at`, `user_id`, `session_id`,
  `product`.`product_id` AS `product_id`,
  {cents("`product`.`price`")} AS `price_cents`,
  `product`.`currency` AS `product_currency`,
  `quantity`,
  {cents("`order`.`total`")} AS `order_total_cents`,
  `order`.`currency` AS `order_currency`,
  `order`.`items` AS `order_items`,
  `ts_ms`, `ts`"""


def event_statements() -> Statements:
    unique = View(
        UNIQUE_EVENTS,
        f"""SELECT {_COLUMNS} FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY `event_id` ORDER BY `proc_time` ASC) AS `copy_number`
  FROM `{SOURCE_TABLE}`
) WHERE `copy_number` = 1""",
    )
    on_time = View(
        ON_TIME_EVENTS,
        f"""SELECT {_FLAT_COLUMNS} FROM `{UNIQUE_EVENTS}`
WHERE CURRENT_WATERMARK(`ts`) IS NULL OR `ts` > CURRENT_WATERMARK(`ts`)""",
    )
    late = View(
        LATE_EVENTS,
        f"""SELECT {_COLUMNS}, CURRENT_WATERMARK(`ts`) AS `watermark` FROM `{UNIQUE_EVENTS}`
WHERE CURRENT_WATERMARK(`ts`) IS NOT NULL AND `ts` <= CURRENT_WATERMARK(`ts`)""",
    )
    late_output = Insert(
        LATE_TABLE,
        f"""SELECT late_event_record(`event_id`, `event_type`, `occurred_at`, `user_id`, `session_id`,
  `ts_ms`, DATE_FORMAT(`watermark`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''))
FROM `{LATE_EVENTS}`""",
    )
    return Statements((unique, on_time, late), (late_output,))
