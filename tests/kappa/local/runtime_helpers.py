"""Shared helpers of the runtime tests: post events, register the receiver, wait, inspect processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psutil

from events import INSIGHT_TYPES, format_rfc3339
from kappa.local.receiver import WebhookReceiver
from kappa.local.runtime import RuntimeInfo


def at(base: datetime, seconds: float) -> str:
    return format_rfc3339(base + timedelta(seconds=seconds))


def now_utc() -> datetime:
    moment = datetime.now(tz=UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def post_events(info: RuntimeInfo, events: list[dict[str, Any]]) -> httpx.Response:
    return httpx.post(
        f"{info.api_url}/v1/events",
        headers={"x-api-key": info.producer_keys[0].value},
        json={"events": events},
        timeout=30,
    )


def register(info: RuntimeInfo, receiver: WebhookReceiver, types: list[str] | None = None) -> dict[str, Any]:
    response = httpx.post(
        f"{info.api_url}/v1/webhooks",
        headers={"x-api-key": info.admin_key.value},
        json={"url": receiver.url, "event_types": types or list(INSIGHT_TYPES)},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    receiver.add_secret(created["secret"])
    return created


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def descendants() -> set[int]:
    """Every live process below this one (the runtime's workers, the Flink client, its JVM...)."""
    return {
        child.pid
        for child in psutil.Process().children(recursive=True)
        if child.status() != psutil.STATUS_ZOMBIE
    }


def page_view(event_id: str, user: str, occurred_at: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": "page_view",
        "occurred_at": occurred_at,
        "user_id": user,
        "session_id": f"{user}-s1",
        "page": {"url": "https://shop.example/"},
    }
