"""Kinesis or MSK Serverless as the log: both priced for one workload, and the event rate where the cheaper flips.

Only the log differs between the two estimates (`Estimate.log_cost`: the streams, or the cluster, its topics and
the VPC endpoints it needs); everything else is the same pipeline. The crossover keeps the workload (event size,
peak factor, retention, insights) and varies the average event rate: the log costs are compared on a grid of
rates (1, 2, 5, 10, 20, 50, ... events/s up to the planner's maximum), and the first interval where the cheaper
backend changes is bisected to the whole event/s. Costs are step functions of the rate (shards, partitions), so
a later flip back is possible; the grid is what is searched, and the answer says so.

>>> from kappa.planning import Workload, load_prices
>>> found = compare_log_backends(Workload(events_per_second=100), load_prices("us-east-1"))
>>> found.crossover.cheaper_at_low_rates
'kinesis'
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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
    searched_up_to: Decimal

    def sentence(self, avg_event_bytes: int) -> str:
        low = _NAMES[self.cheaper_at_low_rates]
        if self.rate is None:
            return (
                f"{low} is cheaper at every rate up to {self.searched_up_to:,.0f} events/s "
                f"({avg_event_bytes:,} B/event)"
            )
        other = _NAMES["msk" if self.cheaper_at_low_rates == "kinesis" else "kinesis"]
        return (
            f"{other} becomes cheaper than {low} from {self.rate:,.0f} events/s ({avg_event_bytes:,} B/event)"
        )


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
    below = grid[0]
    for rate in grid[1:]:
        if kinesis_cheaper(rate) != at_low:
            low, high = below, rate  # the flip is in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                if kinesis_cheaper(middle) == at_low:
                    low = middle
                else:
                    high = middle
            return Crossover(
                cheaper_at_low_rates="kinesis" if at_low else "msk", rate=high, searched_up_to=up_to
            )
        below = rate
    return Crossover(cheaper_at_low_rates="kinesis" if at_low else "msk", rate=None, searched_up_to=up_to)


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
