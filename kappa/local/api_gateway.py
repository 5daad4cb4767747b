"""The local API Gateway: HTTP requests in, REST API proxy events to the real handlers, responses out.

It behaves like an API Gateway REST API stage with API keys, usage plans and request models, served
at the root of `http://127.0.0.1:<port>` the way a custom domain maps a stage (so `POST /v1/events`
is the contract's path): unknown routes get 403 "Missing Authentication Token"; a missing or unknown
key gets 403 "Forbidden"; a key over its usage plan gets 429; a JSON body that fails the method's
request model gets 400 "Invalid request body"; a handler error gets 502 and a handler timeout 504,
each with API Gateway's `{"message": ...}` body. Like API Gateway, any valid key passes the gateway:
which key may do what (e.g. only the admin key manages webhooks) is the handler's decision.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema_rs

from kappa.local.api_keys import ApiKey, ApiKeyRing, UsagePlanThrottle
from kappa.local.aws_endpoint import LOCAL_ACCOUNT_ID
from kappa.local.function_host import Invocation
from kappa.local.http_server import LoopbackHttpServer
from kappa.local.ports import LOOPBACK

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""API Gateway's request payload limit."""
INTEGRATION_TIMEOUT_SECONDS = 29.0


@dataclass(frozen=True, eq=False)
class Route:
    """One API method with an API key required: `POST /v1/events` served by a function."""

    method: str
    resource: str
    """The resource path template, e.g. `/v1/webhooks/{id}`."""
    function: str
    request_model: dict[str, Any] | None = None
    """JSON Schema (draft 4) an `application/json` body must match, like a method request model."""

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters if `path` (without the stage) is this resource, else None."""
        pattern = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(self.resource))
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
        found = re.fullmatch(pattern, path)
        return found.groupdict() if found else None


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str
    """Path and query as received, e.g. `/v1/webhooks?limit=5`."""
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str = LOOPBACK


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class ApiExchange:
    """One request the front answered, for observers (the demo's counters, latency tracking)."""

    route: Route | None
    request: HttpRequest
    reply: HttpReply
    received_at: float
    """Wall-clock seconds when the request arrived."""


def gateway_error(status: int, message: str, request_id: str) -> HttpReply:
    """An error answered by API Gateway itself (the integration is never called)."""
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", _ERROR_TYPES.get(status, "Exception")),
    ]
    return HttpReply(status, headers, json.dumps({"message": message}).encode())


_ERROR_TYPES = {
    400: "BadRequestException",
    403: "ForbiddenException",
    413: "RequestEntityTooLargeException",
    429: "TooManyRequestsException",
    502: "InternalServerErrorException",
    504: "IntegrationTimeoutException",
}


