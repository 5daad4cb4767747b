"""The log on MSK Serverless: partitions for the peak, and the month's cluster, partition, data and storage lines.

MSK Serverless bills a cluster-hour, a partition-hour per leader partition of every topic, each GB written
and each GB read (per consumer group, bytes as sent: no per-record rounding like Kinesis), and the retained
data per GB-month. The cluster lives in a VPC, so the deployment also pays for its interface endpoints
(`stacks/constructs/kafka_log.py`: STS, Lambda, SQS, X-Ray in every zone).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from kappa.planning.figures import number
from kappa.planning.workload import GB, HOURS_PER_MONTH, MIB, SECONDS_PER_MONTH

PARTITION_WRITE_MIB_PER_SECOND = Decimal(5)
PARTITION_READ_MIB_PER_SECOND = Decimal(10)
"""MSK Serverless quotas per partition: 5 MiB/s written, 10 MiB/s read (all consumer groups together)."""
CLUSTER_WRITE_MIB_PER_SECOND = Decimal(200)
CLUSTER_READ_MIB_PER_SECOND = Decimal(400)
"""MSK Serverless quotas per cluster: 200 MiB/s written, 400 MiB/s read."""


class Usage(NamedTuple):
    """A month's use of one billing dimension, with its formula; `estimate` prices it."""

    service: str
    item: str
    price_key: str
    quantity: Decimal
    formula: str


@dataclass(frozen=True, kw_only=True)
class TopicSizing:
    """Partitions one topic needs at its peak: the configured count, or more when a quota needs them."""

    name: str
    peak_write_mib_per_second: Decimal
    consumers: int
    configured: int
    by_write_bytes: int
    by_read_bytes: int

    @property
    def partitions(self) -> int:
        return max(self.configured, self.by_write_bytes, self.by_read_bytes)

    @property
    def rule(self) -> str:
        return (
            f"{self.name}: partitions = max({self.configured} configured, ⌈{number(self.peak_write_mib_per_second)} "
            f"MiB/s ÷ 5⌉ = {self.by_write_bytes}, ⌈{self.consumers} × {number(self.peak_write_mib_per_second)} "
            f"MiB/s ÷ 10⌉ = {self.by_read_bytes}) = {self.partitions}"
        )


def size_topic(
    *, name: str, peak_records_per_second: Decimal, record_bytes: int, consumers: int, configured: int
) -> TopicSizing:
    """Partitions = max(configured, ⌈peak MiB/s ÷ 5⌉, ⌈consumers × peak MiB/s ÷ 10⌉) (per-partition quotas)."""
    write_mib = peak_records_per_second * record_bytes / MIB
    return TopicSizing(
        name=name,
        peak_write_mib_per_second=write_mib,
        consumers=consumers,
        configured=configured,
        by_write_bytes=math.ceil(write_mib / PARTITION_WRITE_MIB_PER_SECOND),
        by_read_bytes=math.ceil(consumers * write_mib / PARTITION_READ_MIB_PER_SECOND),
    )


@dataclass(frozen=True, kw_only=True)
class MskTraffic:
    """What the two topics carry: average and peak records/s, record sizes and consumer groups."""

    raw_records_per_second: Decimal
    raw_peak_records_per_second: Decimal
    raw_record_bytes: int
    raw_consumers: int
    raw_partitions: int
    insights_records_per_second: Decimal
    insights_peak_records_per_second: Decimal
    insights_record_bytes: int
    insights_consumers: int
    insights_partitions: int
    retention_hours: int
    interface_endpoints: int
    availability_zones: int


@dataclass(frozen=True, kw_only=True)
class MskPlan:
    """The log on one MSK Serverless cluster: both topics' sizing and the priced lines."""

    raw: TopicSizing
    insights: TopicSizing
    usage: tuple[Usage, ...]
    peak_write_mib_per_second: Decimal
    peak_read_mib_per_second: Decimal

    @property
    def partitions(self) -> int:
        return self.raw.partitions + self.insights.partitions


def msk_plan(t: MskTraffic) -> MskPlan:
    """Size both topics for the peak and price a month of the cluster (both topics share it)."""
    raw = size_topic(
        name="raw topic",
        peak_records_per_second=t.raw_peak_records_per_second,
        record_bytes=t.raw_record_bytes,
        consumers=t.raw_consumers,
        configured=t.raw_partitions,
    )
    insights = size_topic(
        name="insights topic",
        peak_records_per_second=t.insights_peak_records_per_second,
        record_bytes=t.insights_record_bytes,
        consumers=t.insights_consumers,
        configured=t.insights_partitions,
    )
    partitions = raw.partitions + insights.partitions
    raw_gb = t.raw_records_per_second * t.raw_record_bytes * SECONDS_PER_MONTH / GB
    insights_gb = t.insights_records_per_second * t.insights_record_bytes * SECONDS_PER_MONTH / GB
    bytes_per_second = (
        t.raw_records_per_second * t.raw_record_bytes
        + t.insights_records_per_second * t.insights_record_bytes
    )
    endpoints = t.interface_endpoints * t.availability_zones
    service = "MSK Serverless log"
    usage = (
        Usage(
            service,
            "cluster-hours",
            "msk_serverless.cluster_hours",
            HOURS_PER_MONTH,
            f"1 cluster × {number(HOURS_PER_MONTH)} h",
        ),
        Usage(
            service,
            "partition-hours",
            "msk_serverless.partition_hours",
            partitions * HOURS_PER_MONTH,
            f"({raw.partitions} raw + {insights.partitions} insights partitions) × {number(HOURS_PER_MONTH)} h",
        ),
        Usage(
            service,
            "data in",
            "msk_serverless.data_in_gb",
            raw_gb + insights_gb,
            f"({number(t.raw_records_per_second)} events/s × {number(t.raw_record_bytes)} B + "
            f"{number(t.insights_records_per_second)} insights/s × {number(t.insights_record_bytes)} B) × "
            f"{number(SECONDS_PER_MONTH)} s ÷ 2^30",
        ),
        Usage(
            service,
            "data out",
            "msk_serverless.data_out_gb",
            raw_gb * t.raw_consumers + insights_gb * t.insights_consumers,
            f"{number(raw_gb)} GB × {t.raw_consumers} raw consumers + {number(insights_gb)} GB × "
            f"{t.insights_consumers} insights consumer(s)",
        ),
        Usage(
            service,
            f"storage ({t.retention_hours} h retained)",
            "msk_serverless.storage_gb_months",
            bytes_per_second * t.retention_hours * 3600 / GB,
            f"{number(bytes_per_second / MIB)} MiB/s × {t.retention_hours} h × 3,600 s ÷ 2^30 (held all month)",
        ),
        Usage(
            "MSK network",
            "VPC interface endpoints",
            "vpc.interface_endpoint_hours",
            Decimal(endpoints) * HOURS_PER_MONTH,
            f"{t.interface_endpoints} endpoints (STS, Lambda, SQS, X-Ray) × {t.availability_zones} zones × "
            f"{number(HOURS_PER_MONTH)} h",
        ),
    )
    peak_write = raw.peak_write_mib_per_second + insights.peak_write_mib_per_second
    peak_read = (
        raw.peak_write_mib_per_second * t.raw_consumers
        + insights.peak_write_mib_per_second * t.insights_consumers
    )
    return MskPlan(
        raw=raw,
        insights=insights,
        usage=usage,
        peak_write_mib_per_second=peak_write,
        peak_read_mib_per_second=peak_read,
    )
