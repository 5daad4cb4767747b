"""Lambda entry point of the fan-out: the insights log (Kinesis, or MSK's `aws:kafka`) and the retry queue (SQS).

Deliveries of the whole batch run in parallel first (`FanoutService`); Powertools' `BatchProcessor` then
turns each record's result into the `batchItemFailures` response (ReportBatchItemFailures), so only the
records that could not be settled are delivered again. On an MSK event source mapping (records grouped
by topic-partition, base64 values) a failed record is reported as `{"partition": "<topic>-<partition>",
"offset": n}`, the identifier Lambda's Kafka ESM reads when ReportBatchItemFailures is on (provisioned
mode); Lambda then retries from the lowest failed offset of that partition.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kafka_event import KafkaEventRecord
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.fanout.delivery_metrics import publish
from lambdas.fanout.runtime import fanout_service
from lambdas.fanout.service import BatchReport, InsightRecord, QueuedRecord

# Requests that change nothing publish no metrics; that is expected, not worth a warning per call.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service="fanout")
tracer = Tracer(service="fanout")
metrics = Metrics(namespace="KappaCommerce", service="fanout")

_kinesis = BatchProcessor(event_type=EventType.KinesisDataStreams, logger=logger)
_sqs = BatchProcessor(event_type=EventType.SQS, logger=logger)
_kafka = BatchProcessor(event_type=EventType.Kafka, logger=logger)
KAFKA_EVENT_SOURCE = "aws:kafka"


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("eventSource") == KAFKA_EVENT_SOURCE:
        return _kafka_batch(event, context)
    records = event.get("Records") or []
    if not records:
        return {"batchItemFailures": []}
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000
    source = records[0].get("eventSource")
    if source == "aws:kinesis":
        kinesis = [KinesisStreamRecord(r) for r in records]
        report = fanout_service().deliver_insights(
            [InsightRecord(r.kinesis.sequence_number, r.kinesis.data_as_bytes()) for r in kinesis],
            deadline=deadline,
        )
        return _respond(event, len(records), report, _kinesis, lambda r: r.kinesis.sequence_number, context)
    if source == "aws:sqs":
        queued = [SQSRecord(r) for r in records]
        report = fanout_service().deliver_retries(
            [QueuedRecord(r.message_id, r.body) for r in queued], deadline=deadline
        )
        return _respond(event, len(records), report, _sqs, lambda r: r.message_id, context)
    raise ValueError(f"unexpected event source {source!r}: the fan-out reads aws:kinesis and aws:sqs records")


def _kafka_batch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """An MSK batch: every topic-partition's records become InsightRecords keyed `<topic>-<partition>-<offset>`."""
    records = [KafkaEventRecord(r) for group in (event.get("records") or {}).values() for r in group]
    if not records:
        return {"batchItemFailures": []}
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000
    report = fanout_service().deliver_insights(
        [InsightRecord(kafka_record_id(r), r.decoded_value) for r in records], deadline=deadline
    )
    return _respond(event, len(records), report, _kafka, kafka_record_id, context)


def kafka_record_id(record: KafkaEventRecord) -> str:
    return f"{record.topic}-{record.partition}-{record.offset}"


def _respond(
    event: dict[str, Any],
    count: int,
    report: BatchReport,
    processor: BatchProcessor,
    key: Any,
    context: Any,
) -> Any:
    publish(report.tally, metrics)
    logger.info(
        "Batch settled",
        extra={
            "records": count,
            "failed_records": len(report.failures),
            "outcomes": dict(report.tally.outcomes),
            "attempts": report.tally.attempts,
            "duplicates_skipped": report.tally.duplicates_skipped,
        },
    )
    return process_partial_response(
        event=event,
        record_handler=lambda record: report.raise_if_failed(key(record)),
        processor=processor,
        context=context,
    )
