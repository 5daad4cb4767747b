"""API Gateway models (JSON Schema draft 4) generated from the event contract's draft 2020-12 schema.

The schema in `events/schemas/` is the single source; this module adapts it instead of restating it:
`$ref`s into `$defs` are inlined, `const` becomes a one-value `enum`, and what draft 4 cannot say is
dropped (the per-type `if`/`then` rules, `propertyNames`). A keyword this module does not know is an
error, so a schema change cannot silently weaken or break the generated model.

Two models come out (see docs/ingestion-api.md, "Where validation happens"):

- `event_model()`: one event as producers send it (no `_meta`), for the API's documentation and SDKs.
- `event_batch_model()`: the request body API Gateway enforces: `{"events": [1..500 items]}` and nothing
  else. Items are *not* checked against the event model at the gateway, because one bad event would
  then fail the whole request; the Lambda validates every event and answers per event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from events import MAX_EVENTS_PER_REQUEST, event_schema

DRAFT_4: Final = "http://json-schema.org/draft-04/schema#"
PRODUCER_HIDDEN_FIELDS: Final = ("_meta",)
"""Fields in the stored-event schema that producers must not send (ingestion adds them)."""

# Keywords copied as they are (draft 4 means the same by them).
_PLAIN_KEYWORDS: Final = frozenset(
    {
        "type", "enum", "required", "title", "description", "default", "format",
        "minLength", "maxLength", "pattern", "minimum", "maximum", "multipleOf",
        "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
    }
)  # fmt: skip
# Keywords whose values are schemas or collections of schemas: converted recursively.
_SCHEMA_MAP_KEYWORDS: Final = frozenset({"properties", "patternProperties"})
_SCHEMA_LIST_KEYWORDS: Final = frozenset({"allOf", "anyOf", "oneOf"})
_SCHEMA_KEYWORDS: Final = frozenset({"additionalProperties", "items", "not"})
# Keywords draft 4 (or API Gateway) cannot express; the Lambda still enforces them.
_DROPPED_KEYWORDS: Final = frozenset(
    {"$schema", "$id", "$defs", "$comment", "if", "then", "else", "propertyNames", "examples"}
)


class SchemaConversionError(ValueError):
    """The source schema uses something the draft-4 conversion does not handle; the message names it."""


def to_draft4(schema: Mapping[str, Any], *, title: str | None = None) -> dict[str, Any]:
    """Convert a draft 2020-12 schema (with local `$ref`s into `$defs`) into a standalone draft-4 schema."""
    converted = _convert(schema, root=schema, location="#", resolving=())
    if not isinstance(converted, dict):
        raise SchemaConversionError("the root schema must be an object, not a boolean")
    document: dict[str, Any] = {"$schema": DRAFT_4}
    if title:
        document["title"] = title
    document.update({key: value for key, value in converted.items() if not (title and key == "title")})
    return document


def event_model() -> dict[str, Any]:
    """The event as producers send it, in draft 4 (`_meta` left out: ingestion adds it)."""
    model = to_draft4(event_schema(), title="Event")
    for name in PRODUCER_HIDDEN_FIELDS:
        model["properties"].pop(name, None)
    return model


def event_batch_model() -> dict[str, Any]:
    """The request body API Gateway enforces: an object with exactly `events`, an array of 1 to 500 items."""
    schema = event_schema()
    return {
        "$schema": DRAFT_4,
        "title": "EventBatch",
        "description": "POST /v1/events request body. Every event is validated by the ingestion Lambda, "
        "which answers per event (docs/ingestion-api.md).",
        "type": "object",
        "additionalProperties": False,
        "required": ["events"],
        "properties": {
            "events": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_EVENTS_PER_REQUEST,
                "items": {"description": f"{schema.get('title', 'Event')}: see the Event model."},
            }
        },
    }


def _convert(node: Any, *, root: Mapping[str, Any], location: str, resolving: tuple[str, ...]) -> Any:
    if isinstance(node, bool):
        # Draft 4 has no boolean schemas: `true` accepts anything, `false` nothing.
        return {} if node else {"not": {}}
    if not isinstance(node, Mapping):
        raise SchemaConversionError(f"{location}: expected a schema object, got {type(node).__name__}")
    if "$ref" in node:
        reference = node["$ref"]
        if reference in resolving:
            raise SchemaConversionError(
                f"{location}: $ref {reference} is recursive; draft-4 models cannot inline it"
            )
        target = _resolve(root, reference, location)
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _convert(merged, root=root, location=reference, resolving=(*resolving, reference))
    result: dict[str, Any] = {}
    for key, value in node.items():
        where = f"{location}/{key}"
        if key in _PLAIN_KEYWORDS:
            result[key] = value
        elif key == "const":
            result["enum"] = [value]
        elif key in _SCHEMA_MAP_KEYWORDS:
            result[key] = {
                name: _convert(sub, root=root, location=f"{where}/{name}", resolving=resolving)
                for name, sub in value.items()
            }
        elif key in _SCHEMA_LIST_KEYWORDS:
            converted = [
                _convert(sub, root=root, location=f"{where}/{i}", resolving=resolving)
                for i, sub in enumerate(value)
                if not _only_conditional(sub)
            ]
            if converted:
                result[key] = converted
        elif key in _SCHEMA_KEYWORDS:
            result[key] = (
                value
                if key == "additionalProperties" and isinstance(value, bool)
                else _convert(value, root=root, location=where, resolving=resolving)
            )
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            # 2020-12 gives the bound itself; draft 4 flags `minimum`/`maximum` as exclusive.
            result["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            result[key] = True
        elif key in _DROPPED_KEYWORDS:
            continue
        else:
            raise SchemaConversionError(
                f"{where}: keyword {key!r} has no draft-4 conversion; teach stacks/constructs/request_models.py"
            )
    return result


def _only_conditional(node: Any) -> bool:
    """An `allOf` entry that is just an `if`/`then`/`else` rule (dropped whole: draft 4 cannot say it)."""
    return isinstance(node, Mapping) and bool(node) and set(node) <= {"if", "then", "else", "$comment"}


def _resolve(root: Mapping[str, Any], reference: str, location: str) -> Mapping[str, Any]:
    if not reference.startswith("#/"):
        raise SchemaConversionError(f"{location}: only local $refs (#/...) can be inlined, not {reference}")
    node: Any = root
    for part in reference[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            raise SchemaConversionError(f"{location}: $ref {reference} points nowhere")
        node = node[part]
    if not isinstance(node, Mapping):
        raise SchemaConversionError(f"{location}: $ref {reference} is not a schema object")
    return node
