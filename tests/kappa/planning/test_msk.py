"""The log on MSK Serverless: partitions for the peak and the month's lines, against figures worked out by hand.

A month is 730 h = 2,628,000 s, a GB is 2^30 bytes; defaults: 1,024-byte events and insights, 0.05 insights
per event, 2 raw consumers (Flink, Firehose), 1 insights consumer (fan-out), 4 + 2 partitions as the stack
creates them, 4 interface endpoints in 2 zones.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kappa.planning import Workload, estimate, load_prices
from kappa.planning.msk import size_topic

MONTH_S = 2_628_000
GB = 2**30


@pytest.mark.parametrize(
    ("peak_records_per_second", "record_bytes", "consumers", "configured", "partitions"),
    [
        # 0.1 MiB/s: the configured 4 are plenty
        (100, 1024, 2, 4, 4),
        # 40,000 × 1,024 B = 39.0625 MiB/s: ⌈39.0625 ÷ 5⌉ = 8 to write, ⌈2 × 39.0625 ÷ 10⌉ = 8 to read
        (40_000, 1024, 2, 4, 8),
        # 10 MiB/s: ⌈10 ÷ 5⌉ = 2 to write, but 3 consumers read 30 MiB/s: ⌈30 ÷ 10⌉ = 3
        (10_240, 1024, 3, 1, 3),
        # exactly 5 MiB/s fits one partition (the quota is inclusive)
        (5_120, 1024, 1, 1, 1),
        # just over: a second partition
        (5_121, 1024, 1, 1, 2),
    ],
)
def test_partitions_follow_the_per_partition_quotas(
    peak_records_per_second: int, record_bytes: int, consumers: int, configured: int, partitions: int
) -> None:
    sizing = size_topic(
        name="raw topic",
        peak_records_per_second=Decimal(peak_records_per_second),
        record_bytes=record_bytes,
        consumers=consumers,
        configured=configured,
    )
    assert sizing.partitions == partitions
    assert sizing.rule.endswith(f"= {partitions}")


def _hand_bill(
    *, eps: int, cluster: str, partition: str, data_in: str, data_out: str, storage: str, endpoint: str,
    partitions: int = 6, retention_h: int = 24,
) -> dict[str, Decimal]:  # fmt: skip
    """The MSK lines for `eps` 1-KiB events/s worked out step by step (rounded to the cent like the bill)."""
    raw_gb = Decimal(eps * 1024 * MONTH_S) / GB
    insights_gb = Decimal(eps * 1024 * MONTH_S) / 20 / GB  # 0.05 insights per event
    stored_gb = Decimal(eps * 1024 * 105 // 100 * retention_h * 3600) / GB  # raw + insights bytes/s

    def cents(value: Decimal) -> Decimal:
        return value.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")

    return {
        "cluster-hours": cents(730 * Decimal(cluster)),
        "partition-hours": cents(partitions * 730 * Decimal(partition)),
        "data in": cents((raw_gb + insights_gb) * Decimal(data_in)),
        "data out": cents((raw_gb * 2 + insights_gb) * Decimal(data_out)),
        f"storage ({retention_h} h retained)": cents(stored_gb * Decimal(storage)),
        "VPC interface endpoints": cents(4 * 2 * 730 * Decimal(endpoint)),
    }


US = {"cluster": "0.75", "partition": "0.0015", "data_in": "0.10", "data_out": "0.05", "storage": "0.10",
      "endpoint": "0.01"}  # fmt: skip
EU = {"cluster": "0.84", "partition": "0.0017", "data_in": "0.11", "data_out": "0.055", "storage": "0.11",
      "endpoint": "0.011"}  # fmt: skip


@pytest.mark.parametrize(
    ("region", "eps", "retention_h", "expected"),
    [
        # 100 events/s: 250.63 GB raw + 12.53 GB insights in, 2 × 250.63 + 12.53 GB out, 8.65 GB stored;
        # 547.50 + 6.57 + 26.32 + 25.69 + 0.87 + 58.40 = 665.35
        (
            "us-east-1", 100, 24,
            {"cluster-hours": Decimal("547.50"), "partition-hours": Decimal("6.57"), "data in": Decimal("26.32"),
             "data out": Decimal("25.69"), "storage (24 h retained)": Decimal("0.87"),
             "VPC interface endpoints": Decimal("58.40")},
        ),
        ("us-east-1", 100, 24, _hand_bill(eps=100, **US)),
        ("eu-west-1", 100, 24, _hand_bill(eps=100, **EU)),
        # 20,000 events/s peak ×2 = 40,000 × 1 KiB = 39.06 MiB/s: the raw topic needs 8 partitions (8 + 2)
        ("us-east-1", 20_000, 168, _hand_bill(eps=20_000, partitions=10, retention_h=168, **US)),
    ],
)  # fmt: skip
def test_msk_lines_match_the_hand_computed_bill(
    region: str, eps: int, retention_h: int, expected: dict[str, Decimal]
) -> None:
    plan = estimate(
        Workload(events_per_second=Decimal(eps), stream_retention_hours=retention_h),
        load_prices(region),
        log_backend="msk",
    )
    assert {line.item: line.cost for line in plan.log_lines} == expected
    assert plan.log_cost == sum(expected.values())
    # AND no Kinesis line is billed; the rest of the pipeline is the same as on Kinesis
    assert not any(line.price_key.startswith("kinesis.") for line in plan.lines)
    kinesis = estimate(
        Workload(events_per_second=Decimal(eps), stream_retention_hours=retention_h), load_prices(region)
    )
    assert plan.total - plan.log_cost == kinesis.total - kinesis.log_cost


def test_partitions_beyond_the_configured_ones_are_warned_about() -> None:
    plan = estimate(Workload(events_per_second=Decimal(20_000)), load_prices("us-east-1"), log_backend="msk")
    assert any("raise log.msk.raw_partitions to 8" in warning for warning in plan.warnings)
    assert plan.capacity.msk.partitions == 10


def test_a_peak_over_the_cluster_quota_is_warned_about() -> None:
    # 200,000 events/s peak ×2 × 1 KiB = 390.6 MiB/s written: over the 200 MiB/s cluster quota
    plan = estimate(Workload(events_per_second=Decimal(200_000)), load_prices("us-east-1"), log_backend="msk")
    assert any("exceed a cluster's 200 MiB/s quota" in warning for warning in plan.warnings)


def test_an_unknown_backend_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="log backend must be one of kinesis, msk, not 'kafka'"):
        estimate(Workload(events_per_second=Decimal(1)), load_prices("us-east-1"), log_backend="kafka")  # type: ignore[arg-type]
