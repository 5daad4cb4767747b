"""What is being planned: the validated workload (user inputs) and the stated assumptions behind every rule.

The workload is what `kappa plan` takes on the command line; the assumptions are the numbers we do not ask
for (Lambda durations, compression ratio, log volume, ...). Memory sizes, batch sizes and archive buffering
come from the deployment defaults in `stacks/config.py`, so the plan prices what the stacks deploy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from events.contract import INSIGHT_TYPES, MAX_EVENT_BYTES, MAX_EVENTS_PER_REQUEST
from stacks.config import ArchiveConfig, DeliveryConfig, IngestionConfig, MskConfig, ProcessingConfig

HOURS_PER_MONTH = Decimal(730)
"""AWS prices monthly usage over 730 hours."""
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
SECONDS_PER_DAY = Decimal(86_400)
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
GB = Decimal(2**30)
"""AWS bills data volume in GB of 2^30 bytes."""
KIB = 1024
MIB = Decimal(2**20)

DEFAULT_EVENTS_PER_KPU = 4_000
"""Events/s one KPU (1 vCPU) sustains for our job, deliberately conservative.

Managed Flink keeps state in RocksDB, whatever the job asks, so the figure comes from the job measured on
RocksDB (docs/benchmarks.md, *Issue 15, run 13*; `python -m bench.bench_flink_job --state-backend rocksdb`):
133 µs of CPU per event over the 2M-event benchmark log's second half (the state larger than in the first half)
on a fast day; the previous code measured 174 there the same day and 206 on run 12's slower machine, so on that
machine the job now costs about 206 × 133 / 174 ≈ 158 µs/event, ~6,300 events/s per fully busy vCPU. On Managed
Flink a KPU also reads the log, checkpoints to S3 and should keep headroom for catch-up after an outage, so we
plan for about two thirds of that (≈ 4,200, rounded down). (Run 12's code gave 3,000; on the heap backend,
which Managed Flink does not offer, the job measured 58–60 µs/event: the figure of 10,000 this default had
before.) Measure your job (`make bench`, or the Flink dashboard's busy time on a load test) and pass
`--events-per-kpu`.
"""

# Custom CloudWatch metrics we publish (EMF from Powertools, custom counters from Managed Flink):
# each distinct name + dimension set is one billed metric. Keep in step with docs/monitoring.md.
INGEST_REJECTION_REASONS_ASSUMED = 8
CUSTOM_METRICS: tuple[tuple[str, int], ...] = (
    (
        "ingest: EventsAccepted, EventsRejected, PutRecordsRetries, PutRecordsFailedEvents, BatchSize, ColdStart",
        6,
    ),
    (
        f"ingest: EventsRejectedByReason × ~{INGEST_REJECTION_REASONS_ASSUMED} reasons",
        INGEST_REJECTION_REASONS_ASSUMED,
    ),
    ("fan-out: Deliveries × 5 outcomes, DeliveryLatency, DeliveryAttempts, ColdStart", 8),
    (f"Flink: insights_<type> × {len(INSIGHT_TYPES)}, late_events, duplicate_events", len(INSIGHT_TYPES) + 2),
    ("webhooks API: ColdStart and request metrics", 3),
)
DASHBOARDS = 1
ALARM_METRICS = 12
"""Metrics evaluated by the alarms of `stacks/monitoring_stack.py` (a metric-math alarm bills each metric);
`tests/stacks/test_monitoring_stack.py` checks this number against the synthesized template."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Workload(_Frozen):
    """The traffic to plan for. Usage-billed items use the average rate, capacity (shards, KPUs) the peak."""

    events_per_second: Decimal = Field(gt=0, le=1_000_000, description="average events/s over the month")
    avg_event_bytes: int = Field(
        default=1024, ge=100, le=MAX_EVENT_BYTES, description="average size of one event on the raw stream"
    )
    peak_factor: Decimal = Field(default=Decimal(2), ge=1, le=20, description="peak rate ÷ average rate")
    events_per_request: int = Field(
        default=100, ge=1, le=MAX_EVENTS_PER_REQUEST, description="events producers batch per API request"
    )
    events_per_kpu: int = Field(
        default=DEFAULT_EVENTS_PER_KPU, ge=100, le=200_000, description="events/s one Flink KPU sustains"
    )
    insights_per_event: Decimal = Field(
        default=Decimal("0.05"), ge=0, le=5, description="insights the Flink job emits per input event"
    )
    avg_insight_bytes: int = Field(
        default=1024, ge=100, le=1_048_576, description="average size of one insight on the insights stream"
    )
    deliveries_per_insight: Decimal = Field(
        default=Decimal(1), ge=0, le=100, description="webhook subscribers an average insight is delivered to"
    )
    stream_retention_hours: int = Field(default=24, ge=24, le=8760, description="retention of both streams")
    archive_retention_days: int = Field(
        default=365, ge=1, le=3650, description="days the S3 archive keeps events (priced once it is full)"
    )

    @property
    def peak_events_per_second(self) -> Decimal:
        return self.events_per_second * self.peak_factor

    @property
    def events_per_month(self) -> Decimal:
        return self.events_per_second * SECONDS_PER_MONTH


@dataclass(frozen=True, kw_only=True)
class Assumptions:
    """Numbers the plan needs but does not ask for. Defaults follow `stacks/config.py` and our measurements."""

    ingest_memory_mb: int = IngestionConfig().function.memory_mb
    ingest_ms_per_request: Decimal = Decimal(20)
    """Fixed part of an ingest invocation: parsing, auth context, one PutRecords round trip."""
    ingest_ms_per_event: Decimal = Decimal("0.5")
    """Validation and enrichment of one event (jsonschema-rs validates in well under 0.1 ms)."""
    fanout_memory_mb: int = DeliveryConfig().function.memory_mb
    fanout_batch_size: int = DeliveryConfig().batch_size
    fanout_parallelization_factor: int = DeliveryConfig().parallelization_factor
    fanout_batching_window_seconds: int = DeliveryConfig().max_batching_window_seconds
    fanout_ms_per_invocation: Decimal = Decimal(50)
    fanout_ms_per_delivery: Decimal = Decimal(20)
    """Billed time per webhook delivery: ~200 ms subscriber latency with ~10 deliveries in flight."""
    raw_stream_consumers: int = 2
    """The Flink application and Firehose both read the raw stream."""
    insights_stream_consumers: int = 1
    """The fan-out event source mapping reads the insights stream."""
    firehose_buffer_seconds: int = ArchiveConfig().buffer_seconds
    firehose_buffer_mb: int = ArchiveConfig().buffer_mb
    archive_compression_ratio: Decimal = Decimal("0.2")
    """GZIP output ÷ input for newline-delimited event JSON (typically 0.1-0.2; conservative end)."""
    archive_infrequent_access_after_days: int = ArchiveConfig().infrequent_access_after_days
    archive_glacier_after_days: int = ArchiveConfig().glacier_after_days
    flink_parallelism_per_kpu: int = ProcessingConfig().parallelism_per_kpu
    flink_storage_gb_per_kpu: int = 50
    flink_log_gb_per_kpu_month: Decimal = Decimal(1)
    """Managed Flink application logs at INFO level."""
    lambda_log_bytes_per_invocation: int = 1536
    """START/END/REPORT lines, one EMF metrics document and one structured log line per invocation."""
    log_retention_months: int = 1
    """`PythonFunction` keeps Lambda logs one month."""
    delivery_log_writes_per_delivery: int = 1
    """The fan-out records each delivery in the delivery-log table (≤ 1 KB item = 1 write unit)."""
    delivery_log_item_bytes: int = 512
    delivery_log_ttl_days: int = DeliveryConfig().delivery_log_ttl_days
    delivery_retry_fraction: Decimal = Decimal("0.02")
    """Share of deliveries that fail once and go through the SQS retry queue."""
    sqs_requests_per_retry: int = 3
    """Send, receive and delete for each retried delivery."""
    webhook_subscriptions: int = 20
    """Each subscription has its own signing secret in Secrets Manager."""
    webhook_request_overhead_bytes: int = 600
    """HTTP request line, TLS records and the Standard Webhooks headers around each delivered insight."""
    msk_raw_partitions: int = MskConfig().raw_partitions
    msk_insights_partitions: int = MskConfig().insights_partitions
    """Partitions the stack creates the topics with; the plan raises them when a per-partition quota needs more."""
    msk_interface_endpoints: int = 4
    """STS, Lambda, SQS and X-Ray interface endpoints in the cluster's VPC (docs/log-backends.md)."""
    msk_availability_zones: int = 2
    """MSK Serverless needs subnets in at least two zones; each endpoint is billed per zone."""
    custom_metrics: tuple[tuple[str, int], ...] = field(default=CUSTOM_METRICS)
    dashboards: int = DASHBOARDS
    alarm_metrics: int = ALARM_METRICS

    @property
    def custom_metric_count(self) -> int:
        return sum(count for _, count in self.custom_metrics)


VALID_RANGES: dict[str, str] = {
    "events_per_second": "more than 0 and at most 1,000,000 events/s; beyond that the pipeline needs several "
    "streams and raised account quotas, which this planner does not model",
    "avg_event_bytes": f"100 to {MAX_EVENT_BYTES:,} bytes; the smallest valid event is ~150 bytes and the ingestion "
    f"API rejects events over {MAX_EVENT_BYTES:,} bytes",
    "peak_factor": "1 (flat traffic) to 20; for sharper peaks plan with the peak rate as --events-per-second",
    "events_per_request": f"1 to {MAX_EVENTS_PER_REQUEST}, the batch sizes the ingestion API accepts",
    "events_per_kpu": "100 to 200,000; a KPU is one vCPU and even SQL-only work measured at most ~400k events/s "
    "per core",
    "insights_per_event": "0 to 5",
    "avg_insight_bytes": "100 bytes to 1 MiB (the Kinesis record limit)",
    "deliveries_per_insight": "0 to 100 subscribers",
    "stream_retention_hours": "24 to 8,760 hours, what Kinesis allows",
    "archive_retention_days": "1 to 3,650 days",
}


def describe_validation_error(error: ValidationError) -> list[tuple[str, str]]:
    """Each invalid workload field with a plain-words problem: `(field, "must be ... (got x). Valid: ...")`."""
    problems = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"]) or "workload"
        message = problem["msg"].replace("Input should be", "must be")
        valid = VALID_RANGES.get(name)
        problems.append(
            (name, f"{message} (got {_shown(problem.get('input'))})" + (f". Valid: {valid}" if valid else ""))
        )
    return problems


def _shown(value: object) -> str:
    if isinstance(value, Decimal | float):
        text = f"{Decimal(str(value)):f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return repr(value)
