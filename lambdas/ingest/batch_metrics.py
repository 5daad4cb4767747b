"""The ingestion metrics (CloudWatch EMF, namespace `KappaCommerce`, dimension `service=ingest`).

The names are a contract with the monitoring stack's dashboard and alarms; change them only together.
"""

from __future__ import annotations

from typing import Final

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from lambdas.ingest.service import BatchOutcome, EventStatus

METRICS_NAMESPACE: Final = "KappaCommerce"
SERVICE_NAME: Final = "ingest"

EVENTS_ACCEPTED: Final = "EventsAccepted"
"""Events written to the log (status `accepted`)."""
EVENTS_REJECTED: Final = "EventsRejected"
"""Events that failed validation (status `rejected`)."""
EVENTS_REJECTED_BY_REASON: Final = "EventsRejectedByReason"
"""The same count split by dimension `reason` (see `rejections.REJECTION_REASONS`); dimensions service, reason."""
BATCH_SIZE: Final = "BatchSize"
"""Events per request that reached validation (one value per request)."""
PUT_RECORDS_RETRIES: Final = "PutRecordsRetries"
"""Record re-sends after the log refused them (a record retried twice counts two)."""
PUT_RECORDS_FAILED_EVENTS: Final = "PutRecordsFailedEvents"
"""Valid events the log still refused after the retries (status `failed`, the request answered 503)."""
REQUESTS_REFUSED: Final = "RequestsRefused"
"""Requests answered 400/413/415 before any event was looked at (bad JSON, envelope, size, type)."""
UNEXPECTED_ERRORS: Final = "UnexpectedErrors"
"""Requests answered 500 because of a bug or a misconfiguration (the log has the stack trace)."""


def publish_batch_metrics(metrics: Metrics, outcome: BatchOutcome) -> None:
    metrics.add_metric(name=BATCH_SIZE, unit=MetricUnit.Count, value=len(outcome.results))
    metrics.add_metric(name=EVENTS_ACCEPTED, unit=MetricUnit.Count, value=outcome.count(EventStatus.ACCEPTED))
    metrics.add_metric(name=EVENTS_REJECTED, unit=MetricUnit.Count, value=outcome.count(EventStatus.REJECTED))
    metrics.add_metric(name=PUT_RECORDS_RETRIES, unit=MetricUnit.Count, value=outcome.put.retried_records)
    metrics.add_metric(
        name=PUT_RECORDS_FAILED_EVENTS, unit=MetricUnit.Count, value=outcome.count(EventStatus.FAILED)
    )
    # A second dimension set needs its own EMF document: one per reason seen in this batch.
    for reason, count in sorted(outcome.rejected_by_reason.items()):
        with single_metric(
            name=EVENTS_REJECTED_BY_REASON,
            unit=MetricUnit.Count,
            value=count,
            namespace=METRICS_NAMESPACE,
            default_dimensions={"service": SERVICE_NAME},
        ) as metric:
            metric.add_dimension(name="reason", value=reason)


def publish_refused_request(metrics: Metrics) -> None:
    metrics.add_metric(name=REQUESTS_REFUSED, unit=MetricUnit.Count, value=1)


def publish_unexpected_error(metrics: Metrics) -> None:
    metrics.add_metric(name=UNEXPECTED_ERRORS, unit=MetricUnit.Count, value=1)
