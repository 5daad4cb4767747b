"""Insight ids are deterministic from their inputs."""

from __future__ import annotations

from events import make_insight, make_insight_id


def test_same_inputs_give_the_same_id_and_different_inputs_differ() -> None:
    assert make_insight_id("metrics", "2026-11-25T12:00") == make_insight_id("metrics", "2026-11-25T12:00")
    assert make_insight_id("metrics", "2026-11-25T12:00") != make_insight_id("metrics", "2026-11-25T12:01")
    assert make_insight_id("metrics", "a", "b") != make_insight_id("metrics", "ab")


def test_only_emitted_at_differs_between_two_builds_of_one_insight() -> None:
    kwargs = {
        "key": ("w1",),
        "occurred_at": "2026-11-25T12:00:00.000Z",
        "job_version": "v1",
        "payload": {"a": 1},
    }
    first = make_insight("metrics", emitted_at="2026-11-25T12:00:01.000Z", **kwargs)
    second = make_insight("metrics", emitted_at="2026-11-25T12:05:00.000Z", **kwargs)
    assert {k: v for k, v in first.items() if k != "emitted_at"} == {
        k: v for k, v in second.items() if k != "emitted_at"
    }
    assert "user_id" not in first
