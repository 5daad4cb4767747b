"""The one validator everybody uses: an event (or insight) in, *all* its problems out as `{path, message}`.

The JSON Schema does the structural work (compiled once by jsonschema-rs, a Rust validator that reports
every error); the checks a schema cannot express (timestamps in the future, order totals, size) run beside
it. Messages are plain words a producer can act on, e.g.::

    >>> validator = EventValidator()
    >>> validator.validate({"event_type": "search"})[0]
    FieldError(path='event_id', message='is required')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jsonschema_rs
import orjson

from events.contract import (
    MAX_EVENT_BYTES,
    MAX_FUTURE_SKEW_SECONDS,
    TOTAL_TOLERANCE,
    event_schema,
    insight_schema,
)
from events.timefmt import parse_rfc3339, utc_now

# Plain-words explanations of the schema's patterns, keyed by the pattern itself.
_PATTERN_HINTS = {
    "^[A-Za-z0-9_.:-]+$": "may only contain letters, digits and _ . : -",
    "^[A-Za-z0-9_.:@|-]+$": "may only contain letters, digits and _ . : @ | -",
    "^[A-Z]{3}$": "must be a 3-letter upper-case ISO 4217 currency code, e.g. EUR",
    "^[A-Za-z0-9_.-]+$": "may only contain letters, digits and _ . -",
}
_TIMESTAMP_HINT = "must be an RFC 3339 timestamp with a timezone, e.g. 2026-11-25T12:00:00Z"
_JSON_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field. `path` is dotted with [index] for arrays; "" is the whole event."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}

    def __str__(self) -> str:
        return f"{self.path or '(event)'}: {self.message}"


def format_path(parts: Iterable[str | int]) -> str:
    """`["order", "items", 0, "price"]` → `order.items[0].price`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _join(parent: str, child: str) -> str:
    return f"{parent}.{child}" if parent else child


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return _JSON_KINDS.get(type(value), type(value).__name__)


class _SchemaChecker:
    """Compiled schema + translation of jsonschema-rs errors into FieldErrors."""

    def __init__(self, schema: dict[str, Any], discriminator: str) -> None:
        self._validator = jsonschema_rs.validator_for(schema)
        self._discriminator = discriminator

    def is_valid(self, instance: Any) -> bool:
        return self._validator.is_valid(instance)

    def errors(self, instance: Any) -> list[FieldError]:
        found: list[FieldError] = []
        forbidden: list[str] = []
        for error in self._validator.iter_errors(instance):
            found.extend(self._translate(error, instance, forbidden))
        # A field that is not allowed at all makes its inner errors noise: keep only "is not allowed".
        if forbidden:
            found = [
                e
                for e in found
                if not _is_inside(e.path, forbidden) or e.message.startswith("is not allowed")
            ]
        return _unique(found)

    def _translate(self, error: Any, instance: Any, forbidden: list[str]) -> list[FieldError]:
        kind = error.kind
        name = kind.name
        details = kind.as_dict()
        path = format_path(error.instance_path)
        schema_path = list(error.schema_path)
        under_type_rule = "then" in schema_path
        type_value = instance.get(self._discriminator) if isinstance(instance, dict) else None
        for_type = f" for {self._discriminator} {type_value}" if under_type_rule else ""
        if name == "required":
            return [FieldError(_join(path, details["property"]), f"is required{for_type}")]
        if name == "additionalProperties":
            return [
                FieldError(_join(path, field), "is not an allowed field") for field in details["unexpected"]
            ]
        if name == "falseSchema":
            forbidden.append(path)
            return [FieldError(path, f"is not allowed{for_type}")]
        if name == "type":
            expected = " or ".join(details["types"])
            return [FieldError(path, f"must be {_article(expected)}, not {_kind_of(error.instance)}")]
        if name == "pattern":
            if error.instance_path and error.instance_path[-1] in ("occurred_at",):
                return [FieldError(path, _TIMESTAMP_HINT)]
            return [FieldError(path, _PATTERN_HINTS.get(details["pattern"], "has an invalid format"))]
        if name == "enum":
            options = ", ".join(str(option) for option in details["options"])
            return [FieldError(path, f"must be one of: {options}")]
        if name == "const":
            return [FieldError(path, f"must be {details.get('expected_value')}")]
        if name == "minLength":
            return [FieldError(path, f"must not be shorter than {details['limit']} character(s)")]
        if name == "maxLength":
            return [FieldError(path, f"must not be longer than {details['limit']} characters")]
        if name == "minimum":
            return [FieldError(path, f"must be at least {details['limit']}")]
        if name == "maximum":
            return [FieldError(path, f"must be at most {details['limit']}")]
        if name == "minItems":
            return [FieldError(path, f"must have at least {details['limit']} item(s)")]
        if name == "maxItems":
            return [FieldError(path, f"must have at most {details['limit']} items")]
        if name == "maxProperties":
            return [FieldError(path, f"must have at most {details['limit']} keys")]
        if name == "propertyNames":
            return [
                FieldError(
                    path, "has a key that is too long or uses characters other than letters, digits, _ . -"
                )
            ]
        return [FieldError(path, error.message)]


