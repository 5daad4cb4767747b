"""Fixtures for the webhooks API tests: moto resources, a fake DNS, and a caller that goes through the handler."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from lambdas.webhooks_api import handler, runtime
from lambdas.webhooks_api.registry import WebhookRegistry
from lambdas.webhooks_common.delivery_log import DeliveryLog
from lambdas.webhooks_common.target_policy import TargetPolicy, TargetRejectedError
from tests.lambdas.fanout.webhook_fixtures import (  # noqa: F401
    EVENTS_DIR,
    FakeLambdaContext,
    WebhookAws,
    aws_credentials,
    webhook_aws,
)

ADMIN_KEY_ID = "adminkey01"
PUBLIC_DNS = {
    "hooks.example.com": ["93.184.216.34"],
    "dual.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    "internal.example.com": ["10.1.2.3"],
    "sneaky.example.com": ["93.184.216.34", "127.0.0.1"],
}


class FakeDns:
    """An injected resolver: a dict of host → addresses that a test may change (DNS rebinding)."""

    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = dict(records)

    def __call__(self, host: str, port: int) -> list[str]:
        if host not in self.records:
            raise TargetRejectedError(f"host {host} could not be resolved (Name or service not known)")
        return self.records[host]


@dataclass
class ApiResponse:
    status: int
    body: Any
    headers: dict[str, str]


@pytest.fixture
def fake_dns() -> FakeDns:
    return FakeDns(PUBLIC_DNS)


@pytest.fixture
def registry(
    webhook_aws: WebhookAws,  # noqa: F811 (the imported fixture, requested by name)
    fake_dns: FakeDns,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[WebhookRegistry]:
    built = WebhookRegistry(
        store=webhook_aws.store,
        cipher=webhook_aws.cipher,
        delivery_log=DeliveryLog(webhook_aws.dynamodb, webhook_aws.resources.delivery_log_table),
        policy=TargetPolicy(resolver=fake_dns),
        rotation_grace_hours=24,
    )
    monkeypatch.setattr(handler, "webhook_registry", lambda: built)
    monkeypatch.setenv("ADMIN_API_KEY_IDS", ADMIN_KEY_ID)
    runtime.admin_key_ids.cache_clear()
    yield built
    runtime.admin_key_ids.cache_clear()


@pytest.fixture
def call_api(registry: WebhookRegistry) -> Callable[..., ApiResponse]:
    """`call_api("POST", "/v1/webhooks", {"url": ...})` → the handler's response, body parsed."""
    template = json.loads((EVENTS_DIR / "webhooks_api_request.json").read_text())

    def call(
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        raw_body: str | None = None,
        content_type: str = "application/json",
        api_key_id: str | None = ADMIN_KEY_ID,
    ) -> ApiResponse:
        event = copy.deepcopy(template)
        event["httpMethod"] = method
        event["path"] = path
        event["requestContext"]["httpMethod"] = method
        event["requestContext"]["path"] = "/v1" + path
        event["requestContext"]["identity"]["apiKeyId"] = api_key_id
        event["headers"]["Content-Type"] = content_type
        event["multiValueHeaders"]["Content-Type"] = [content_type]
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
        event["body"] = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        response = handler.handler(event, FakeLambdaContext())
        text = response.get("body") or ""
        return ApiResponse(
            response["statusCode"], json.loads(text) if text else None, response.get("headers", {})
        )

    return call


@pytest.fixture
def created(call_api: Callable[..., ApiResponse]) -> dict[str, Any]:
    response = call_api(
        "POST", "/v1/webhooks", {"url": "https://hooks.example.com/in", "event_types": ["cart_abandoned"]}
    )
    assert response.status == 201, response.body
    return response.body
