"""Classifying an attempt's result (Standard Webhooks rules)."""

from __future__ import annotations

import pytest

from lambdas.fanout.delivery import HttpResult
from lambdas.fanout.outcomes import classify


@pytest.mark.parametrize(
    ("result", "verdict", "pauses"),
    [
        (HttpResult(1.0, status_code=200), "delivered", False),
        (HttpResult(1.0, status_code=204), "delivered", False),
        (HttpResult(1.0, status_code=299), "delivered", False),
        (HttpResult(1.0, status_code=301), "permanent", False),
        (HttpResult(1.0, status_code=307), "permanent", False),
        (HttpResult(1.0, status_code=400), "permanent", False),
        (HttpResult(1.0, status_code=401), "permanent", False),
        (HttpResult(1.0, status_code=404), "permanent", False),
        (HttpResult(1.0, status_code=410), "disable", False),
        (HttpResult(1.0, status_code=408), "retry", False),
        (HttpResult(1.0, status_code=429), "retry", True),
        (HttpResult(1.0, status_code=500), "retry", False),
        (HttpResult(1.0, status_code=501), "retry", False),
        (HttpResult(1.0, status_code=502), "retry", True),
        (HttpResult(1.0, status_code=503), "retry", True),
        (HttpResult(1.0, status_code=504), "retry", True),
        (HttpResult(1.0, error_kind="timeout", error="timed out"), "retry", True),
        (HttpResult(1.0, error_kind="connect", error="refused"), "retry", False),
        (HttpResult(1.0, error_kind="protocol", error="bad header"), "retry", False),
        (HttpResult(1.0, error_kind="rejected", error="private"), "permanent", False),
    ],
)
def test_classification(result: HttpResult, verdict: str, pauses: bool) -> None:
    outcome = classify(result)
    assert outcome.verdict == verdict
    assert outcome.pause_subscriber is pauses
    assert outcome.reason


def test_throttling_carries_the_retry_after() -> None:
    outcome = classify(HttpResult(1.0, status_code=429, retry_after_seconds=30))
    assert outcome.retry_after_seconds == 30
    assert "throttled" in outcome.reason
