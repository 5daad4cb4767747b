"""Product recommendations: the top-K products related to the one a shopper looks at, minus their cart.

Relatedness is an item-to-item affinity learned from the log: every order adds `copurchase_weight` to each
pair of products bought together, every session adds `cocart_weight` to each pair of products added to the
cart together and `coview_weight` between each viewed product and each product added to the cart. A
co-occurrence at time t counts 2^-((now - t) / half_life) at time `now`: old behaviour fades, and nothing
older than the horizon counts at all. The job computes these scores in Flink SQL (JVM) every
`update_minutes` of event time (`flink_app/sql/recommendations.py`); `AffinityModel` below is the same
model in plain Python, the reference the SQL is tested against.

On a trigger (add_to_cart, or the first view of a product in a session), `select_recommendations` picks
the best-scoring related products that are not the trigger product and not already in the cart.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import permutations

from flink_app.rules.lines import Neighbor


def select_recommendations(
    neighbors: Iterable[Neighbor], *, trigger_product_id: str, in_cart: frozenset[str], top_k: int
) -> list[Neighbor]:
    """Best first (score descending, product id ascending on ties), at most `top_k`."""
    ranked = sorted(neighbors, key=lambda n: (-n.score, n.product_id))
    chosen = []
    for neighbor in ranked:
        if neighbor.product_id == trigger_product_id or neighbor.product_id in in_cart:
            continue
        chosen.append(neighbor)
        if len(chosen) == top_k:
            break
    return chosen


def decay_factor(age_ms: int, half_life_ms: int) -> float:
    return math.pow(2.0, -age_ms / half_life_ms)


def pairs_of(product_ids: Iterable[str]) -> list[tuple[str, str]]:
    """Every ordered pair of distinct products in a basket: (a, b) and (b, a)."""
    return list(permutations(sorted(set(product_ids)), 2))


def view_cart_pairs(viewed: Iterable[str], carted: Iterable[str]) -> list[tuple[str, str]]:
    """Each viewed product with each carted product (both directions), excluding a product with itself."""
    carted_set = set(carted)
    pairs = set()
    for view in set(viewed):
        for cart in carted_set:
            if view != cart:
                pairs.add((view, cart))
                pairs.add((cart, view))
    return sorted(pairs)


@dataclass(slots=True)
class AffinityModel:
    """Reference model: co-occurrences with their times; `scores` decays them to a given time.

    Aggregator shape: `add(a, b, weight, at_ms)` per co-occurrence; `result(at_ms)` = the model at that time.
    """

    half_life_ms: int
    horizon_ms: int
    min_support: float
    _events: dict[str, list[tuple[str, float, int]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, a: str, b: str, weight: float, at_ms: int) -> None:
        if weight > 0:
            self._events[a].append((b, weight, at_ms))

    def neighbors(self, product_id: str, at_ms: int) -> list[Neighbor]:
        scores: dict[str, float] = defaultdict(float)
        for other, weight, when in self._events.get(product_id, []):
            age = at_ms - when
            if 0 <= age < self.horizon_ms:
                scores[other] += weight * decay_factor(age, self.half_life_ms)
        kept = [Neighbor(other, score) for other, score in scores.items() if score >= self.min_support]
        return sorted(kept, key=lambda n: (-n.score, n.product_id))
