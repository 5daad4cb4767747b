"""Kinesis or MSK Serverless: which log is cheaper, and the event rate where that changes (hand-checked steps)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kappa.planning import Workload, load_prices
from kappa.planning.comparison import Crossover, compare_log_backends, find_crossover, log_costs


def test_at_100_events_per_second_of_1_kib_kinesis_is_cheaper_at_every_rate() -> None:
    # GIVEN the default workload: the Kinesis log costs $25.76 a month, the MSK one $665.35 (test_msk.py)
    comparison = compare_log_backends(Workload(events_per_second=Decimal(100)), load_prices("us-east-1"))
    assert (comparison.kinesis.log_cost, comparison.msk.log_cost) == (Decimal("25.76"), Decimal("665.35"))
    assert comparison.cheaper == "kinesis"
    # THEN with 1 KiB events MSK's $0.10/GB in + $0.05/GB out per consumer never catches up with Kinesis'
    # shard-hours and 25 KiB PUT units, up to the planner's maximum rate
    assert comparison.crossover == Crossover(
        cheaper_at_low_rates="kinesis", rate=None, searched_up_to=Decimal(1_000_000)
    )
    assert comparison.crossover.sentence(1024) == (
        "Kinesis is cheaper at every rate up to 1,000,000 events/s (1,024 B/event)"
    )


def test_small_events_kept_a_week_make_msk_cheaper_from_a_kinesis_shard_step() -> None:
    # GIVEN 100-byte events kept 168 h: Kinesis bills per record (1,000 records/s per shard, a PUT unit each)
    # and per shard-hour of extended retention, MSK per byte
    workload = Workload(events_per_second=Decimal(1), avg_event_bytes=100, stream_retention_hours=168)
    prices = load_prices("us-east-1")
    crossover = find_crossover(workload, prices)
    # THEN MSK first costs less at 37,001 events/s: the peak (×2) of 74,002 records/s needs a 75th raw shard.
    # By hand, the raw stream's shard-hours + extended retention go from 74 × 730 h × ($0.015 + $0.02) =
    # $1,890.70 to 75 × 730 h × $0.035 = $1,916.25 (+$25.55), while MSK grows by cents per event/s.
    assert crossover.rate == Decimal(37_001)
    at = {rate: log_costs(workload.model_copy(update={"events_per_second": Decimal(rate)}), prices) for rate in
          (37_000, 37_001)}  # fmt: skip
    assert at[37_000][0] <= at[37_000][1]
    assert at[37_001][0] > at[37_001][1]
    # AND just past it the two alternate with the next steps until MSK stays cheaper
    assert crossover.settled_from is not None
    assert crossover.settled_from > crossover.rate
    for rate in range(int(crossover.settled_from), int(crossover.settled_from) + 5_000, 250):
        kinesis, msk = log_costs(workload.model_copy(update={"events_per_second": Decimal(rate)}), prices)
        assert msk < kinesis, rate
    assert "stays cheaper from" in crossover.sentence(100)


@pytest.mark.parametrize(
    ("crossover", "sentence"),
    [
        (
            Crossover(cheaper_at_low_rates="kinesis", rate=None, searched_up_to=Decimal(1_000_000)),
            "Kinesis is cheaper at every rate up to 1,000,000 events/s (100 B/event)",
        ),
        (
            Crossover(
                cheaper_at_low_rates="kinesis",
                rate=Decimal(500),
                settled_from=Decimal(500),
                searched_up_to=Decimal(1_000_000),
            ),
            "MSK Serverless becomes cheaper than Kinesis at 500 events/s (100 B/event) and stays cheaper up to "
            "1,000,000 events/s",
        ),
        (
            Crossover(cheaper_at_low_rates="msk", rate=Decimal(900), searched_up_to=Decimal(1_000_000)),
            "Kinesis becomes cheaper than MSK Serverless at 900 events/s (100 B/event), but MSK Serverless is "
            "cheaper again at some higher rates: price the rates you expect",
        ),
    ],
)
def test_the_crossover_is_said_in_one_sentence(crossover: Crossover, sentence: str) -> None:
    assert crossover.sentence(100) == sentence
