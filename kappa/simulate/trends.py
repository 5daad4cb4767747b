"""Planted trends: a few products whose views (and so cart adds) jump to `multiplier` times their normal rate."""

from __future__ import annotations

import random
from dataclasses import dataclass

from kappa.simulate.catalogue import Catalogue

WINDOW_SHARE = 0.15
"""A trend lasts 15% of the span; it starts after the first 35%, so the job has seen the product's baseline."""


@dataclass(frozen=True, slots=True)
class PlantedTrend:
    """During [start_ms, end_ms) a fresh product pick becomes `product` with `substitution` probability.

    With baseline share w of picks, substituting with probability q = (m-1)·w/(1-w) makes the product's
    expected share w + q(1-w) = m·w: exactly `multiplier` times its rate outside the window.
    """

    product: int
    start_ms: int
    end_ms: int
    multiplier: float
    substitution: float


def plan_trends(
    rng: random.Random,
    catalogue: Catalogue,
    *,
    count: int,
    multiplier: float,
    start_ms: int,
    end_ms: int,
    excluded: set[int],
) -> list[PlantedTrend]:
    """Pick `count` mid-popularity products (not in affinity pairs) and a window for each."""
    span = end_ms - start_ms
    length = max(1000, round(span * WINDOW_SHARE))
    earliest = start_ms + round(span * 0.35)
    latest = max(earliest, end_ms - round(span * 0.1) - length)
    # Mid-popularity: visible in the data, yet not already a best seller.
    candidates = [i for i in catalogue.by_rank[10:120] if i not in excluded]
    trends = []
    for product in sorted(rng.sample(candidates, count)):
        window_start = rng.randint(earliest, latest)
        share = catalogue.share[product]
        substitution = min(0.9, (multiplier - 1) * share / (1 - share))
        trends.append(PlantedTrend(product, window_start, window_start + length, multiplier, substitution))
    return trends
