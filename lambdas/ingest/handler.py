"""API Gateway entry point of `POST /v1/events`: Powertools wiring around `IngestService`, nothing more.

Logs never carry event payloads or the API key (only its id, as `producer`); per-event errors are
logged at DEBUG. Tests replace the service with `ingest_service.cache_clear()` under moto, or call
`IngestService` directly.
"""

from __future__ import annotations

import logging
from functools import cache
from http import HTTPStatus
from typing import Any, Final

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from lambdas.ingest import settings
from lambdas.ingest.batch_metrics import (
    METRICS_NAMESPACE,
    SERVICE_NAME,
    publish_batch_metrics,
    publish_refused_request,
    publish_unexpected_error,
)
from lambdas.ingest.enrichment import ANONYMOUS_PRODUCER
from lambdas.ingest.event_log import EventLog, KinesisEventLog, RetryPolicy
from lambdas.ingest.request import RequestRefusedError, read_events
from lambdas.ingest.responses import batch_body, batch_headers, batch_status, message_body, to_json
from lambdas.ingest.service import EventStatus, IngestService

EVENTS_PATH: Final = "/v1/events"
RESPONSE_RESERVE_SECONDS: Final = 1.0
"""Time kept back from the Lambda's remaining time to answer after the last retry."""
# Our own retry loop owns retrying (only refused records, within the budget): one attempt per SDK call,
# and timeouts short enough that a hung call cannot eat the budget.
KINESIS_CLIENT_CONFIG: Final = Config(
    connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 1}, tcp_keepalive=True
)

logger = Logger(service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)
app = APIGatewayRestResolver()


@cache
def ingest_service() -> IngestService:
    """The service with its log client (LOG_BACKEND): created on the first request, reused while the container lives."""
    budget = settings.put_records_time_budget_seconds()
    return IngestService(event_log=_event_log(budget), retry_policy=RetryPolicy(time_budget_seconds=budget))


def _event_log(budget: float) -> EventLog:
    if settings.log_backend() == "kafka":
        from lambdas.ingest.kafka_log import KafkaEventLog, make_producer  # only the MSK deployment ships it

        producer = make_producer(
            settings.kafka_bootstrap_servers(), settings.kafka_security(), delivery_timeout_seconds=budget
        )
        return KafkaEventLog(producer, settings.raw_topic(), delivery_timeout_seconds=budget)
    return KinesisEventLog(boto3.client("kinesis", config=KINESIS_CLIENT_CONFIG), settings.raw_stream_name())


@app.post(EVENTS_PATH)
@tracer.capture_method(capture_response=False)
def post_events() -> Response:
    request = app.current_event
    try:
        events = read_events(
            content_type=request.headers.get("content-type"),  # case-insensitive in Powertools 3
            body=request.body,
            is_base64_encoded=bool(request.is_base64_encoded),
        )
    except RequestRefusedError as refusal:
        logger.info("request refused", extra={"status": int(refusal.status), "reason": refusal.message})
        publish_refused_request(metrics)
        return _json_response(refusal.status, message_body(refusal.message))

    producer = request.request_context.identity.api_key_id or ANONYMOUS_PRODUCER
    remaining = app.lambda_context.get_remaining_time_in_millis() / 1000 - RESPONSE_RESERVE_SECONDS
    outcome = ingest_service().ingest(
        events,
        producer=producer,
        request_id=request.request_context.request_id,
        time_budget_seconds=remaining,
    )
    status = batch_status(outcome)
    publish_batch_metrics(metrics, outcome)
    logger.info(
        "batch ingested",
        extra={
            "status": int(status),
            "producer": producer,
            "events": len(outcome.results),
            "accepted": outcome.count(EventStatus.ACCEPTED),
            "rejected": outcome.count(EventStatus.REJECTED),
            "failed": outcome.count(EventStatus.FAILED),
            "rejected_by_reason": outcome.rejected_by_reason,
            "put_calls": outcome.put.calls,
            "retried_records": outcome.put.retried_records,
        },
    )
    if outcome.put.failed:
        logger.warning(
            "log refused records after retries",
            extra={"error_codes": sorted(set(outcome.put.failed.values()))},
        )
    if outcome.rejected_by_reason and logger.log_level <= logging.DEBUG:
        logger.debug(
            "rejected events",
            extra={
                "errors": {
                    r.index: [str(e) for e in r.errors]
                    for r in outcome.results
                    if r.status is EventStatus.REJECTED
                }
            },
        )
    return _json_response(status, batch_body(outcome), batch_headers(status))


@app.exception_handler(Exception)
def unexpected_error(error: Exception) -> Response:
    logger.exception("unexpected error while ingesting")
    publish_unexpected_error(metrics)
    return _json_response(HTTPStatus.INTERNAL_SERVER_ERROR, message_body("internal error; retry the request"))


def _json_response(
    status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body=to_json(body),
        headers=headers or {"Cache-Control": "no-store"},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
