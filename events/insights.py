"""Insight envelopes: deterministic ids from the inputs, so replays of the same log give the same ids."""

from __future__ import annotations

import hashlib
from typing import Any

from events.models import Insight, InsightType
from events.timefmt import format_rfc3339, utc_now


def make_insight_id(insight_type: str, *key_parts: object) -> str:
    """A stable id: the type plus a hash of the parts that identify this insight.

    >>> make_insight_id("cart_abandoned", "user-1", "2026-11-25T12:00:00.000Z")
    'cart_abandoned:c85eca5942bad49c09f60c7b'
    """
    material = "\x1f".join([insight_type, *(str(part) for part in key_parts)])
    return f"{insight_type}:{hashlib.sha256(material.encode()).hexdigest()[:24]}"


def make_insight(
    insight_type: InsightType,
    *,
    key: tuple[object, ...],
    occurred_at: str,
    job_version: str,
    payload: dict[str, Any],
    user_id: str | None = None,
    emitted_at: str | None = None,
) -> Insight:
    """Build an insight envelope; `key` is what makes it unique (e.g. user and cart time)."""
    insight: Insight = {
        "insight_id": make_insight_id(insight_type, *key),
        "type": insight_type,
        "occurred_at": occurred_at,
        "emitted_at": emitted_at or format_rfc3339(utc_now()),
        "job_version": job_version,
        "payload": payload,
    }
    if user_id is not None:
        insight["user_id"] = user_id
    return insight
