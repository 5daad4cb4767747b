"""`kappa webhooks list/create/delete` through the real API handler (an httpx transport that invokes it)."""

from __future__ import annotations

import copy
import functools
import json

import httpx
import pytest
from typer.testing import CliRunner

from kappa.cli import app
from kappa.commands import webhooks as webhooks_command
from kappa.webhooks.api_client import WebhooksApiClient
from lambdas.webhooks_api import handler
from lambdas.webhooks_api.registry import WebhookRegistry
from lambdas.webhooks_common.delivery_log import DeliveryLog
from lambdas.webhooks_common.target_policy import TargetPolicy
from tests.lambdas.fanout.webhook_fixtures import EVENTS_DIR, FakeLambdaContext, WebhookAws

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")
KEYS = {"admin-secret-value": "adminkey01", "producer-value": "producerkey"}


def api_gateway_transport() -> httpx.MockTransport:
    """Turns each HTTP request into an API Gateway proxy event for the handler (as API Gateway would)."""
    template = json.loads((EVENTS_DIR / "webhooks_api_request.json").read_text())

    def invoke(request: httpx.Request) -> httpx.Response:
        event = copy.deepcopy(template)
        path = request.url.path.removeprefix("/v1")  # the stage prefix
        event.update(
            httpMethod=request.method,
            path=path,
            queryStringParameters=dict(request.url.params) or None,
            multiValueQueryStringParameters={k: [v] for k, v in request.url.params.items()} or None,
            body=request.content.decode() or None,
        )
        event["requestContext"]["identity"]["apiKeyId"] = KEYS.get(request.headers.get("x-api-key", ""))
        response = handler.handler(event, FakeLambdaContext())
        return httpx.Response(response["statusCode"], content=(response.get("body") or "").encode())

    return httpx.MockTransport(invoke)


@pytest.fixture
def cli(webhook_aws: WebhookAws, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    registry = WebhookRegistry(
        store=webhook_aws.store,
        cipher=webhook_aws.cipher,
        delivery_log=DeliveryLog(webhook_aws.dynamodb, webhook_aws.resources.delivery_log_table),
        policy=TargetPolicy(resolver=lambda host, port: ["93.184.216.34"]),
    )
    monkeypatch.setattr(handler, "webhook_registry", lambda: registry)
    monkeypatch.setattr(handler, "admin_key_ids", lambda: ("adminkey01",))
    monkeypatch.setattr(
        webhooks_command,
        "WebhooksApiClient",
        functools.partial(WebhooksApiClient, transport=api_gateway_transport()),
    )
    return CliRunner()


def test_create_list_and_delete_a_subscription(cli: CliRunner) -> None:
    options = ["--api-url", "https://api.example.com/v1", "--api-key", "admin-secret-value"]
    created = cli.invoke(
        app,
        [
            "webhooks",
            "create",
            "https://crm.example.com/hooks",
            "-t",
            "cart_abandoned",
            "-t",
            "metrics",
            *options,
        ],
    )
    assert created.exit_code == 0, created.output
    assert "whsec_" in created.output
    subscription_id = created.output.split("created ", 1)[1].split(" ", 1)[0]
    listed = cli.invoke(app, ["webhooks", "list", *options])
    assert listed.exit_code == 0, listed.output
    assert subscription_id in listed.output
    deleted = cli.invoke(app, ["webhooks", "delete", subscription_id, *options])
    assert deleted.exit_code == 0, deleted.output
    assert subscription_id not in cli.invoke(app, ["webhooks", "list", *options]).output


def test_api_errors_are_shown_in_plain_words(cli: CliRunner) -> None:
    refused = cli.invoke(
        app,
        [
            "webhooks",
            "create",
            "http://crm.example.com/hooks",
            "-t",
            "metrics",
            "--api-url",
            "https://api.example.com/v1",
            "--api-key",
            "admin-secret-value",
        ],
    )
    assert refused.exit_code == 1
    assert "answered 400" in refused.output
    assert "must use https://" in refused.output
    producer = cli.invoke(
        app, ["webhooks", "list", "--api-url", "https://api.example.com/v1", "--api-key", "producer-value"]
    )
    assert producer.exit_code == 1
    assert "403" in producer.output
