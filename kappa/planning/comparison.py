"""Kinesis or MSK Serverless as the log: both priced for one workload, and the event rate where the cheaper flips.

Only the log differs between the two estimates (`Estimate.log_cost`: the streams, or the cluster, its topics and
the VPC endpoints it needs); everything else is the same pipeline. The crossover keeps the workload (event size,
peak factor, retention, insights) and varies the average event rate: the log costs are compared on a grid of
rates (1, 2, 5, 10, 20, 50, ... events/s up to the planner's maximum), and the first interval where the cheaper
backend changes is bisected to the whole event/s. Kinesis costs rise in steps (one more shard per 1,000 peak
records/s or 1 MiB/s), so just past the first flip the two can alternate: the rest of that interval is walked
in steps of 0.5 % of the rate to find where the other backend *stays* cheaper (`settled_from`); if a later grid
rate flips back, there is no settled rate and the answer says so.

>>> from kappa.planning import Workload, load_prices
>>> found = compare_log_backends(Workload(events_per_second=100), load_prices("us-east-1"))
>>> found.crossover.cheaper_at_low_rates
'kinesis'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from kappa.planning.estimate import Estimate, LogBackend, estimate
from kappa.planning.prices import PriceBook
from kappa.planning.workload import Assumptions, Workload

MAX_EVENTS_PER_SECOND = Decimal(1_000_000)
"""The highest rate searched: the planner's own limit (`Workload.events_per_second`)."""


@dataclass(frozen=True, kw_only=True)
class Crossover:
    """Which backend's log is cheaper at low rates, and the lowest rate (events/s) where the other one is."""

    cheaper_at_low_rates: LogBackend
    rate: Decimal | None
    """The lowest whole event rate found where the other backend's log costs less; None when there is none."""
    settled_from: Decimal | None = None
    """From this rate on the other backend is cheaper at every rate sampled (None: it flips back later)."""
    searched_up_to: Decimal

    def sentence(self, avg_event_bytes: int) -> str:
        low = _NAMES[self.cheaper_at_low_rates]
        if self.rate is None:
            return (
                f"{low} is cheaper at every rate up to {self.searched_up_to:,.0f} events/s "
                f"({avg_event_bytes:,} B/event)"
            )
        other = _NAMES["msk" if self.cheaper_at_low_rates == "kinesis" else "kinesis"]
        first = (
            f"{other} becomes cheaper than {low} at {self.rate:,.0f} events/s ({avg_event_bytes:,} B/event)"
        )
        if self.settled_from == self.rate:
            return f"{first} and stays cheaper up to {self.searched_up_to:,.0f} events/s"
        if self.settled_from is not None:
            return (
                f"{first}; the two alternate with Kinesis' shard steps until {other} stays cheaper from "
                f"{self.settled_from:,.0f} events/s"
            )
        return f"{first}, but {low} is cheaper again at some higher rates: price the rates you expect"


@dataclass(frozen=True, kw_only=True)
class LogComparison:
    kinesis: Estimate
    msk: Estimate
    crossover: Crossover

    @property
    def cheaper(self) -> LogBackend:
        return "kinesis" if self.kinesis.log_cost <= self.msk.log_cost else "msk"


_NAMES: dict[LogBackend, str] = {"kinesis": "Kinesis", "msk": "MSK Serverless"}


def log_costs(
    workload: Workload, prices: PriceBook, assumptions: Assumptions | None = None
) -> tuple[Decimal, Decimal]:
    """The log's monthly cost on Kinesis and on MSK Serverless, for `workload`."""
    return (
        estimate(workload, prices, assumptions, log_backend="kinesis").log_cost,
        estimate(workload, prices, assumptions, log_backend="msk").log_cost,
    )


def find_crossover(
    workload: Workload,
    prices: PriceBook,
    assumptions: Assumptions | None = None,
    *,
    up_to: Decimal = MAX_EVENTS_PER_SECOND,
) -> Crossover:
    """The lowest rate (to 1 event/s) where the cheaper log backend differs from the one at 1 event/s."""

    def kinesis_cheaper(rate: Decimal) -> bool:
        kinesis, msk_ = log_costs(
            workload.model_copy(update={"events_per_second": rate}), prices, assumptions
        )
        return kinesis <= msk_

    grid = _grid(up_to)
    at_low = kinesis_cheaper(grid[0])
    low_name: LogBackend = "kinesis" if at_low else "msk"
    for index in range(1, len(grid)):
        if kinesis_cheaper(grid[index]) == at_low:
            continue
        first = _bisect(lambda rate: kinesis_cheaper(rate) == at_low, grid[index - 1], grid[index])
        # Walk the rest of the interval: the last rate where the low-rate backend is cheaper again.
        step = max(Decimal(1), (first / 200).to_integral_value())
        last_back = None
        rate = first + step
        while rate < grid[index]:
            if kinesis_cheaper(rate) == at_low:
                last_back = rate
            rate += step
        settled: Decimal | None = first
        if last_back is not None:
            settled = _bisect(
                lambda rate: kinesis_cheaper(rate) == at_low, last_back, min(last_back + step, grid[index])
            )
        if any(kinesis_cheaper(rate) == at_low for rate in grid[index + 1 :]):
            settled = None
        return Crossover(
            cheaper_at_low_rates=low_name, rate=first, settled_from=settled, searched_up_to=up_to
        )
    return Crossover(cheaper_at_low_rates=low_name, rate=None, searched_up_to=up_to)


def _bisect(same_as_low: Callable[[Decimal], bool], low: Decimal, high: Decimal) -> Decimal:
    """The lowest whole rate in (low, high] where `same_as_low` turns false, given it is true at `low` and
    false at `high`."""
    while high - low > 1:
        middle = ((low + high) / 2).to_integral_value(rounding=ROUND_FLOOR)
        if same_as_low(middle):
            low = middle
        else:
            high = middle
    return high


def compare_log_backends(
    workload: Workload, prices: PriceBook, assumptions: Assumptions | None = None
) -> LogComparison:
    """Both estimates for `workload` and the crossover rate for its event size."""
    return LogComparison(
        kinesis=estimate(workload, prices, assumptions, log_backend="kinesis"),
        msk=estimate(workload, prices, assumptions, log_backend="msk"),
        crossover=find_crossover(workload, prices, assumptions),
    )


def _grid(up_to: Decimal) -> list[Decimal]:
    """1, 2, 5, 10, 20, 50, ... up to and including `up_to`."""
    rates: list[Decimal] = []
    decade = Decimal(1)
    while True:
        for step in (1, 2, 5):
            rate = decade * step
            if rate >= up_to:
                return [*rates, up_to]
            rates.append(rate)
        decade *= 10
