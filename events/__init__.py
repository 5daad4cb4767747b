"""The event and insight contracts shared by the API, Lambdas, Flink job, simulator and tests.

JSON Schemas in `events/schemas/` are the single source; this package loads them, validates against
them with plain-words errors, and builds insight envelopes. It imports neither AWS nor Flink.
"""

from events.contract import (
    EVENT_TYPES,
    INSIGHT_TYPES,
    MAX_EVENT_BYTES,
    MAX_EVENTS_PER_REQUEST,
    MAX_FUTURE_SKEW_SECONDS,
    event_schema,
    insight_schema,
)
from events.insights import make_insight, make_insight_id
from events.models import Event, Insight
from events.timefmt import format_rfc3339, parse_rfc3339, to_epoch_millis
from events.validation import EventValidator, FieldError, InsightValidator

__all__ = [
    "EVENT_TYPES",
    "INSIGHT_TYPES",
    "MAX_EVENTS_PER_REQUEST",
    "MAX_EVENT_BYTES",
    "MAX_FUTURE_SKEW_SECONDS",
    "Event",
    "EventValidator",
    "FieldError",
    "Insight",
    "InsightValidator",
    "event_schema",
    "format_rfc3339",
    "insight_schema",
    "make_insight",
    "make_insight_id",
    "parse_rfc3339",
    "to_epoch_millis",
]
