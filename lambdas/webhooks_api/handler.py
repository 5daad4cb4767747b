"""Lambda entry point of the webhooks management API: routing only; the work is in `registry.py`.

Routes (all require the admin API key):

    POST   /v1/webhooks                        {url, event_types[], description?} → 201 (+ secret, once)
    GET    /v1/webhooks?limit=&next_token=     → 200 {items, next_token}
    GET    /v1/webhooks/{id}                   → 200
    PATCH  /v1/webhooks/{id}                   {status?: active|paused, event_types?, description?, url?}
    DELETE /v1/webhooks/{id}                   → 204
    POST   /v1/webhooks/{id}/rotate-secret     [?force=true] → 200 (+ new secret, once)
    GET    /v1/webhooks/{id}/deliveries        ?limit=&next_token= → 200 {items, next_token}
"""

from __future__ import annotations

import warnings
from typing import Any

import orjson
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.webhooks_api.admin_access import admin_key_problem
from lambdas.webhooks_api.api_errors import ApiError
from lambdas.webhooks_api.request_models import CreateWebhook, UpdateWebhook, parse_body
from lambdas.webhooks_api.runtime import admin_key_ids, webhook_registry

# Requests that change nothing publish no metrics; that is expected, not worth a warning per call.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service="webhooks-api")
tracer = Tracer(service="webhooks-api")
metrics = Metrics(namespace="KappaCommerce", service="webhooks-api")
app = APIGatewayRestResolver(serializer=lambda body: orjson.dumps(body).decode())

JSON = "application/json"


@app.post("/v1/webhooks")
@tracer.capture_method
def create_webhook() -> Response:
    request = _body(CreateWebhook)
    created = webhook_registry().create(request)
    metrics.add_metric(name="WebhooksCreated", unit=MetricUnit.Count, value=1)
    logger.info(
        "Webhook created", extra={"subscription_id": created["id"], "event_types": created["event_types"]}
    )
    return _json(201, created)


@app.get("/v1/webhooks")
@tracer.capture_method
def list_webhooks() -> Response:
    query = app.current_event
    return _json(
        200,
        webhook_registry().list(
            limit=query.get_query_string_value("limit"), next_token=query.get_query_string_value("next_token")
        ),
    )


@app.get("/v1/webhooks/<subscription_id>")
@tracer.capture_method
def get_webhook(subscription_id: str) -> Response:
    return _json(200, webhook_registry().get(subscription_id))


@app.patch("/v1/webhooks/<subscription_id>")
@tracer.capture_method
def update_webhook(subscription_id: str) -> Response:
    request = _body(UpdateWebhook)
    updated = webhook_registry().update(subscription_id, request)
    logger.info(
        "Webhook updated",
        extra={"subscription_id": subscription_id, "fields": sorted(request.model_fields_set)},
    )
    return _json(200, updated)


@app.delete("/v1/webhooks/<subscription_id>")
@tracer.capture_method
def delete_webhook(subscription_id: str) -> Response:
    webhook_registry().delete(subscription_id)
    metrics.add_metric(name="WebhooksDeleted", unit=MetricUnit.Count, value=1)
    logger.info("Webhook deleted", extra={"subscription_id": subscription_id})
    return Response(status_code=204, content_type=JSON, body="")


@app.post("/v1/webhooks/<subscription_id>/rotate-secret")
@tracer.capture_method
def rotate_secret(subscription_id: str) -> Response:
    force = (app.current_event.get_query_string_value("force") or "").lower() == "true"
    rotated = webhook_registry().rotate_secret(subscription_id, force=force)
    metrics.add_metric(name="SecretsRotated", unit=MetricUnit.Count, value=1)
    logger.info("Webhook secret rotated", extra={"subscription_id": subscription_id, "forced": force})
    return _json(200, rotated)


@app.get("/v1/webhooks/<subscription_id>/deliveries")
@tracer.capture_method
def list_deliveries(subscription_id: str) -> Response:
    query = app.current_event
    return _json(
        200,
        webhook_registry().deliveries(
            subscription_id,
            limit=query.get_query_string_value("limit"),
            next_token=query.get_query_string_value("next_token"),
        ),
    )


@app.exception_handler(ApiError)
def _api_error(error: ApiError) -> Response:
    if error.status >= 500:
        logger.error("API error", extra={"status": error.status, "error": error.message})
    return _json(error.status, error.body())


@app.not_found
def _no_route(_: NotFoundError) -> Response:
    event = app.current_event
    return _json(404, {"message": f"no route {event.http_method} {event.path}; see docs/webhooks.md"})


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    problem = admin_key_problem(event, admin_key_ids())
    if problem is not None:
        logger.warning("Webhooks API request refused", extra={"reason": problem})
        return {
            "statusCode": 403,
            "headers": {"Content-Type": JSON},
            "body": orjson.dumps({"message": problem}).decode(),
        }
    return app.resolve(event, context)


def _body(model: type[Any]) -> Any:
    content_type = (
        app.current_event.headers.get("content-type") or app.current_event.headers.get("Content-Type") or ""
    )
    if app.current_event.body and content_type and JSON not in content_type.lower():
        raise ApiError(415, f"send the body as {JSON} (got content-type {content_type!r})")
    parsed = parse_body(model, app.current_event.decoded_body)
    if isinstance(parsed, ApiError):
        raise parsed
    return parsed


def _json(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=JSON, body=body)
