"""Product recommendations: the top-K products related to the one a shopper looks at, minus their cart.

Relatedness is an item-to-item affinity learned from the log: every order adds `copurchase_weight` to each
pair of products bought together, every cart (bought or abandoned) adds `cocart_weight` to each pair of
products added to it. A
co-occurrence counts 2^-(age / half_life): old behaviour fades, and nothing older than the horizon counts
at all. The job computes these scores in Flink SQL (JVM) every `update_minutes` of event time
(`flink_app/sql/recommendations.py`): co-occurrences are summed per update slice and a slice ages from its
end, so the decay has the granularity of one update.

On a trigger (add_to_cart, or the first view of a product in a session), `select_recommendations` picks
the best-scoring related products that are not the trigger product and not already in the cart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

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
