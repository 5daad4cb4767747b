"""The monthly estimate: hand-computed bills to the cent, capacity decisions, monotonicity, warnings.

Expected amounts are worked out by hand from the price files (us-east-1 unless said otherwise) and the
documented assumptions; a month is 730 h = 2,628,000 s and a GB is 2^30 bytes.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kappa.planning import Workload, estimate, load_prices
from kappa.planning.estimate import Estimate
from kappa.planning.prices import PriceBook, PriceItem


@pytest.fixture(scope="module")
def us_east_1() -> PriceBook:
    return load_prices("us-east-1")


def costs(plan: Estimate) -> dict[tuple[str, str], Decimal]:
    return {(line.service, line.item): line.cost for line in plan.lines}


def test_100_events_per_second_matches_the_hand_computed_bill(us_east_1: PriceBook) -> None:
    # GIVEN 100 events/s of 1 KiB, peak ×2, 100 events/request, defaults for the rest
    # (262,800,000 events/month; 5 insights/s; 1 subscriber per insight)
    plan = estimate(Workload(events_per_second=Decimal(100)), us_east_1)

    expected = {
        # 262.8M events ÷ 100 = 2,628,000 requests × $3.50/M = 9.198
        ("API Gateway", "REST API requests"): Decimal("9.20"),
        # 2,628,000 × $0.20/M = 0.5256
        ("Lambda ingest", "requests"): Decimal("0.53"),
        # 2,628,000 × (20 + 100 × 0.5) ms × 0.5 GB = 91,980 GB-s × 0.0000133334 = 1.22641
        ("Lambda ingest", "arm64 duration"): Decimal("1.23"),
        # peak 200 records/s × 1 KiB = 0.2 MiB/s → 1 shard × 730 h × $0.015
        ("Kinesis raw stream (provisioned)", "shard-hours"): Decimal("10.95"),
        # 262.8M records × 1 unit × $0.014/M = 3.6792
        ("Kinesis raw stream (provisioned)", "PUT payload units"): Decimal("3.68"),
        # 262.8M × 5,120 B ÷ 2^30 = 1,253.128 GB × $0.029 = 36.3407
        ("Firehose archive", "data ingested"): Decimal("36.34"),
        # 8,640,000 events/day × 1,024 B × 0.2 ÷ 2^30 = 1.647949 GB/day
        # × 30 days × $0.023 = 1.13708
        ("S3 archive", "Standard storage"): Decimal("1.14"),
        # × 150 days × $0.0125 = 3.08990
        ("S3 archive", "Standard-IA storage"): Decimal("3.09"),
        # × 185 days × $0.0036 = 1.09753
        ("S3 archive", "Glacier Flexible Retrieval storage"): Decimal("1.10"),
        # 100 KiB/s never fills 64 MiB within 60 s: 2,628,000 ÷ 60 = 43,800 objects × $0.005/1K = 0.219
        ("S3 archive", "PUT requests"): Decimal("0.22"),
        # 43,800 × $0.01/1K = 0.438
        ("S3 archive", "lifecycle transitions to IA"): Decimal("0.44"),
        # 43,800 × $0.03/1K = 1.314
        ("S3 archive", "lifecycle transitions to Glacier"): Decimal("1.31"),
        # ⌈200 ÷ 4,000⌉ = 1 KPU + 1 orchestration = 2 × 730 h × $0.11
        ("Managed Flink", "KPU-hours"): Decimal("160.60"),
        # 1 KPU × 50 GB × $0.10
        ("Managed Flink", "running application storage"): Decimal("5.00"),
        # peak 10 insights/s → 1 shard × 730 h × $0.015
        ("Kinesis insights stream (provisioned)", "shard-hours"): Decimal("10.95"),
        # 13,140,000 insights × $0.014/M = 0.18396
        ("Kinesis insights stream (provisioned)", "PUT payload units"): Decimal("0.18"),
        # max(5 ÷ 100, min(5, 2 pollers ÷ 1 s)) = 2/s × 2,628,000 = 5,256,000 × $0.20/M = 1.0512
        ("Lambda fan-out", "requests"): Decimal("1.05"),
        # (5,256,000 × 50 ms + 13,140,000 × 20 ms) × 1 GB = 525,600 GB-s × 0.0000133334 = 7.00804
        ("Lambda fan-out", "arm64 duration"): Decimal("7.01"),
        # 13,140,000 deliveries × $0.625/M = 8.2125 (rounds half up at the cent: 8.21)
        ("Webhooks", "DynamoDB delivery-log writes"): Decimal("8.21"),
        # 5,256,000 × $0.125/M = 0.657
        ("Webhooks", "DynamoDB subscription reads"): Decimal("0.66"),
        # 5/s × 86,400 × 30 days × 512 B ÷ 2^30 = 6.17981 GB × $0.25 = 1.54495
        ("Webhooks", "DynamoDB delivery-log storage"): Decimal("1.54"),
        # 13,140,000 × 2% × 3 = 788,400 requests × $0.40/M = 0.31536
        ("Webhooks", "SQS retry queue requests"): Decimal("0.32"),
        # 20 secrets × $0.40
        ("Webhooks", "signing secrets"): Decimal("8.00"),
        # 13,140,000 × (1,024 + 600) B ÷ 2^30 = 19.8738 GB × $0.09 = 1.78864
        ("Webhooks", "data transfer out to subscribers"): Decimal("1.79"),
        # 33 metrics × $0.30
        ("CloudWatch", "custom metrics"): Decimal("9.90"),
        # (2,628,000 + 5,256,000) invocations × 1,536 B ÷ 2^30 = 11.27827 GB + 1 KPU × 1 GB = 12.27827 GB
        # × $0.50 = 6.13914
        ("CloudWatch", "logs ingested"): Decimal("6.14"),
        # 12.27827 GB × 1 month × $0.03 = 0.36834
        ("CloudWatch", "logs stored"): Decimal("0.37"),
        ("CloudWatch", "dashboard"): Decimal("3.00"),
        # 12 alarm metrics × $0.10
        ("CloudWatch", "alarms"): Decimal("1.20"),
    }
    assert costs(plan) == expected
    # the sum of the lines above
    assert plan.total == Decimal("295.15")
    # 295.15 ÷ 262.8 million events = 1.12310
    assert plan.cost_per_million_events == Decimal("1.1231")


def test_the_same_workload_in_eu_west_1_uses_that_regions_prices() -> None:
    plan = estimate(Workload(events_per_second=Decimal(100)), load_prices("eu-west-1"))

    lines = costs(plan)
    # 2 KPUs × 730 h × $0.122
    assert lines[("Managed Flink", "KPU-hours")] == Decimal("178.12")
    # 1 shard × 730 h × $0.017
    assert lines[("Kinesis raw stream (provisioned)", "shard-hours")] == Decimal("12.41")
    # 12.27827 GB × $0.57 = 6.99861
    assert lines[("CloudWatch", "logs ingested")] == Decimal("7.00")


def test_requests_beyond_the_first_tier_are_priced_per_tier(us_east_1: PriceBook) -> None:
    # GIVEN 100,000 events/s in batches of 100: 2,628,000,000 API requests a month
    plan = estimate(Workload(events_per_second=Decimal(100_000)), us_east_1)

    lines = {(line.service, line.item): line for line in plan.lines}
    api = lines[("API Gateway", "REST API requests")]
    # 333M × $3.50/M + 667M × $2.80/M + 1,628M × $2.38/M = 1,165.50 + 1,867.60 + 3,874.64
    assert api.cost == Decimal("6907.74")
    assert api.price == "333M × $3.50/1M + 667M × $2.80/1M + 1.63B × $2.38/1M"


def test_the_raw_stream_is_sized_for_the_peak_and_both_modes_are_priced(us_east_1: PriceBook) -> None:
    # GIVEN 10,000 events/s average with a ×2 peak: 20,000 records/s of 1 KiB = 19.53 MiB/s
    plan = estimate(Workload(events_per_second=Decimal(10_000)), us_east_1)

    raw = plan.capacity.raw_stream
    assert raw.sizing.shards == 20
    # provisioned: 20 × 730 × $0.015 = 219.00, 26.28B units × $0.014/M = 367.92
    assert raw.provisioned_cost == Decimal("586.92")
    # on-demand: 730 × $0.04 = 29.20; 26.28B × 1 KiB ÷ 2^30 = 25,062.5610 GB × $0.08 = 2,005.00 in,
    # × 2 consumers × $0.04 = 2,005.00 out
    assert raw.on_demand_cost == Decimal("4039.20")
    assert raw.recommended_mode == "provisioned"
    # ⌈20,000 ÷ 4,000⌉ = 5 KPUs, billed 6
    assert (plan.capacity.flink_kpus, plan.capacity.flink_billed_kpus) == (5, 6)


def test_on_demand_is_recommended_when_it_is_cheaper(us_east_1: PriceBook) -> None:
    # GIVEN a price book where on-demand streams cost a tenth of the usual
    cheap = {
        key: item.model_copy(update={"price": item.price / 10})
        if key.startswith("kinesis.on_demand")
        else item
        for key, item in us_east_1.items.items()
    }
    prices = us_east_1.model_copy(update={"items": cheap})

    plan = estimate(Workload(events_per_second=Decimal(10_000)), prices)

    raw = plan.capacity.raw_stream
    assert raw.on_demand_cost < raw.provisioned_cost
    assert raw.recommended_mode == "on_demand"
    assert {line.service for line in plan.lines} >= {"Kinesis raw stream (on-demand)"}
    assert "Kinesis raw stream (provisioned)" not in {line.service for line in plan.lines}


def test_stream_retention_beyond_a_week_adds_extended_and_long_term_retention(us_east_1: PriceBook) -> None:
    plan = estimate(Workload(events_per_second=Decimal(100), stream_retention_hours=336), us_east_1)

    lines = costs(plan)
    # extended (24 h - 7 days): 1 shard × 730 h × $0.020 = 14.60
    assert lines[("Kinesis raw stream (provisioned)", "extended retention (336 h)")] == Decimal("14.60")
    # long-term: 102,400 B/s × (336 - 168) h × 3,600 s ÷ 2^30 = 57.678 GB-months × $0.023 = 1.32659
    assert lines[("Kinesis raw stream (provisioned)", "long-term retention")] == Decimal("1.33")


def test_the_total_is_the_sum_of_the_lines_shown(us_east_1: PriceBook) -> None:
    plan = estimate(Workload(events_per_second=Decimal(2_500), avg_event_bytes=700), us_east_1)

    assert plan.total == sum(line.cost for line in plan.lines)
    assert sum(plan.service_totals().values()) == plan.total
    assert all(line.quantity > 0 for line in plan.lines)


def test_firehose_rounding_and_the_biggest_costs_are_explained(us_east_1: PriceBook) -> None:
    plan = estimate(Workload(events_per_second=Decimal(10_000)), us_east_1)

    assert any(note.startswith("largest costs: Firehose archive") for note in plan.notes)
    assert any("as 5,120 bytes (5.0×)" in note for note in plan.notes)


def test_quotas_beyond_the_defaults_are_warned_about(us_east_1: PriceBook) -> None:
    # GIVEN 600,000 events/s in batches of 10: 120,000 API requests/s at the peak, 1,172 shards
    plan = estimate(Workload(events_per_second=Decimal(600_000), events_per_request=10), us_east_1)

    text = "\n".join(plan.warnings)
    assert "exceeds API Gateway's default 10,000 requests/s" in text
    assert "exceed the default shard quota" in text
    assert "exceed the default 64 KPUs per application" in text
    assert "Lambda concurrency" in text


def test_a_small_workload_needs_no_warnings(us_east_1: PriceBook) -> None:
    assert estimate(Workload(events_per_second=Decimal(100)), us_east_1).warnings == ()


workloads = st.builds(
    Workload,
    events_per_second=st.decimals(min_value=1, max_value=200_000, places=1),
    avg_event_bytes=st.integers(min_value=100, max_value=32_768),
    peak_factor=st.decimals(min_value=1, max_value=20, places=1),
)


@settings(max_examples=40, deadline=None)
@given(workload=workloads, more=st.decimals(min_value="0.1", max_value=50_000, places=1))
def test_more_events_never_cost_less(workload: Workload, more: Decimal) -> None:
    prices = load_prices("us-east-1")
    busier = workload.model_copy(update={"events_per_second": workload.events_per_second + more})

    assert estimate(busier, prices).total >= estimate(workload, prices).total


@settings(max_examples=30, deadline=None)
@given(workload=workloads, extra_bytes=st.integers(min_value=1, max_value=4_000))
def test_bigger_events_never_cost_less(workload: Workload, extra_bytes: int) -> None:
    prices = load_prices("us-east-1")
    bigger = workload.model_copy(
        update={"avg_event_bytes": min(workload.avg_event_bytes + extra_bytes, 32_768)}
    )

    assert estimate(bigger, prices).total >= estimate(workload, prices).total


@pytest.mark.parametrize("field", ["peak_factor", "stream_retention_hours", "archive_retention_days"])
def test_higher_peaks_and_longer_retention_never_cost_less(us_east_1: PriceBook, field: str) -> None:
    base = Workload(events_per_second=Decimal(5_000))
    totals = [
        estimate(base.model_copy(update={field: value}), us_east_1).total
        for value in {
            "peak_factor": [1, 2, 5, 20],
            "stream_retention_hours": [24, 48, 168, 720],
            "archive_retention_days": [7, 30, 365, 3650],
        }[field]
    ]

    assert totals == sorted(totals)
    assert totals[0] < totals[-1]


def test_price_items_used_by_the_estimate_exist_in_every_price_file() -> None:
    plan = estimate(
        Workload(events_per_second=Decimal(50), stream_retention_hours=400), load_prices("eu-west-1")
    )
    keys = {line.price_key for line in plan.lines}
    keys |= {line.price_key for stream in (plan.capacity.raw_stream,) for line in stream.on_demand}

    assert keys <= set(load_prices("eu-west-1").items)
    assert all(isinstance(load_prices("eu-west-1")[key], PriceItem) for key in keys)
