"""The typed models stay in step with the JSON Schemas (the schemas are the single source)."""

from __future__ import annotations

from typing import get_type_hints

import pytest

from events import EVENT_TYPES, INSIGHT_TYPES, event_schema, insight_schema, models


def _schema_keys(schema: dict, ref: str | None = None) -> set[str]:
    node = schema["$defs"][ref] if ref else schema
    return set(node["properties"])


@pytest.mark.parametrize(
    ("model", "definition"),
    [
        (models.Event, None),
        (models.Page, "page"),
        (models.Product, "product"),
        (models.Search, "search"),
        (models.OrderItem, "order_item"),
        (models.Order, "order"),
        (models.Meta, "meta"),
    ],
)
def test_event_models_have_exactly_the_schema_fields(model: type, definition: str | None) -> None:
    assert set(get_type_hints(model)) == _schema_keys(event_schema(), definition)


def test_insight_model_has_exactly_the_schema_fields() -> None:
    assert set(get_type_hints(models.Insight)) == set(insight_schema()["properties"])


def test_type_enums_match_the_schemas() -> None:
    assert tuple(event_schema()["properties"]["event_type"]["enum"]) == EVENT_TYPES
    assert tuple(insight_schema()["properties"]["type"]["enum"]) == INSIGHT_TYPES
    assert models.EventType.__args__ == EVENT_TYPES
    assert models.InsightType.__args__ == INSIGHT_TYPES
