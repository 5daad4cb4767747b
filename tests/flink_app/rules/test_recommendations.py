"""Recommendation selection and the reference affinity model."""

from __future__ import annotations

import pytest

from flink_app.rules.lines import Neighbor
from flink_app.rules.recommendations import (
    AffinityModel,
    decay_factor,
    pairs_of,
    select_recommendations,
    view_cart_pairs,
)

NEIGHBORS = [Neighbor("p-c", 5.0), Neighbor("p-a", 9.0), Neighbor("p-b", 5.0), Neighbor("p-d", 1.0)]


@pytest.mark.parametrize(
    ("trigger", "in_cart", "top_k", "expected"),
    [
        pytest.param(
            "p-x", frozenset(), 5, ["p-a", "p-b", "p-c", "p-d"], id="best first, ties by product id"
        ),
        pytest.param("p-x", frozenset(), 2, ["p-a", "p-b"], id="at most top_k"),
        pytest.param(
            "p-x", frozenset({"p-a", "p-c"}), 5, ["p-b", "p-d"], id="what is in the cart is left out"
        ),
        pytest.param("p-b", frozenset(), 5, ["p-a", "p-c", "p-d"], id="never the trigger product itself"),
    ],
)
def test_select_recommendations(trigger, in_cart, top_k, expected) -> None:
    chosen = select_recommendations(NEIGHBORS, trigger_product_id=trigger, in_cart=in_cart, top_k=top_k)
    assert [n.product_id for n in chosen] == expected


def test_decay_halves_per_half_life() -> None:
    assert decay_factor(0, 60_000) == 1.0
    assert decay_factor(60_000, 60_000) == pytest.approx(0.5)
    assert decay_factor(180_000, 60_000) == pytest.approx(0.125)


def test_reference_model_decays_forgets_and_ranks() -> None:
    model = AffinityModel(half_life_ms=60_000, horizon_ms=300_000, min_support=0.5)
    model.add("a", "b", 1.0, 0)
    model.add("a", "c", 1.0, 120_000)
    model.add("a", "d", 3.0, 0)
    neighbors = model.neighbors("a", 120_000)
    assert [(n.product_id, round(n.score, 3)) for n in neighbors] == [("c", 1.0), ("d", 0.75)]
    assert model.neighbors("a", 400_000) == []  # beyond the horizon nothing counts


def test_pairs() -> None:
    assert pairs_of(["b", "a", "b"]) == [("a", "b"), ("b", "a")]
    assert view_cart_pairs(["v", "c"], ["c"]) == [("c", "v"), ("v", "c")]
