"""Why an event was rejected, as one short category: the `reason` dimension of `EventsRejectedByReason`.

Categories (a contract with the monitoring stack): `size`, `reserved_field`, `future_timestamp`,
`order_total`, and `schema` for everything the JSON Schema catches. An event with several problems
counts once, under the first category in that order (the most specific one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from events import FieldError

RejectionReason = Literal["size", "reserved_field", "future_timestamp", "order_total", "schema"]
REJECTION_REASONS: Final[tuple[RejectionReason, ...]] = (
    "size",
    "reserved_field",
    "future_timestamp",
    "order_total",
    "schema",
)


def rejection_reason(errors: Sequence[FieldError]) -> RejectionReason:
    """The category of a rejected event's errors (see the module docstring for the order)."""
    found = {_category(error) for error in errors}
    return next(reason for reason in REJECTION_REASONS if reason in found or reason == "schema")


def _category(error: FieldError) -> RejectionReason:
    # Matches the checks `events.EventValidator` runs beside the schema; the tests pin each wording.
    if error.path == "" and "bytes" in error.message:
        return "size"
    if error.path == "_meta" and "set by the ingestion API" in error.message:
        return "reserved_field"
    if error.path == "occurred_at" and "in the future" in error.message:
        return "future_timestamp"
    if error.path == "order.total" and "add up to" in error.message:
        return "order_total"
    return "schema"
