"""The shopper simulator: seeded, deterministic e-commerce traffic with the ground truth it planted.

>>> from kappa.simulate import SimulationConfig, simulate
>>> simulation = simulate(SimulationConfig(seed=7, users=50, duration_seconds=1800))
>>> events = list(simulation.events())        # delivery order, contract-valid event dicts
>>> simulation.truth.abandoned_carts[0].value  # doctest: +SKIP
"""

from kappa.simulate.config import (
    DEFAULT_START,
    SimulationConfig,
    SimulationOptionError,
    parse_duration,
    parse_start,
)
from kappa.simulate.generator import Delivery, Simulation, simulate
from kappa.simulate.ndjson import write_ndjson
from kappa.simulate.sender import EndpointError, EventSender, SendReport
from kappa.simulate.truth import AbandonedCart, Affinity, CartItem, Trend, Truth

__all__ = [
    "DEFAULT_START",
    "AbandonedCart",
    "Affinity",
    "CartItem",
    "Delivery",
    "EndpointError",
    "EventSender",
    "SendReport",
    "Simulation",
    "SimulationConfig",
    "SimulationOptionError",
    "Trend",
    "Truth",
    "parse_duration",
    "parse_start",
    "simulate",
    "write_ndjson",
]
