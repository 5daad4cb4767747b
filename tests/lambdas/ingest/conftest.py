"""Fixtures for the ingestion Lambda: event and request factories, a moto Kinesis stream, a flaky client."""

from __future__ import annotations

import copy
import itertools
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from events import format_rfc3339
from tests.lambdas.ingest.stream_doubles import STREAM_NAME, FakeClock

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

SAMPLE_REQUEST = Path(__file__).resolve().parents[2] / "events" / "apigw_post_events.json"
SECRET_API_KEY = "SECRET-api-key-value-7f3a9c"
"""The API key *value* in the sample request: it must never appear in a response, log line or record."""
API_KEY_ID = "k7w2x9p4q1"
REGION = "eu-west-1"
FIXED_NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


def _event_bodies() -> dict[str, dict[str, Any]]:
    product = {
        "product_id": "sku-42",
        "name": "Trail shoe",
        "category": "shoes",
        "price": 89.5,
        "currency": "EUR",
    }
    return {
        "page_view": {
            "page": {"url": "https://shop.example.com/", "referrer": "https://search.example.com/"}
        },
        "product_view": {"product": product},
        "search": {"search": {"query": "trail shoes", "results_count": 12}},
        "add_to_cart": {"product": product, "quantity": 2},
        "remove_from_cart": {"product": product, "quantity": 1},
        "checkout_started": {},
        "purchase": {
            "order": {
                "order_id": "o-1001",
                "items": [
                    {"product_id": "sku-42", "quantity": 2, "price": 89.5},
                    {"product_id": "sku-7", "quantity": 1, "price": 15.0},
                ],
                "total": 194.0,
                "currency": "EUR",
            }
        },
    }


EVENT_BODIES = _event_bodies()


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    """Factory of valid events: `make_event("purchase", user_id="u-2")`; ids are unique per test."""
    counter = itertools.count(1)

    def factory(
        event_type: str = "product_view", *, occurred_at: datetime | None = None, **fields: Any
    ) -> dict:
        number = next(counter)
        event = {
            "event_id": f"evt-{number:05d}",
            "event_type": event_type,
            "occurred_at": format_rfc3339(occurred_at or datetime.now(tz=UTC) - timedelta(seconds=30)),
            "user_id": f"user-{number % 7}",
            "session_id": f"session-{number % 7}",
            **copy.deepcopy(EVENT_BODIES[event_type]),
            "context": {"ip_country": "DE", "app": "web"},
        }
        event.update(fields)
        return event

    return factory


@pytest.fixture
def api_request() -> Callable[..., dict[str, Any]]:
    """Factory of API Gateway REST proxy events for POST /v1/events, from the real-shaped sample."""
    sample = json.loads(SAMPLE_REQUEST.read_text())

    def factory(
        body: Any = None,
        *,
        raw_body: str | None = None,
        content_type: str | None = "application/json",
        api_key_id: str | None = API_KEY_ID,
        request_id: str = "4b0b8a3e-3c1e-4a52-9d3c-2f7a1e9d6b10",
    ) -> dict[str, Any]:
        event = copy.deepcopy(sample)
        event["body"] = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
        for headers in (event["headers"], event["multiValueHeaders"]):
            headers.pop("Content-Type")
            if content_type is not None:
                headers["Content-Type"] = content_type if headers is event["headers"] else [content_type]
        event["requestContext"]["identity"]["apiKeyId"] = api_key_id
        event["requestContext"]["requestId"] = request_id
        return event

    return factory


@dataclass
class FakeLambdaContext:
    function_name: str = "kappa-test-ingest"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:kappa-test-ingest"
    aws_request_id: str = "6f5e8f2a-0000-4000-8000-000000000001"
    remaining_millis: int = 29_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region so no test can reach a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def kinesis_client(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto Kinesis stream with 4 shards (so partitioning is visible); the handler is pointed at it."""
    with mock_aws():
        client = boto3.client("kinesis", region_name=REGION)
        client.create_stream(StreamName=STREAM_NAME, ShardCount=4)
        monkeypatch.setenv("RAW_STREAM_NAME", STREAM_NAME)
        from lambdas.ingest import handler

        cached_service = handler.ingest_service  # a test may replace it; clear the original either way
        cached_service.cache_clear()
        yield client
        cached_service.cache_clear()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
