"""The local API Gateway turns HTTP requests into REST proxy events and enforces keys like API Gateway."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from kappa.local.api_gateway import ApiGatewayFront, HttpRequest, Route, proxy_result_to_reply
from kappa.local.api_keys import ApiKeyRing
from kappa.local.function_host import FunctionHost, FunctionSpec, Invocation
from stacks.config import ProducerConfig

BATCH_MODEL = {
    "type": "object",
    "required": ["events"],
    "properties": {"events": {"type": "array", "minItems": 1}},
}
ROUTES = [
    Route("POST", "/v1/events", "ingest", BATCH_MODEL),
    Route("GET", "/v1/webhooks", "webhooks"),
    Route("GET", "/v1/webhooks/{id}", "webhooks"),
    Route("POST", "/v1/webhooks/{id}/rotate-secret", "webhooks"),
]


@pytest.fixture
def keys(tmp_path: Path) -> ApiKeyRing:
    producers = (ProducerConfig(name="default", rate_limit=100, burst_limit=200),)
    return ApiKeyRing.load_or_create(tmp_path / "keys.json", producers)


class Recorder:
    def __init__(self, result: Invocation | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.result = result or Invocation(True, result={"statusCode": 202, "body": '{"accepted": 1}'})

    def __call__(self, function: str, event: dict[str, Any]) -> Invocation:
        self.calls.append((function, event))
        return self.result


def request(
    method: str, target: str, key: str | None = None, body: bytes = b"", **headers: str
) -> HttpRequest:
    pairs = [("Content-Type", "application/json"), ("User-Agent", "test-agent"), *headers.items()]
    if key:
        pairs.append(("x-api-key", key))
    return HttpRequest(method=method, target=target, headers=pairs, body=body)


def test_producer_request_becomes_rest_proxy_event_with_key_identity(keys: ApiKeyRing) -> None:
    # GIVEN the front for stage v1
    invoke = Recorder()
    front = ApiGatewayFront(routes=ROUTES, stage="v1", keys=keys, invoke=invoke)
    producer = keys.producers[0]
    # WHEN a producer posts events
    reply = front.handle(request("POST", "/v1/events?dry=1", producer.value, b'{"events": [{}]}'))
    # THEN the ingest function got a REST proxy event with the key's id as identity
    assert reply.status == 202
    ((function, event),) = invoke.calls
    assert function == "ingest"
    assert event["resource"] == "/v1/events"
    assert event["path"] == "/v1/events"
    assert event["httpMethod"] == "POST"
    assert event["body"] == '{"events": [{}]}'
    assert event["isBase64Encoded"] is False
    assert event["queryStringParameters"] == {"dry": "1"}
    assert event["pathParameters"] is None
    context = event["requestContext"]
    assert context["stage"] == "v1"
    assert context["path"] == "/v1/events"
    assert context["resourcePath"] == "/v1/events"
    assert context["identity"]["apiKeyId"] == producer.id
    assert context["identity"]["apiKey"] == producer.value
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "test-agent"
    assert context["requestId"]
    assert isinstance(context["requestTimeEpoch"], int)
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["multiValueHeaders"]["x-api-key"] == [producer.value]
    assert "X-Forwarded-For" in event["headers"]


def test_path_parameters_are_extracted_from_resource_template(keys: ApiKeyRing) -> None:
    invoke = Recorder(Invocation(True, result={"statusCode": 200, "body": "{}"}))
    front = ApiGatewayFront(routes=ROUTES, stage="v1", keys=keys, invoke=invoke)
    front.handle(request("POST", "/v1/webhooks/wh_123/rotate-secret", keys.admin.value))
    event = invoke.calls[0][1]
    assert event["resource"] == "/v1/webhooks/{id}/rotate-secret"
    assert event["pathParameters"] == {"id": "wh_123"}
    assert event["requestContext"]["identity"]["apiKeyId"] == keys.admin.id


@pytest.mark.parametrize(
    ("method", "target", "which_key", "status", "message"),
    [
        ("POST", "/v1/events", None, 403, "Forbidden"),
        ("POST", "/v1/events", "wrong", 403, "Forbidden"),
        ("GET", "/v1/webhooks", None, 403, "Forbidden"),
        ("GET", "/v1/nothing-here", "producer", 403, "Missing Authentication Token"),
        ("DELETE", "/v1/events", "producer", 403, "Missing Authentication Token"),
        ("POST", "/v2/events", "producer", 403, "Missing Authentication Token"),
        ("POST", "/events", "producer", 403, "Missing Authentication Token"),
    ],
)
def test_requests_without_a_valid_key_for_the_route_are_refused_like_api_gateway(
    keys: ApiKeyRing, method: str, target: str, which_key: str | None, status: int, message: str
) -> None:
    invoke = Recorder()
    front = ApiGatewayFront(routes=ROUTES, stage="v1", keys=keys, invoke=invoke)
    key = {"admin": keys.admin.value, "producer": keys.producers[0].value, "wrong": "x" * 40, None: None}[
        which_key
    ]
    reply = front.handle(request(method, target, key))
    assert (reply.status, reply.json()) == (status, {"message": message})
    assert invoke.calls == []


def test_any_valid_key_passes_the_gateway_and_the_handler_decides(keys: ApiKeyRing) -> None:
    # GIVEN API Gateway semantics: apiKeyRequired accepts any key of the stage's usage plans
    invoke = Recorder(
        Invocation(True, result={"statusCode": 403, "body": '{"message": "use the admin key"}'})
    )
    front = ApiGatewayFront(routes=ROUTES, stage="v1", keys=keys, invoke=invoke)
    # WHEN a producer key calls the webhooks API
    reply = front.handle(request("GET", "/v1/webhooks", keys.producers[0].value))
    # THEN the handler is called with that key's id and its answer is returned
    assert invoke.calls[0][1]["requestContext"]["identity"]["apiKeyId"] == keys.producers[0].id
    assert reply.status == 403


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"events": []}', "application/json", 400),
        (b'{"nope": 1}', "application/json", 400),
        (b"not json", "application/json", 400),
        (b"not json", "text/plain", 202),
        (b'{"events": [{"anything": 1}]}', "application/json; charset=utf-8", 202),
    ],
)
def test_json_body_is_checked_against_the_request_model(
    keys: ApiKeyRing, body: bytes, content_type: str, status: int
) -> None:
    invoke = Recorder()
    front = ApiGatewayFront(routes=ROUTES, stage="v1", keys=keys, invoke=invoke)
    reply = front.handle(
        HttpRequest(
            "POST",
            "/v1/events",
            [("Content-Type", content_type), ("x-api-key", keys.producers[0].value)],
            body,
        )
    )
    assert reply.status == status
    if status == 400:
        assert reply.json() == {"message": "Invalid request body"}
        assert invoke.calls == []


def test_key_over_its_burst_is_throttled_with_429(tmp_path: Path) -> None:
    producers = (ProducerConfig(name="default", rate_limit=0.001, burst_limit=2),)
    keys = ApiKeyRing.load_or_create(tmp_path / "k.json", producers)
    front = ApiGatewayFront(routes=ROUTES, stage="v1", keys=keys, invoke=Recorder())
    statuses = [
        front.handle(request("POST", "/v1/events", keys.producers[0].value, b'{"events": [{}]}')).status
        for _ in range(3)
    ]
    assert statuses == [202, 202, 429]


@pytest.mark.parametrize(
    ("outcome", "status", "message"),
    [
        (Invocation(False, error_type="ValueError", error_message="boom"), 502, "Internal server error"),
        (
            Invocation(False, error_type="Sandbox.Timedout", error_message="late"),
            504,
            "Endpoint request timed out",
        ),
        (Invocation(True, result={"body": "no status"}), 502, "Internal server error"),
        (Invocation(True, result="not a dict"), 502, "Internal server error"),
    ],
)
def test_integration_failures_map_to_api_gateway_errors(
    keys: ApiKeyRing, outcome: Invocation, status: int, message: str
) -> None:
    front = ApiGatewayFront(routes=ROUTES, stage="v1", keys=keys, invoke=Recorder(outcome))
    reply = front.handle(request("POST", "/v1/events", keys.producers[0].value, b'{"events": [{}]}'))
    assert (reply.status, reply.json()) == (status, {"message": message})


def test_proxy_result_headers_and_base64_body_are_honoured() -> None:
    reply = proxy_result_to_reply(
        {"statusCode": "201", "headers": {"X-One": "1"}, "multiValueHeaders": {"Set-Cookie": ["a", "b"]},
         "body": "aGk=", "isBase64Encoded": True},
        "req-1",
    )  # fmt: skip
    assert reply.status == 201
    assert reply.body == b"hi"
    assert ("Set-Cookie", "a") in reply.headers
    assert ("Set-Cookie", "b") in reply.headers
    assert ("x-amzn-RequestId", "req-1") in reply.headers


def test_http_server_serves_real_handler_over_loopback_and_closes_its_port(
    keys: ApiKeyRing, tmp_path: Path
) -> None:
    # GIVEN the front over a real worker running a proxy-echo handler
    host = FunctionHost(
        FunctionSpec(name="ingest", handler="tests.kappa.local.sample_handlers.proxy_echo"),
        tmp_path / "i.log",
    ).start()
    seen = []
    front = ApiGatewayFront(
        routes=ROUTES, stage="v1", keys=keys, invoke=lambda _f, e: host.invoke(e), observers=[seen.append]
    ).start()
    port = front.port
    try:
        # WHEN a client posts over HTTP (keep-alive, twice)
        with httpx.Client(base_url=front.base_url) as client:
            first = client.post(
                "/v1/events", content=b'{"events": [1]}', headers={"x-api-key": keys.producers[0].value}
            )
            second = client.post("/v1/events", content=b"{}", headers={"x-api-key": "bad"})
    finally:
        front.stop()
        host.stop()
    # THEN the handler's response comes back with its headers, and refusals are API Gateway's
    assert first.status_code == 200
    assert first.headers["x-sample"] == "yes"
    assert json.loads(first.json()["body"]) == {"events": [1]}
    assert second.status_code == 403
    assert [exchange.reply.status for exchange in seen] == [200, 403]
    # AND the port is free again
    from kappa.local.ports import is_listening

    assert not is_listening(port)