def build_proxy_event(
    request: HttpRequest,
    *,
    route: Route,
    path: str,
    path_parameters: Mapping[str, str],
    stage: str,
    api_id: str,
    api_key: ApiKey,
    request_id: str,
    received_at: float,
    host: str,
) -> dict[str, Any]:
    """The REST API (payload v1.0) Lambda proxy integration event API Gateway would send."""
    query = urlsplit(request.target).query
    multi_query = parse_qs(query, keep_blank_values=True) if query else {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        multi_headers.setdefault(name, []).append(value)
    trace_id = f"Root=1-{int(received_at):08x}-{secrets.token_hex(12)}"
    forwarded = {
        "X-Forwarded-For": request.source_ip,
        "X-Forwarded-Port": host.rpartition(":")[2] or "80",
        "X-Forwarded-Proto": "http",
        "X-Amzn-Trace-Id": trace_id,
    }
    for name, value in forwarded.items():
        multi_headers.setdefault(name, [value])
    try:
        body: str | None = request.body.decode("utf-8") if request.body else None
        is_base64 = False
    except UnicodeDecodeError:
        body, is_base64 = base64.b64encode(request.body).decode(), True
    moment = datetime.fromtimestamp(received_at, tz=UTC)
    return {
        "resource": route.resource,
        "path": path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": api_id,
            "resourceId": _resource_id(route.resource),
            "resourcePath": route.resource,
            "httpMethod": request.method,
            "extendedRequestId": base64.b32encode(secrets.token_bytes(10)).decode()[:16],
            "requestTime": moment.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(received_at * 1000),
            "path": path,
            "stage": stage,
            "domainName": host,
            "domainPrefix": host.partition(".")[0],
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "identity": {
                "apiKey": api_key.value,
                "apiKeyId": api_key.id,
                "sourceIp": request.source_ip,
                "userAgent": next((v for n, v in request.headers if n.lower() == "user-agent"), None),
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "user": None,
                "userArn": None,
            },
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _resource_id(resource: str) -> str:
    return hashlib.sha256(resource.encode()).hexdigest()[:6]


def proxy_result_to_reply(result: Any, request_id: str) -> HttpReply:
    """Turn a proxy integration result into the HTTP reply; a malformed result is API Gateway's 502."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int | str):
        return gateway_error(502, "Internal server error", request_id)
    try:
        status = int(result["statusCode"])
    except ValueError:
        return gateway_error(502, "Internal server error", request_id)
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(value)) for value in values)
    body = result.get("body")
    if body is None:
        raw = b""
    elif result.get("isBase64Encoded"):
        raw = base64.b64decode(body)
    else:
        raw = str(body).encode()
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    headers.append(("x-amzn-RequestId", request_id))
    return HttpReply(status, headers, raw)


Invoker = Callable[[str, dict[str, Any]], Invocation]


class ApiGatewayFront:
    """Answers HTTP requests for one API stage by invoking the routed functions."""

    def __init__(
        self,
        *,
        routes: list[Route],
        stage: str,
        keys: ApiKeyRing,
        invoke: Invoker,
        port: int = 0,
        observers: list[Callable[[ApiExchange], None]] | None = None,
    ) -> None:
        self.routes = routes
        self.stage = stage
        self.keys = keys
        self._invoke = invoke
        self._throttle = UsagePlanThrottle()
        self._observers = list(observers or [])
        self._validators: dict[Route, Any] = {}
        self.api_id = secrets.token_hex(5)
        self._requested_port = port
        self._server: LoopbackHttpServer | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def add_observer(self, observer: Callable[[ApiExchange], None]) -> None:
        self._observers.append(observer)

    def handle(self, request: HttpRequest) -> HttpReply:
        """Answer one request (the HTTP server calls this; tests call it directly)."""
        received_at = time.time()
        request_id = str(uuid.uuid4())
        route, reply = None, None
        path = urlsplit(request.target).path
        matched = self._route(request.method, path)
        if matched is None:
            reply = gateway_error(403, "Missing Authentication Token", request_id)
        else:
            route, parameters = matched
            reply = self._authorize(request, route, request_id) or self._validate(request, route, request_id)
            if reply is None:
                reply = self._integrate(request, route, path, parameters, request_id, received_at)
        exchange = ApiExchange(route, request, reply, received_at)
        for observer in self._observers:
            observer(exchange)
        return reply

    def _route(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method == method:
                parameters = route.match(path)
                if parameters is not None:
                    return route, parameters
        return None

    def _authorize(self, request: HttpRequest, route: Route, request_id: str) -> HttpReply | None:
        supplied = next((v for n, v in request.headers if n.lower() == "x-api-key"), None)
        key = self.keys.lookup(supplied)
        if key is None:
            return gateway_error(403, "Forbidden", request_id)
        if not self._throttle.allow(key):
            return gateway_error(429, "Too Many Requests", request_id)
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return gateway_error(413, "Request Too Long", request_id)
        return None

    def _validate(self, request: HttpRequest, route: Route, request_id: str) -> HttpReply | None:
        if route.request_model is None:
            return None
        content_type = next(
            (v for n, v in request.headers if n.lower() == "content-type"), "application/json"
        )
        if content_type.split(";")[0].strip().lower() != "application/json":
            return None  # the model is declared for application/json only, as in the stack
        validator = self._validators.get(route)
        if validator is None:
            validator = self._validators[route] = jsonschema_rs.Draft4Validator(route.request_model)
        try:
            document = json.loads(request.body or b"null")
        except ValueError:
            return gateway_error(400, "Invalid request body", request_id)
        return (
            None if validator.is_valid(document) else gateway_error(400, "Invalid request body", request_id)
        )

    def _integrate(
        self,
        request: HttpRequest,
        route: Route,
        path: str,
        parameters: dict[str, str],
        request_id: str,
        received_at: float,
    ) -> HttpReply:
        key = self.keys.lookup(next(v for n, v in request.headers if n.lower() == "x-api-key"))
        assert key is not None
        event = build_proxy_event(
            request,
            route=route,
            path=path,
            path_parameters=parameters,
            stage=self.stage,
            api_id=self.api_id,
            api_key=key,
            request_id=request_id,
            received_at=received_at,
            host=f"{LOOPBACK}:{self.port}",
        )
        outcome = self._invoke(route.function, event)
        if outcome.timed_out:
            return gateway_error(504, "Endpoint request timed out", request_id)
        if not outcome.ok:
            return gateway_error(502, "Internal server error", request_id)
        return proxy_result_to_reply(outcome.result, request_id)

    def start(self) -> ApiGatewayFront:
        front = self

        class Handler(_RequestHandler):
            gateway = front

        self._server = LoopbackHttpServer(Handler, port=self._requested_port, purpose="local API")
        self.port = self._server.port
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()


class _RequestHandler(BaseHTTPRequestHandler):
    gateway: ApiGatewayFront
    protocol_version = "HTTP/1.1"
    timeout = 30
    server_version = "kappa-local-apigateway"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            reply = gateway_error(413, "Request Too Long", str(uuid.uuid4()))
            self.close_connection = True
        else:
            body = self.rfile.read(length) if length else b""
            request = HttpRequest(
                method=self.command,
                target=self.path,
                headers=_header_pairs(self.headers),
                body=body,
                source_ip=self.client_address[0],
            )
            reply = self.gateway.handle(request)
        self.send_response(
            reply.status, HTTPStatus(reply.status).phrase if reply.status in _PHRASES else None
        )
        for name, value in reply.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the runtime counts requests instead of printing each one."""


_PHRASES = {status.value for status in HTTPStatus}


def _header_pairs(headers: Message) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers.items()]