def _is_inside(path: str, parents: list[str]) -> bool:
    return any(path == p or path.startswith(p + ".") or path.startswith(p + "[") for p in parents)


def _article(expected: str) -> str:
    return {"integer": "an integer", "object": "an object", "array": "an array"}.get(
        expected, f"a {expected}"
    )


def _unique(errors: list[FieldError]) -> list[FieldError]:
    seen: set[FieldError] = set()
    ordered = []
    for error in errors:
        if error not in seen:
            seen.add(error)
            ordered.append(error)
    return ordered


class EventValidator:
    """Validates raw behaviour events against the contract.

    `allow_meta=False` (the ingestion API) rejects a producer-supplied `_meta`; stored events read back
    from the log carry it and are validated with `allow_meta=True`.
    """

    def __init__(
        self, *, allow_meta: bool = False, max_future_skew_seconds: int = MAX_FUTURE_SKEW_SECONDS
    ) -> None:
        self._schema = _SchemaChecker(event_schema(), "event_type")
        self._allow_meta = allow_meta
        self._max_skew = timedelta(seconds=max_future_skew_seconds)

    def validate(
        self, event: Any, *, now: datetime | None = None, encoded: bytes | None = None
    ) -> list[FieldError]:
        """Every problem with `event`; an empty list means valid.

        `encoded` is the event's JSON if the caller already has it (saves a serialization for the size check).
        """
        if not isinstance(event, dict):
            return [FieldError("", f"must be a JSON object, not {_kind_of(event)}")]
        errors: list[FieldError] = []
        size = len(encoded if encoded is not None else orjson.dumps(event))
        if size > MAX_EVENT_BYTES:
            errors.append(FieldError("", f"is {size} bytes; an event may be at most {MAX_EVENT_BYTES} bytes"))
        if not self._allow_meta and "_meta" in event:
            errors.append(FieldError("_meta", "is set by the ingestion API; remove it from the event"))
        if not self._schema.is_valid(event):
            schema_errors = self._schema.errors(event)
            if not self._allow_meta:
                schema_errors = [e for e in schema_errors if not _is_inside(e.path, ["_meta"])]
            errors.extend(schema_errors)
        errors.extend(self._semantic_errors(event, now or utc_now(), errors))
        return errors

    def _semantic_errors(
        self, event: dict[str, Any], now: datetime, found: list[FieldError]
    ) -> list[FieldError]:
        errors: list[FieldError] = []
        broken = {e.path for e in found}
        occurred_at = event.get("occurred_at")
        if isinstance(occurred_at, str) and "occurred_at" not in broken:
            try:
                moment = parse_rfc3339(occurred_at)
            except ValueError:
                errors.append(
                    FieldError("occurred_at", "is not a real date and time (" + _TIMESTAMP_HINT + ")")
                )
            else:
                if moment - now > self._max_skew:
                    minutes = self._max_skew.total_seconds() / 60
                    errors.append(
                        FieldError(
                            "occurred_at",
                            f"is more than {minutes:g} minutes in the future of the server clock",
                        )
                    )
        order = event.get("order")
        if isinstance(order, dict) and not any(p == "order" or p.startswith("order.") for p in broken):
            items = order.get("items")
            total = order.get("total")
            if isinstance(items, list) and isinstance(total, int | float):
                expected = sum(item["quantity"] * item["price"] for item in items)
                if abs(expected - total) > TOTAL_TOLERANCE + 1e-9:
                    errors.append(
                        FieldError(
                            "order.total",
                            f"is {total:.2f} but the items add up to {expected:.2f} (quantity × price)",
                        )
                    )
        return errors


class InsightValidator:
    """Validates insight envelopes (what the Flink job emits and webhooks carry)."""

    def __init__(self) -> None:
        self._schema = _SchemaChecker(insight_schema(), "type")

    def validate(self, insight: Any) -> list[FieldError]:
        if not isinstance(insight, dict):
            return [FieldError("", f"must be a JSON object, not {_kind_of(insight)}")]
        return [] if self._schema.is_valid(insight) else self._schema.errors(insight)
