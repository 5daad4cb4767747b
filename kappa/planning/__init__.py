"""Capacity and monthly cost planning for a Kappa Commerce deployment (`kappa plan`).

`Workload` is what to plan for, `load_prices(region)` the dated unit prices, `estimate()` sizes and prices
every hop with the formula shown; `render` turns the result into a rich table or JSON.
"""

from kappa.planning.estimate import Estimate, LineItem, StreamPlan, estimate
from kappa.planning.prices import PriceBook, PriceError, known_regions, load_prices
from kappa.planning.workload import Assumptions, Workload, describe_validation_error

__all__ = [
    "Assumptions",
    "Estimate",
    "LineItem",
    "PriceBook",
    "PriceError",
    "StreamPlan",
    "Workload",
    "describe_validation_error",
    "estimate",
    "known_regions",
    "load_prices",
]
