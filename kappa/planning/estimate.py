"""The monthly estimate: sizes every hop with `capacity`, prices it with a `PriceBook`, shows each formula.

Usage-billed items (requests, GB, GB-seconds) use the workload's average rate over a 730-hour month;
capacity (shards, KPUs) is sized for the peak rate. Each line prices one billing dimension, rounded to the
cent, and the total is the sum of the lines shown.

>>> from kappa.planning import Workload, estimate, load_prices
>>> plan = estimate(Workload(events_per_second=10_000), load_prices("us-east-1"))
>>> plan.total > 0
True
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from kappa.planning import capacity, msk
from kappa.planning.capacity import ShardSizing
from kappa.planning.figures import number, price_breakdown, short, to_cents
from kappa.planning.msk import MskPlan, MskTraffic
from kappa.planning.prices import PriceBook
from kappa.planning.workload import (
    GB,
    HOURS_PER_MONTH,
    MIB,
    SECONDS_PER_DAY,
    SECONDS_PER_MONTH,
    Assumptions,
    Workload,
)

StreamMode = Literal["provisioned", "on_demand"]
LogBackend = Literal["kinesis", "msk"]
LOG_BACKENDS: tuple[LogBackend, ...] = ("kinesis", "msk")
LOG_PRICE_PREFIXES = ("kinesis.", "msk_serverless.", "vpc.")
"""Price items that belong to the log: what differs between the backends."""
KINESIS_EXTENDED_RETENTION_HOURS = 168
"""Kinesis prices retention in three bands: the first 24 h are included, up to 7 days is 'extended',
beyond 7 days is 'long-term' storage."""
LAMBDA_DEFAULT_CONCURRENCY = 1000
API_GATEWAY_DEFAULT_RPS = 10_000
SHARD_QUOTA = 500
FLINK_KPU_QUOTA = 64
FLINK_MAX_PARALLELISM = 256
ON_DEMAND_INITIAL_MIB_PER_SECOND = Decimal(4)
ON_DEMAND_INITIAL_RECORDS_PER_SECOND = Decimal(4000)
ON_DEMAND_MAX_MIB_PER_SECOND = Decimal(200)
ON_DEMAND_MAX_RECORDS_PER_SECOND = Decimal(200_000)

EXCLUDED = (
    "AWS Free Tier, Savings Plans and negotiated discounts",
    "taxes and AWS Support",
    "X-Ray traces (sampled: ~1 request/s plus 5% per function)",
    "KMS keys and requests (stream, bucket and topic encryption)",
    "Secrets Manager and CloudWatch API calls (secrets are cached per container)",
    "Managed Flink durable application backups (snapshots, $/GB-month of state)",
    "S3 GET requests and Glacier retrievals for replays beyond the stream's retention",
    "Kinesis enhanced fan-out (not used: consumers poll)",
    "data transfer into AWS and between services in one region (free)",
)


@dataclass(frozen=True, kw_only=True)
class LineItem:
    """One priced billing dimension: how much of it a month uses, how that was derived, and its cost."""

    service: str
    item: str
    quantity: Decimal
    unit: str
    formula: str
    price: str
    price_key: str
    cost: Decimal


@dataclass(frozen=True, kw_only=True)
class StreamPlan:
    """One Kinesis stream priced both ways; the cheaper capacity mode is the recommendation."""

    name: str
    avg_records_per_second: Decimal
    record_bytes: int
    sizing: ShardSizing
    provisioned: tuple[LineItem, ...]
    on_demand: tuple[LineItem, ...]

    @property
    def provisioned_cost(self) -> Decimal:
        return sum((line.cost for line in self.provisioned), Decimal(0))

    @property
    def on_demand_cost(self) -> Decimal:
        return sum((line.cost for line in self.on_demand), Decimal(0))

    @property
    def recommended_mode(self) -> StreamMode:
        return "provisioned" if self.provisioned_cost <= self.on_demand_cost else "on_demand"

    @property
    def recommended_lines(self) -> tuple[LineItem, ...]:
        return self.provisioned if self.recommended_mode == "provisioned" else self.on_demand


@dataclass(frozen=True, kw_only=True)
class Capacity:
    """What to deploy for the peak: shards, KPUs and the concurrency the functions will reach."""

    raw_stream: StreamPlan
    insights_stream: StreamPlan
    flink_kpus: int
    flink_billed_kpus: int
    flink_parallelism: int
    peak_api_requests_per_second: Decimal
    ingest_peak_concurrency: int
    fanout_pollers: int
    msk: MskPlan
    """The log sized for MSK Serverless (priced only when the estimate's backend is `msk`)."""


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """A month of the pipeline for one workload in one region."""

    workload: Workload
    assumptions: Assumptions
    prices: PriceBook
    lines: tuple[LineItem, ...]
    capacity: Capacity
    log_backend: LogBackend = "kinesis"
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = field(default=EXCLUDED)

    @property
    def total(self) -> Decimal:
        return sum((line.cost for line in self.lines), Decimal(0))

    @property
    def events_per_month(self) -> Decimal:
        return self.workload.events_per_month

    @property
    def log_cost(self) -> Decimal:
        """The lines of the log itself (streams, or the MSK cluster and its endpoints): what the backends change."""
        return sum((line.cost for line in self.log_lines), Decimal(0))

    @property
    def log_lines(self) -> tuple[LineItem, ...]:
        return tuple(line for line in self.lines if line.price_key.startswith(LOG_PRICE_PREFIXES))

    @property
    def cost_per_million_events(self) -> Decimal:
        """Monthly total ÷ millions of events, to 1/100 of a cent (it is often below a dollar)."""
        return (self.total / (self.events_per_month / 1_000_000)).quantize(Decimal("0.0001"))

    def service_totals(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            totals[line.service] += line.cost
        return dict(totals)


class _Bill:
    """Prices lines against one price book, carrying each tiered item's usage from line to line."""

    def __init__(self, prices: PriceBook) -> None:
        self.prices = prices
        self.billed: dict[str, Decimal] = defaultdict(Decimal)

    def line(
        self, service: str, item: str, key: str, quantity: Decimal, formula: str, *, tally: bool = True
    ) -> LineItem:
        price_item = self.prices[key]
        already = self.billed[key] if tally else Decimal(0)
        if tally:
            self.billed[key] += quantity
        return LineItem(
            service=service,
            item=item,
            quantity=quantity,
            unit=price_item.unit,
            formula=formula,
            price=price_breakdown(price_item, quantity, already_billed=already),
            price_key=key,
            cost=to_cents(price_item.cost(quantity, already_billed=already)),
        )


def estimate(
    workload: Workload,
    prices: PriceBook,
    assumptions: Assumptions | None = None,
    *,
    log_backend: LogBackend = "kinesis",
) -> Estimate:
    """Size and price the whole pipeline for `workload` with the unit prices in `prices`.

    `log_backend` chooses the log: Kinesis (two streams, each in its cheaper capacity mode) or one MSK
    Serverless cluster holding both topics, with the VPC endpoints it needs.
    """
    if log_backend not in LOG_BACKENDS:
        raise ValueError(f"log backend must be one of {', '.join(LOG_BACKENDS)}, not {log_backend!r}")
    a = assumptions or Assumptions()
    w = workload
    bill = _Bill(prices)
    lines: list[LineItem] = []
    month = SECONDS_PER_MONTH
    eps = w.events_per_second

    # API Gateway and the ingestion Lambda: one request (= one invocation) per batch of events.
    requests = w.events_per_month / w.events_per_request
    lines.append(
        bill.line(
            "API Gateway",
            "REST API requests",
            "apigateway.rest_requests",
            requests,
            f"{number(eps)} events/s × {number(month)} s ÷ {w.events_per_request} events/request",
        )
    )
    ingest_ms = a.ingest_ms_per_request + a.ingest_ms_per_event * w.events_per_request
    ingest_gb_seconds = requests * ingest_ms / 1000 * Decimal(a.ingest_memory_mb) / 1024
    lines += [
        bill.line("Lambda ingest", "requests", "lambda.requests", requests, "one invocation per API request"),
        bill.line(
            "Lambda ingest",
            "arm64 duration",
            "lambda.arm64_gb_seconds",
            ingest_gb_seconds,
            f"{short(requests)} invocations × ({number(a.ingest_ms_per_request)} ms + {w.events_per_request} "
            f"events × {number(a.ingest_ms_per_event)} ms) × {number(a.ingest_memory_mb)} MB ÷ 1,024",
        ),
    ]

    # The raw stream: every accepted event is one record.
    raw = _stream_plan(
        bill,
        name="raw stream",
        records_per_second=eps,
        peak_records_per_second=w.peak_events_per_second,
        record_bytes=w.avg_event_bytes,
        consumers=a.raw_stream_consumers,
        retention_hours=w.stream_retention_hours,
    )
    msk_log = msk.msk_plan(
        MskTraffic(
            raw_records_per_second=eps,
            raw_peak_records_per_second=w.peak_events_per_second,
            raw_record_bytes=w.avg_event_bytes,
            raw_consumers=a.raw_stream_consumers,
            raw_partitions=a.msk_raw_partitions,
            insights_records_per_second=eps * w.insights_per_event,
            insights_peak_records_per_second=w.peak_events_per_second * w.insights_per_event,
            insights_record_bytes=w.avg_insight_bytes,
            insights_consumers=a.insights_stream_consumers,
            insights_partitions=a.msk_insights_partitions,
            retention_hours=w.stream_retention_hours,
            interface_endpoints=a.msk_interface_endpoints,
            availability_zones=a.msk_availability_zones,
        )
    )
    if log_backend == "kinesis":
        lines += raw.recommended_lines
    else:
        lines += [bill.line(*usage) for usage in msk_log.usage]

    # Firehose archive to S3.
    firehose_bytes = capacity.firehose_billed_bytes(w.avg_event_bytes)
    lines.append(
        bill.line(
            "Firehose archive",
            "data ingested",
            "firehose.ingested_gb",
            w.events_per_month * firehose_bytes / GB,
            f"{short(w.events_per_month)} records × {number(firehose_bytes)} B "
            f"(⌈{number(w.avg_event_bytes)} B ÷ 5 KiB⌉ × 5 KiB) ÷ 2^30",
        )
    )
    lines += _archive_lines(bill, w, a)

    # Managed Flink.
    kpus = capacity.flink_kpus(
        peak_events_per_second=w.peak_events_per_second, events_per_kpu=w.events_per_kpu
    )
    lines += [
        bill.line(
            "Managed Flink",
            "KPU-hours",
            "flink.kpu_hours",
            (kpus + 1) * HOURS_PER_MONTH,
            f"({kpus} KPU{'s' if kpus > 1 else ''} = ⌈{number(w.peak_events_per_second)} peak events/s ÷ "
            f"{number(w.events_per_kpu)} per KPU⌉ + 1 orchestration KPU) × {number(HOURS_PER_MONTH)} h",
        ),
        bill.line(
            "Managed Flink",
            "running application storage",
            "flink.running_storage_gb_months",
            Decimal(kpus * a.flink_storage_gb_per_kpu),
            f"{kpus} KPU{'s' if kpus > 1 else ''} × {a.flink_storage_gb_per_kpu} GB",
        ),
    ]

    # The insights stream and the webhook fan-out.
    insights_per_second = eps * w.insights_per_event
    insights = _stream_plan(
        bill,
        name="insights stream",
        records_per_second=insights_per_second,
        peak_records_per_second=w.peak_events_per_second * w.insights_per_event,
        record_bytes=w.avg_insight_bytes,
        consumers=a.insights_stream_consumers,
        retention_hours=w.stream_retention_hours,
    )
    if log_backend == "kinesis":
        lines += insights.recommended_lines
    pollers = insights.sizing.shards * a.fanout_parallelization_factor
    invocations_per_second = capacity.fanout_invocations_per_second(
        insights_per_second=insights_per_second,
        batch_size=a.fanout_batch_size,
        pollers=pollers,
        batching_window_seconds=a.fanout_batching_window_seconds,
    )
    fanout_invocations = invocations_per_second * month
    deliveries = insights_per_second * w.deliveries_per_insight * month
    fanout_gb_seconds = (
        (fanout_invocations * a.fanout_ms_per_invocation + deliveries * a.fanout_ms_per_delivery)
        / 1000
        * Decimal(a.fanout_memory_mb)
        / 1024
    )
    lines += [
        bill.line(
            "Lambda fan-out",
            "requests",
            "lambda.requests",
            fanout_invocations,
            f"max({number(insights_per_second)} insights/s ÷ {a.fanout_batch_size} per batch, "
            f"min({number(insights_per_second)}, {pollers} pollers ÷ {max(a.fanout_batching_window_seconds, 1)} s "
            f"window)) × {number(month)} s",
        ),
        bill.line(
            "Lambda fan-out",
            "arm64 duration",
            "lambda.arm64_gb_seconds",
            fanout_gb_seconds,
            f"({short(fanout_invocations)} invocations × {number(a.fanout_ms_per_invocation)} ms + "
            f"{short(deliveries)} deliveries × {number(a.fanout_ms_per_delivery)} ms) × {number(a.fanout_memory_mb)} MB ÷ 1,024",
        ),
    ]
    lines += _webhook_lines(bill, w, a, fanout_invocations=fanout_invocations, deliveries=deliveries)
    lines += _cloudwatch_lines(bill, a, invocations=requests + fanout_invocations, kpus=kpus)

    ingest_seconds = ingest_ms / 1000
    peak_requests = w.peak_events_per_second / w.events_per_request
    cap = Capacity(
        raw_stream=raw,
        insights_stream=insights,
        flink_kpus=kpus,
        flink_billed_kpus=kpus + 1,
        flink_parallelism=kpus * a.flink_parallelism_per_kpu,
        peak_api_requests_per_second=peak_requests,
        ingest_peak_concurrency=math.ceil(peak_requests * ingest_seconds),
        fanout_pollers=pollers,
        msk=msk_log,
    )
    shown = tuple(line for line in lines if line.quantity > 0)
    return Estimate(
        workload=w,
        assumptions=a,
        prices=prices,
        lines=shown,
        capacity=cap,
        log_backend=log_backend,
        warnings=tuple(_warnings(cap, log_backend)),
        notes=tuple(_notes(w, shown, log_backend)),
    )


def _stream_plan(
    bill: _Bill,
    *,
    name: str,
    records_per_second: Decimal,
    peak_records_per_second: Decimal,
    record_bytes: int,
    consumers: int,
    retention_hours: int,
) -> StreamPlan:
    sizing = capacity.size_shards(
        peak_records_per_second=peak_records_per_second, record_bytes=record_bytes, consumers=consumers
    )
    records = records_per_second * SECONDS_PER_MONTH
    bytes_per_second = records_per_second * record_bytes
    extended_hours = min(retention_hours, KINESIS_EXTENDED_RETENTION_HOURS) - 24
    long_term_hours = max(0, retention_hours - KINESIS_EXTENDED_RETENTION_HOURS)
    long_term_gb_months = bytes_per_second * long_term_hours * 3600 / GB
    long_term_formula = (
        f"{number(bytes_per_second / MIB)} MiB/s × ({retention_hours} − {KINESIS_EXTENDED_RETENTION_HOURS}) h "
        f"× 3,600 s ÷ 2^30 (data older than 7 days, held all month)"
    )
    shards = sizing.shards

    def priced(mode: str, item: str, key: str, quantity: Decimal, formula: str) -> LineItem:
        # Both modes are priced but only one is billed: Kinesis prices are flat, nothing to carry over.
        return bill.line(f"Kinesis {name} ({mode})", item, key, quantity, formula, tally=False)

    provisioned = [
        priced(
            "provisioned",
            "shard-hours",
            "kinesis.provisioned_shard_hours",
            shards * HOURS_PER_MONTH,
            f"{shards} shard{'s' if shards > 1 else ''} × {number(HOURS_PER_MONTH)} h",
        ),
        priced(
            "provisioned",
            "PUT payload units",
            "kinesis.provisioned_put_payload_units",
            records * capacity.put_payload_units(record_bytes),
            f"{short(records)} records × {capacity.put_payload_units(record_bytes)} unit(s) "
            f"(⌈{number(record_bytes)} B ÷ 25 KiB⌉)",
        ),
        priced(
            "provisioned",
            f"extended retention ({retention_hours} h)",
            "kinesis.provisioned_extended_retention_shard_hours",
            shards * HOURS_PER_MONTH if extended_hours > 0 else Decimal(0),
            f"{shards} shard{'s' if shards > 1 else ''} × {number(HOURS_PER_MONTH)} h (retention beyond 24 h)",
        ),
        priced(
            "provisioned",
            "long-term retention",
            "kinesis.long_term_retention_gb_months",
            long_term_gb_months,
            long_term_formula,
        ),
    ]
    billed_bytes = capacity.on_demand_billed_bytes(record_bytes)
    data_gb = records * billed_bytes / GB
    on_demand = [
        priced(
            "on-demand",
            "stream-hours",
            "kinesis.on_demand_stream_hours",
            HOURS_PER_MONTH,
            f"1 stream × {number(HOURS_PER_MONTH)} h",
        ),
        priced(
            "on-demand",
            "data in",
            "kinesis.on_demand_data_in_gb",
            data_gb,
            f"{short(records)} records × {number(billed_bytes)} B (⌈{number(record_bytes)} B⌉ to 1 KiB) ÷ 2^30",
        ),
        priced(
            "on-demand",
            "data out",
            "kinesis.on_demand_data_out_gb",
            data_gb * consumers,
            f"{number(data_gb)} GB × {consumers} consumer{'s' if consumers > 1 else ''}",
        ),
        priced(
            "on-demand",
            f"extended retention ({retention_hours} h)",
            "kinesis.on_demand_extended_retention_gb_months",
            records_per_second * billed_bytes * max(extended_hours, 0) * 3600 / GB,
            f"{number(records_per_second)} records/s × {number(billed_bytes)} B × ({min(retention_hours, 168)} − 24) h "
            f"× 3,600 s ÷ 2^30",
        ),
        priced(
            "on-demand",
            "long-term retention",
            "kinesis.long_term_retention_gb_months",
            long_term_gb_months,
            long_term_formula,
        ),
    ]
    return StreamPlan(
        name=name,
        avg_records_per_second=records_per_second,
        record_bytes=record_bytes,
        sizing=sizing,
        provisioned=tuple(line for line in provisioned if line.quantity > 0),
        on_demand=tuple(line for line in on_demand if line.quantity > 0),
    )


def _archive_lines(bill: _Bill, w: Workload, a: Assumptions) -> list[LineItem]:
    input_bytes_per_second = w.events_per_second * w.avg_event_bytes
    gb_per_day = input_bytes_per_second * SECONDS_PER_DAY * a.archive_compression_ratio / GB
    per_day = (
        f"{number(gb_per_day)} GB/day ({number(w.events_per_second)} events/s × 86,400 s × "
        f"{number(w.avg_event_bytes)} B × {number(a.archive_compression_ratio)} GZIP ÷ 2^30)"
    )
    tiers = capacity.archive_tiers(
        retention_days=w.archive_retention_days,
        infrequent_access_after_days=a.archive_infrequent_access_after_days,
        glacier_after_days=a.archive_glacier_after_days,
    )
    objects_per_second = capacity.archive_objects_per_second(
        input_bytes_per_second=input_bytes_per_second,
        buffer_mb=a.firehose_buffer_mb,
        buffer_seconds=a.firehose_buffer_seconds,
    )
    objects = objects_per_second * SECONDS_PER_MONTH
    return [
        bill.line(
            "S3 archive",
            "Standard storage",
            "s3.standard_gb_months",
            gb_per_day * tiers.standard_days,
            f"{per_day} × {tiers.standard_days} days",
        ),
        bill.line(
            "S3 archive",
            "Standard-IA storage",
            "s3.standard_ia_gb_months",
            gb_per_day * tiers.infrequent_access_days,
            f"{number(gb_per_day)} GB/day × {tiers.infrequent_access_days} days",
        ),
        bill.line(
            "S3 archive",
            "Glacier Flexible Retrieval storage",
            "s3.glacier_flexible_gb_months",
            gb_per_day * tiers.glacier_days,
            f"{number(gb_per_day)} GB/day × {tiers.glacier_days} days",
        ),
        bill.line(
            "S3 archive",
            "PUT requests",
            "s3.put_requests",
            objects,
            f"max(1 ÷ {max(a.firehose_buffer_seconds, 1)} s, {number(input_bytes_per_second / MIB)} MiB/s ÷ "
            f"{a.firehose_buffer_mb} MiB buffer) objects/s × {number(SECONDS_PER_MONTH)} s",
        ),
        bill.line(
            "S3 archive",
            "lifecycle transitions to IA",
            "s3.transition_to_ia_requests",
            objects if tiers.infrequent_access_days else Decimal(0),
            f"each of {short(objects)} objects/month moves once",
        ),
        bill.line(
            "S3 archive",
            "lifecycle transitions to Glacier",
            "s3.transition_to_glacier_flexible_requests",
            objects if tiers.glacier_days else Decimal(0),
            f"each of {short(objects)} objects/month moves once",
        ),
    ]


def _webhook_lines(
    bill: _Bill, w: Workload, a: Assumptions, *, fanout_invocations: Decimal, deliveries: Decimal
) -> list[LineItem]:
    deliveries_per_second = deliveries / SECONDS_PER_MONTH
    return [
        bill.line(
            "Webhooks",
            "DynamoDB delivery-log writes",
            "dynamodb.on_demand_write_request_units",
            deliveries * a.delivery_log_writes_per_delivery,
            f"{short(deliveries)} deliveries × {a.delivery_log_writes_per_delivery} write unit",
        ),
        bill.line(
            "Webhooks",
            "DynamoDB subscription reads",
            "dynamodb.on_demand_read_request_units",
            fanout_invocations,
            f"{short(fanout_invocations)} fan-out invocations × 1 read unit (subscriptions per batch)",
        ),
        bill.line(
            "Webhooks",
            "DynamoDB delivery-log storage",
            "dynamodb.storage_gb_months",
            deliveries_per_second
            * SECONDS_PER_DAY
            * a.delivery_log_ttl_days
            * a.delivery_log_item_bytes
            / GB,
            f"{number(deliveries_per_second)} deliveries/s × 86,400 s × {a.delivery_log_ttl_days} days TTL × "
            f"{a.delivery_log_item_bytes} B ÷ 2^30",
        ),
        bill.line(
            "Webhooks",
            "SQS retry queue requests",
            "sqs.standard_requests",
            deliveries * a.delivery_retry_fraction * a.sqs_requests_per_retry,
            f"{short(deliveries)} deliveries × {number(a.delivery_retry_fraction * 100)}% retried × "
            f"{a.sqs_requests_per_retry} requests",
        ),
        bill.line(
            "Webhooks",
            "signing secrets",
            "secretsmanager.secrets",
            Decimal(a.webhook_subscriptions),
            f"{a.webhook_subscriptions} subscriptions × 1 secret",
        ),
        bill.line(
            "Webhooks",
            "data transfer out to subscribers",
            "data_transfer.out_to_internet_gb",
            deliveries * (w.avg_insight_bytes + a.webhook_request_overhead_bytes) / GB,
            f"{short(deliveries)} deliveries × ({number(w.avg_insight_bytes)} + "
            f"{a.webhook_request_overhead_bytes} B) ÷ 2^30",
        ),
    ]


def _cloudwatch_lines(bill: _Bill, a: Assumptions, *, invocations: Decimal, kpus: int) -> list[LineItem]:
    logs_gb = invocations * a.lambda_log_bytes_per_invocation / GB + kpus * a.flink_log_gb_per_kpu_month
    return [
        bill.line(
            "CloudWatch",
            "custom metrics",
            "cloudwatch.custom_metrics",
            Decimal(a.custom_metric_count),
            f"{a.custom_metric_count} metrics (ingest, fan-out, Flink counters; docs/monitoring.md)",
        ),
        bill.line(
            "CloudWatch",
            "logs ingested",
            "cloudwatch.logs_ingested_gb",
            logs_gb,
            f"{short(invocations)} Lambda invocations × {number(a.lambda_log_bytes_per_invocation)} B ÷ 2^30 + "
            f"{kpus} KPU{'s' if kpus > 1 else ''} × {number(a.flink_log_gb_per_kpu_month)} GB of Flink logs",
        ),
        bill.line(
            "CloudWatch",
            "logs stored",
            "cloudwatch.logs_stored_gb_months",
            logs_gb * a.log_retention_months,
            f"{number(logs_gb)} GB × {a.log_retention_months} month retention",
        ),
        bill.line(
            "CloudWatch",
            "dashboard",
            "cloudwatch.dashboards",
            Decimal(a.dashboards),
            "one pipeline dashboard",
        ),
        bill.line(
            "CloudWatch",
            "alarms",
            "cloudwatch.alarm_metrics",
            Decimal(a.alarm_metrics),
            f"{a.alarm_metrics} metrics evaluated by the monitoring stack's alarms",
        ),
    ]


def _warnings(cap: Capacity, log_backend: LogBackend) -> list[str]:
    found = []
    if cap.peak_api_requests_per_second > API_GATEWAY_DEFAULT_RPS:
        found.append(
            f"peak {number(cap.peak_api_requests_per_second)} API requests/s exceeds API Gateway's default "
            f"{API_GATEWAY_DEFAULT_RPS:,} requests/s per account and region: request a quota increase or "
            "batch more events per request"
        )
    concurrency = cap.ingest_peak_concurrency + cap.fanout_pollers
    if concurrency > LAMBDA_DEFAULT_CONCURRENCY:
        found.append(
            f"peak Lambda concurrency ~{concurrency:,} exceeds the default {LAMBDA_DEFAULT_CONCURRENCY:,} per "
            "account and region: request a quota increase"
        )
    if log_backend == "msk":
        found += _msk_warnings(cap.msk)
    for stream in (cap.raw_stream, cap.insights_stream) if log_backend == "kinesis" else ():
        sizing = stream.sizing
        if stream.recommended_mode == "provisioned" and sizing.shards > SHARD_QUOTA:
            found.append(
                f"{stream.name}: {sizing.shards:,} shards exceed the default shard quota ({SHARD_QUOTA} in "
                "us-east-1 and eu-west-1, 200 elsewhere): request an increase before deploying"
            )
        if stream.recommended_mode == "on_demand" and (
            sizing.peak_write_mib_per_second > ON_DEMAND_MAX_MIB_PER_SECOND
            or sizing.peak_records_per_second > ON_DEMAND_MAX_RECORDS_PER_SECOND
        ):
            found.append(
                f"{stream.name}: peak exceeds an on-demand stream's default maximum (200 MiB/s, 200,000 "
                "records/s): request an increase or use provisioned shards"
            )
        elif stream.recommended_mode == "on_demand" and (
            sizing.peak_write_mib_per_second > ON_DEMAND_INITIAL_MIB_PER_SECOND
            or sizing.peak_records_per_second > ON_DEMAND_INITIAL_RECORDS_PER_SECOND
        ):
            found.append(
                f"{stream.name}: a new on-demand stream starts at 4 MiB/s and 4,000 records/s and adapts to "
                "double its previous peak within ~15 minutes: create it provisioned at "
                f"{sizing.shards} shards and switch to on-demand, or ramp traffic up"
            )
    if cap.flink_billed_kpus > FLINK_KPU_QUOTA:
        found.append(
            f"Managed Flink: {cap.flink_billed_kpus} KPUs exceed the default {FLINK_KPU_QUOTA} KPUs per "
            "application: request a quota increase"
        )
    if cap.flink_parallelism > FLINK_MAX_PARALLELISM:
        found.append(
            f"Managed Flink: parallelism {cap.flink_parallelism} exceeds the maximum of {FLINK_MAX_PARALLELISM}: "
            "raise parallelism per KPU or split the job"
        )
    return found


def _msk_warnings(plan: MskPlan) -> list[str]:
    found = []
    if plan.peak_write_mib_per_second > msk.CLUSTER_WRITE_MIB_PER_SECOND:
        found.append(
            f"MSK Serverless: peak writes of {number(plan.peak_write_mib_per_second)} MiB/s exceed a cluster's "
            f"{number(msk.CLUSTER_WRITE_MIB_PER_SECOND)} MiB/s quota: split the log over clusters or use MSK "
            "provisioned"
        )
    if plan.peak_read_mib_per_second > msk.CLUSTER_READ_MIB_PER_SECOND:
        found.append(
            f"MSK Serverless: peak reads of {number(plan.peak_read_mib_per_second)} MiB/s exceed a cluster's "
            f"{number(msk.CLUSTER_READ_MIB_PER_SECOND)} MiB/s quota"
        )
    for topic in (plan.raw, plan.insights):
        if topic.partitions > topic.configured:
            found.append(
                f"MSK Serverless {topic.rule}: raise log.msk.{topic.name.split()[0]}_partitions to "
                f"{topic.partitions} (partitions are set when the topic is created)"
            )
    return found


def _notes(w: Workload, lines: tuple[LineItem, ...], log_backend: LogBackend) -> list[str]:
    total = sum((line.cost for line in lines), Decimal(0))
    notes = []
    if total > 0:
        by_service: dict[str, Decimal] = defaultdict(Decimal)
        for line in lines:
            by_service[line.service] += line.cost
        biggest = sorted(by_service.items(), key=lambda pair: pair[1], reverse=True)[:3]
        notes.append(
            "largest costs: " + ", ".join(f"{service} {cost / total:.0%}" for service, cost in biggest)
        )
    firehose_bytes = capacity.firehose_billed_bytes(w.avg_event_bytes)
    if firehose_bytes >= 2 * w.avg_event_bytes:
        notes.append(
            f"Firehose bills each {number(w.avg_event_bytes)}-byte event as {number(firehose_bytes)} bytes "
            f"({firehose_bytes / w.avg_event_bytes:.1f}×): archiving with a Flink file sink, or aggregating "
            "records before the archive, would cut that line (see docs/cost-planning.md)"
        )
    if log_backend == "msk":
        notes.append(
            "on MSK the Firehose archive reads the raw topic (MSK source); it is priced here like the Kinesis "
            "source, and the fan-out's Kafka event source mapping like the Kinesis one: verify both"
        )
    return notes
