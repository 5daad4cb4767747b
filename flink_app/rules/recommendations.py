"""Product recommendations: the top-K products related to the one a shopper looks at, minus their cart.

Relatedness is an item-to-item affinity learned from the log: every order adds `copurchase_weight` to each
pair of products bought together, every cart (bought or abandoned) adds `cocart_weight` to each pair of
products added to it. A
co-occurrence counts 2^-(age / half_life): old behaviour fades, and nothing older than the horizon counts
at all. The job computes these scores in Flink SQL (JVM) every `update_minutes` of event time
(`flink_app/sql/recommendations.py`): co-occurrences are summed per update slice and a slice ages from its
end, so the decay has the granularity of one update.

On a trigger (add_to_cart, or the first view of a product in a session), `select_recommendations` picks
the best-scoring related products that are not the trigger product and not already in the cart;
`recommend_for_trigger` is the whole step for one trigger and model version. The job runs it in Java
(`recommendation_insights`, dev.kappa.flink.insights.ProductRecommendationInsight, byte for byte the same
insights); this module is its documented reference, which tests/flink_app/test_java_insights.py compares it with.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from flink_app.rules.abandonment import CartAbandonment
from flink_app.rules.lines import Neighbor, decode_cart_changes, decode_neighbors, sort_changes


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


def recommend_for_trigger(
    *,
    trigger_product_id: str,
    at_ms: int,
    cart_history: str | None,
    neighbors: str | None,
    version_ms: int,
    top_k: int,
    min_support: float,
    half_life_ms: int,
    abandon_after_ms: int,
) -> list[Neighbor]:
    """The recommendations (decayed scores) for a trigger at `at_ms` meeting the model version `version_ms`.

    The model version is as of `version_ms`; decaying every score by the same factor keeps the ranking and lets
    min_support apply at the trigger's time. The cart is replayed from the trigger's history (`lines` format)."""
    factor = decay_factor(max(at_ms - version_ms, 0), half_life_ms)
    candidates = [
        Neighbor(n.product_id, n.score * factor)
        for n in decode_neighbors(neighbors)
        if n.score * factor >= min_support and n.product_id != trigger_product_id
    ]
    if not candidates:
        return []
    in_cart: frozenset[str] = frozenset()
    if cart_history:
        carts = CartAbandonment(abandon_after_ms=abandon_after_ms)
        state = carts.initialize()
        for change in sort_changes(decode_cart_changes(cart_history)):
            if change.at_ms <= at_ms:
                carts.add(state, change)
        in_cart = carts.current_cart(state, at_ms).product_ids
    return select_recommendations(
        candidates, trigger_product_id=trigger_product_id, in_cart=in_cart, top_k=top_k
    )
