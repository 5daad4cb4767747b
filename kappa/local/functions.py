"""The Lambda functions and API methods the stacks define, as the local runtime runs them.

Handler paths, environment variable names and limits come from the same places the stacks use (the
handlers' settings modules, the webhook resources helper, `AppConfig`), so the local runtime configures
the real code the way a deployment does. Locally only: loopback webhook targets are allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kappa.local.api_gateway import Route
from kappa.local.function_host import FunctionSpec
from stacks.config import AppConfig

INGEST = "ingest"
WEBHOOKS_API = "webhooks_api"
FANOUT = "fanout"
HANDLERS = {
    INGEST: "lambdas.ingest.handler.handler",
    WEBHOOKS_API: "lambdas.webhooks_api.handler.handler",
    FANOUT: "lambdas.fanout.handler.handler",
}
POWERTOOLS_METRICS_NAMESPACE = "KappaCommerce"


def api_routes() -> list[Route]:
    """`POST /v1/events` (with the stack's request model) and the webhook management API."""
    return [
        Route("POST", "/v1/events", INGEST, _event_batch_model()),
        Route("POST", "/v1/webhooks", WEBHOOKS_API),
        Route("GET", "/v1/webhooks", WEBHOOKS_API),
        Route("GET", "/v1/webhooks/{id}", WEBHOOKS_API),
        Route("PATCH", "/v1/webhooks/{id}", WEBHOOKS_API),
        Route("DELETE", "/v1/webhooks/{id}", WEBHOOKS_API),
        Route("POST", "/v1/webhooks/{id}/rotate-secret", WEBHOOKS_API),
        Route("GET", "/v1/webhooks/{id}/deliveries", WEBHOOKS_API),
    ]


def _event_batch_model() -> dict[str, Any] | None:
    try:
        from stacks.constructs.request_models import event_batch_model
    except ImportError:
        return None
    return event_batch_model()


def function_specs(
    config: AppConfig,
    *,
    aws_environment: Mapping[str, str],
    webhook_environment: Mapping[str, str],
    admin_key_ids: list[str],
    handlers: Mapping[str, str] | None = None,
    ingest_log_environment: Mapping[str, str] | None = None,
) -> dict[str, FunctionSpec]:
    """One spec per function, keyed by `INGEST`, `WEBHOOKS_API`, `FANOUT`.

    `ingest_log_environment` is the ingestion function's log settings when the log is not the raw stream
    (`LOG_BACKEND=kafka`, bootstrap servers, topic, security: `kappa.local.kafka_log.ingest_environment`).
    """
    from lambdas.ingest import settings as ingest_settings
    from lambdas.webhooks_common import environment as webhook_settings

    handlers = {**HANDLERS, **(handlers or {})}
    delivery = config.delivery
    common = {
        **aws_environment,
        "POWERTOOLS_METRICS_NAMESPACE": POWERTOOLS_METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    webhooks = {
        **common,
        **webhook_environment,
        webhook_settings.ALLOW_LOOPBACK_TARGETS: "true",
        webhook_settings.CONNECT_TIMEOUT_SECONDS: f"{delivery.connect_timeout_seconds:g}",
        webhook_settings.READ_TIMEOUT_SECONDS: f"{delivery.read_timeout_seconds:g}",
        webhook_settings.SECRET_ROTATION_GRACE_HOURS: str(delivery.secret_rotation_grace_hours),
        webhook_settings.DELIVERY_LOG_TTL_DAYS: str(delivery.delivery_log_ttl_days),
    }
    return {
        INGEST: FunctionSpec(
            name=config.names.ingest_function,
            handler=handlers[INGEST],
            environment={
                **common,
                "POWERTOOLS_SERVICE_NAME": "ingest",
                ingest_settings.RAW_STREAM_NAME_ENV: config.names.raw_stream,
                ingest_settings.PUT_RECORDS_TIME_BUDGET_ENV: f"{config.ingestion.put_records_time_budget_seconds:g}",
                **(ingest_log_environment or {}),
            },
            timeout_seconds=config.ingestion.function.timeout_seconds,
            memory_mb=config.ingestion.function.memory_mb,
            max_concurrency=2,
        ),
        WEBHOOKS_API: FunctionSpec(
            name=config.names.webhooks_api_function,
            handler=handlers[WEBHOOKS_API],
            environment={
                **webhooks,
                "POWERTOOLS_SERVICE_NAME": "webhooks-api",
                webhook_settings.ADMIN_API_KEY_IDS: ",".join(admin_key_ids),
            },
            timeout_seconds=delivery.api_function.timeout_seconds,
            memory_mb=delivery.api_function.memory_mb,
        ),
        FANOUT: FunctionSpec(
            name=config.names.fanout_function,
            handler=handlers[FANOUT],
            environment={
                **webhooks,
                "POWERTOOLS_SERVICE_NAME": "fanout",
                webhook_settings.MAX_CONCURRENCY: str(delivery.max_concurrency),
                webhook_settings.MAX_CONCURRENCY_PER_SUBSCRIBER: str(delivery.max_concurrency_per_subscriber),
            },
            timeout_seconds=delivery.function.timeout_seconds,
            memory_mb=delivery.function.memory_mb,
            max_concurrency=4,
        ),
    }
