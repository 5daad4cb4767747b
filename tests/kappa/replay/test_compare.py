"""Comparing two job versions' insights."""

from __future__ import annotations

from typing import Any

from events import make_insight
from kappa.replay.compare import compare_insights, differing_fields


def insight(
    kind: str, key: str, version: str = "v1", emitted: str = "2026-11-25T12:00:00.000Z", **payload: Any
):
    defaults: dict[str, Any] = {
        "cart_abandoned": {"items": [], "value": 10.0, "currency": "EUR", "last_cart_change_at": "t"},
        "metrics": {"window_start": "a", "window_end": "b", "events_by_type": {}, "funnel": {}},
    }[kind]
    return make_insight(
        kind,  # type: ignore[arg-type]
        key=(key,),
        occurred_at="2026-11-25T11:00:00.000Z",
        job_version=version,
        emitted_at=emitted,
        user_id="u1" if kind == "cart_abandoned" else None,
        payload={**defaults, **payload},
    )


def test_same_insights_from_another_version_and_time_are_identical() -> None:
    # GIVEN the same insights emitted by v1 and v2 at different times
    v1 = [insight("cart_abandoned", "a"), insight("metrics", "m")]
    v2 = [insight("cart_abandoned", "a", "v2", "2026-11-26T00:00:00.000Z"), insight("metrics", "m", "v2")]
    # WHEN compared
    report = compare_insights(v1, v2, baseline_version="v1", candidate_version="v2")
    # THEN nothing differs
    assert report.identical
    assert report.summary() == {
        "cart_abandoned": {"added": 0, "removed": 0, "changed": 0, "unchanged": 1},
        "metrics": {"added": 0, "removed": 0, "changed": 0, "unchanged": 1},
    }


def test_added_removed_and_changed_are_reported_by_type_with_fields() -> None:
    v1 = [insight("cart_abandoned", "a"), insight("cart_abandoned", "b"), insight("metrics", "m")]
    v2 = [insight("cart_abandoned", "a", value=12.5), insight("cart_abandoned", "c"), insight("metrics", "m")]
    report = compare_insights(v1, v2)
    assert not report.identical
    assert report.summary()["cart_abandoned"] == {"added": 1, "removed": 1, "changed": 1, "unchanged": 0}
    changed = report.by_type["cart_abandoned"].changed[0]
    assert changed.fields == ("payload.value",)
    assert report.as_dict()["examples"]["cart_abandoned"]["changed"][0]["fields"] == ["payload.value"]


def test_repeated_ids_are_counted_not_treated_as_differences() -> None:
    one = insight("metrics", "m")
    report = compare_insights([one, one], [one])
    assert report.identical
    assert report.duplicate_ids == {one["insight_id"]: 1}


def test_differing_fields_walks_nested_objects() -> None:
    assert differing_fields({"a": {"b": 1, "c": [1]}}, {"a": {"b": 2, "c": [1]}, "d": 0}) == ["a.b", "d"]
