"""Sizing rules at their edges: shard limits, billing increments, KPUs, fan-out batching, archive tiers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kappa.planning import capacity


@pytest.mark.parametrize(
    ("records_per_second", "record_bytes", "consumers", "shards"),
    [
        (0, 1024, 2, 1),  # an idle stream still has one shard
        (1000, 1024, 2, 1),  # exactly 1,000 records/s of 1 KiB = 0.98 MiB/s: one shard
        (1001, 1024, 2, 2),  # one record over the records/s limit
        (64, 16_384, 2, 1),  # exactly 1 MiB/s
        (65, 16_384, 2, 2),  # just over 1 MiB/s
        (64, 16_384, 3, 2),  # three consumers read 3 MiB/s > 2 MiB/s per shard
        (20_000, 1024, 2, 20),  # 19.53 MiB/s and 20,000 records/s
        (100, 102_400, 1, 10),  # 9.77 MiB/s of 100 KiB records: bytes decide
    ],
)
def test_provisioned_shards_follow_the_write_and_read_limits(
    records_per_second: int, record_bytes: int, consumers: int, shards: int
) -> None:
    sizing = capacity.size_shards(
        peak_records_per_second=Decimal(records_per_second), record_bytes=record_bytes, consumers=consumers
    )

    assert sizing.shards == shards
    assert sizing.rule.endswith(f"= {shards}")


def test_shard_rule_names_each_limit_with_its_value() -> None:
    sizing = capacity.size_shards(peak_records_per_second=Decimal(1500), record_bytes=1024, consumers=2)

    assert sizing.rule == (
        "shards = max(⌈1.46 MiB/s ÷ 1⌉ = 2, ⌈1,500 records/s ÷ 1,000⌉ = 2, "
        "⌈2 consumers × 1.46 MiB/s ÷ 2⌉ = 2, 1) = 2"
    )


@pytest.mark.parametrize(("record_bytes", "units"), [(1, 1), (25_600, 1), (25_601, 2), (1_048_576, 41)])
def test_put_payload_units_are_25_kib_chunks(record_bytes: int, units: int) -> None:
    assert capacity.put_payload_units(record_bytes) == units


@pytest.mark.parametrize(("record_bytes", "billed"), [(100, 1024), (1024, 1024), (1025, 2048)])
def test_on_demand_bills_records_rounded_up_to_1_kib(record_bytes: int, billed: int) -> None:
    assert capacity.on_demand_billed_bytes(record_bytes) == billed


@pytest.mark.parametrize(("record_bytes", "billed"), [(1, 5120), (5120, 5120), (5121, 10_240)])
def test_firehose_bills_records_rounded_up_to_5_kib(record_bytes: int, billed: int) -> None:
    assert capacity.firehose_billed_bytes(record_bytes) == billed


@pytest.mark.parametrize(
    ("peak", "per_kpu", "kpus"),
    [("1", 10_000, 1), ("10000", 10_000, 1), ("10001", 10_000, 2), ("95000", 10_000, 10)],
)
def test_flink_kpus_cover_the_peak(peak: str, per_kpu: int, kpus: int) -> None:
    assert capacity.flink_kpus(peak_events_per_second=Decimal(peak), events_per_kpu=per_kpu) == kpus


@pytest.mark.parametrize(
    ("insights_per_second", "pollers", "window", "invocations"),
    [
        ("1000", 2, 1, "10"),  # full batches of 100
        ("50", 4, 1, "4"),  # each poller fires once per window with a partial batch
        ("0.5", 4, 1, "0.5"),  # fewer insights than pollers: at most one invocation per insight
        ("50", 4, 0, "4"),  # no batching window: Lambda still polls about once a second
        ("0", 4, 1, "0"),
    ],
)
def test_fanout_invocations_are_full_batches_or_one_per_poller_and_window(
    insights_per_second: str, pollers: int, window: int, invocations: str
) -> None:
    result = capacity.fanout_invocations_per_second(
        insights_per_second=Decimal(insights_per_second),
        batch_size=100,
        pollers=pollers,
        batching_window_seconds=window,
    )

    assert result == Decimal(invocations)


def test_archive_objects_are_written_per_buffer_interval_or_buffer_size() -> None:
    # 100 KiB/s fills 64 MiB in 655 s, so the 60 s interval decides: 1/60 objects/s
    slow = capacity.archive_objects_per_second(
        input_bytes_per_second=Decimal(102_400), buffer_mb=64, buffer_seconds=60
    )
    # 128 MiB/s fills 64 MiB twice a second
    fast = capacity.archive_objects_per_second(
        input_bytes_per_second=Decimal(134_217_728), buffer_mb=64, buffer_seconds=60
    )

    assert slow == Decimal(1) / 60
    assert fast == 2


@pytest.mark.parametrize(
    ("retention", "standard", "infrequent", "glacier"),
    [(20, 20, 0, 0), (30, 30, 0, 0), (100, 30, 70, 0), (180, 30, 150, 0), (365, 30, 150, 185)],
)
def test_archive_days_split_by_lifecycle_rules(
    retention: int, standard: int, infrequent: int, glacier: int
) -> None:
    tiers = capacity.archive_tiers(
        retention_days=retention, infrequent_access_after_days=30, glacier_after_days=180
    )

    assert (tiers.standard_days, tiers.infrequent_access_days, tiers.glacier_days) == (
        standard,
        infrequent,
        glacier,
    )
