"""Sizing rules: shards, KPUs, invocations, billed record sizes and archive tiers, as pure functions.

Every rule here is stated in its docstring the way `docs/cost-planning.md` states it, and takes Decimals so
that a boundary (exactly 1,000 records/s, exactly 1 MiB/s) lands on the side AWS puts it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from kappa.planning.workload import MIB

SHARD_WRITE_MIB_PER_SECOND = Decimal(1)
SHARD_WRITE_RECORDS_PER_SECOND = Decimal(1000)
SHARD_READ_MIB_PER_SECOND = Decimal(2)
"""Kinesis shard limits: 1 MiB/s or 1,000 records/s in, 2 MiB/s out shared by all polling consumers."""
PUT_PAYLOAD_UNIT_BYTES = 25 * 1024
ON_DEMAND_BILLING_INCREMENT_BYTES = 1024
FIREHOSE_BILLING_INCREMENT_BYTES = 5 * 1024


@dataclass(frozen=True, kw_only=True)
class ShardSizing:
    """How many provisioned shards a stream needs at its peak, and which limit decided it."""

    peak_records_per_second: Decimal
    peak_write_mib_per_second: Decimal
    consumers: int
    by_write_bytes: int
    by_write_records: int
    by_read_bytes: int

    @property
    def shards(self) -> int:
        return max(1, self.by_write_bytes, self.by_write_records, self.by_read_bytes)

    @property
    def rule(self) -> str:
        return (
            f"shards = max(⌈{_fmt(self.peak_write_mib_per_second)} MiB/s ÷ 1⌉ = {self.by_write_bytes}, "
            f"⌈{_fmt(self.peak_records_per_second)} records/s ÷ 1,000⌉ = {self.by_write_records}, "
            f"⌈{self.consumers} consumer{'s' if self.consumers != 1 else ''} × {_fmt(self.peak_write_mib_per_second)} MiB/s ÷ 2⌉ = "
            f"{self.by_read_bytes}, 1) = {self.shards}"
        )


def size_shards(*, peak_records_per_second: Decimal, record_bytes: int, consumers: int) -> ShardSizing:
    """Provisioned shards = max(⌈peak MiB/s ÷ 1⌉, ⌈peak records/s ÷ 1000⌉, ⌈consumers × peak MiB/s ÷ 2⌉, 1).

    Write limits are per shard (1 MiB/s, 1,000 records/s); polling consumers share 2 MiB/s of reads per
    shard, so two consumers reading everything need as many shards as the write side.
    """
    write_mib = peak_records_per_second * record_bytes / MIB
    return ShardSizing(
        peak_records_per_second=peak_records_per_second,
        peak_write_mib_per_second=write_mib,
        consumers=consumers,
        by_write_bytes=math.ceil(write_mib / SHARD_WRITE_MIB_PER_SECOND),
        by_write_records=math.ceil(peak_records_per_second / SHARD_WRITE_RECORDS_PER_SECOND),
        by_read_bytes=math.ceil(consumers * write_mib / SHARD_READ_MIB_PER_SECOND),
    )


def put_payload_units(record_bytes: int) -> int:
    """Provisioned Kinesis bills each record in 25 KiB PUT payload units (a 1 KiB record is one unit)."""
    return math.ceil(record_bytes / PUT_PAYLOAD_UNIT_BYTES)


def on_demand_billed_bytes(record_bytes: int) -> int:
    """On-demand Kinesis bills data in and out per record rounded up to the next 1 KiB."""
    return math.ceil(record_bytes / ON_DEMAND_BILLING_INCREMENT_BYTES) * ON_DEMAND_BILLING_INCREMENT_BYTES


def firehose_billed_bytes(record_bytes: int) -> int:
    """Firehose bills ingestion per record rounded up to the next 5 KiB."""
    return math.ceil(record_bytes / FIREHOSE_BILLING_INCREMENT_BYTES) * FIREHOSE_BILLING_INCREMENT_BYTES


def flink_kpus(*, peak_events_per_second: Decimal, events_per_kpu: int) -> int:
    """Processing KPUs = max(1, ⌈peak events/s ÷ events per KPU⌉); Managed Flink bills one more per app."""
    return max(1, math.ceil(peak_events_per_second / events_per_kpu))


def fanout_invocations_per_second(
    *, insights_per_second: Decimal, batch_size: int, pollers: int, batching_window_seconds: int
) -> Decimal:
    """Invocations/s = max(insights/s ÷ batch size, min(insights/s, pollers ÷ window)).

    A Kinesis event source mapping invokes once per full batch, but also once per batching window per
    poller (shard × parallelization factor) with whatever arrived, so light traffic means small batches.
    With no batching window Lambda still polls each shard about once a second.
    """
    if insights_per_second <= 0:
        return Decimal(0)
    window = Decimal(max(batching_window_seconds, 1))
    return max(insights_per_second / batch_size, min(insights_per_second, pollers / window))


def archive_objects_per_second(
    *, input_bytes_per_second: Decimal, buffer_mb: int, buffer_seconds: int
) -> Decimal:
    """Firehose writes one object per buffer: whichever of `buffer_mb` (before compression) or
    `buffer_seconds` fills first."""
    return max(Decimal(1) / max(buffer_seconds, 1), input_bytes_per_second / (buffer_mb * MIB))


@dataclass(frozen=True, kw_only=True)
class ArchiveTiers:
    """Days of archive held in each storage class once the archive has reached its retention."""

    standard_days: int
    infrequent_access_days: int
    glacier_days: int


def archive_tiers(
    *, retention_days: int, infrequent_access_after_days: int, glacier_after_days: int
) -> ArchiveTiers:
    """Split `retention_days` by the lifecycle rules: Standard until IA, IA until Glacier, Glacier after."""
    standard = min(retention_days, infrequent_access_after_days)
    infrequent = max(0, min(retention_days, glacier_after_days) - infrequent_access_after_days)
    glacier = max(0, retention_days - max(glacier_after_days, infrequent_access_after_days))
    return ArchiveTiers(standard_days=standard, infrequent_access_days=infrequent, glacier_days=glacier)


def _fmt(value: Decimal) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")
