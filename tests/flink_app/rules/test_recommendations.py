"""Recommendation selection and decay."""

from __future__ import annotations

import pytest

from flink_app.rules.lines import Neighbor
from flink_app.rules.recommendations import (
    decay_factor,
    select_recommendations,
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
