"""Recommendation selection and decay."""

from __future__ import annotations

import pytest

from flink_app.rules.lines import CartChange, Neighbor
from flink_app.rules.recommendations import (
    decay_factor,
    recommend_for_trigger,
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


T0 = 1_767_225_600_000
MINUTE = 60_000


def test_a_trigger_is_recommended_what_is_not_in_its_cart_and_scores_fade_with_the_model_age() -> None:
    # GIVEN a shopper whose cart holds p-b, and a model version at T0 (what the Python UDF's test checked)
    history = CartChange(T0 - MINUTE, "add", "e0", "s1", "p-b", 1, 100, "EUR").encode()
    options = {"top_k": 2, "min_support": 1.0, "half_life_ms": 360 * MINUTE, "abandon_after_ms": 30 * MINUTE}
    # WHEN a trigger at the version's time meets it
    chosen = recommend_for_trigger(
        trigger_product_id="p-a", at_ms=T0, cart_history=history, neighbors="p-b,9.0;p-c,4.0;p-d,2.0;p-e,1.5",
        version_ms=T0, **options,
    )  # fmt: skip
    # THEN the best two not in the cart, at full score
    assert chosen == [Neighbor("p-c", 4.0), Neighbor("p-d", 2.0)]
    # AND one half-life later 1.5 has halved below min_support: nothing
    later = recommend_for_trigger(
        trigger_product_id="p-a", at_ms=T0 + 360 * MINUTE, cart_history=None, neighbors="p-e,1.5",
        version_ms=T0, **options,
    )  # fmt: skip
    assert later == []


def test_a_cart_left_longer_than_abandon_after_before_the_trigger_is_empty_again() -> None:
    history = CartChange(T0 - 31 * MINUTE, "add", "e0", "s1", "p-b", 1, 100, "EUR").encode()
    chosen = recommend_for_trigger(
        trigger_product_id="p-a", at_ms=T0, cart_history=history, neighbors="p-b,9.0", version_ms=T0,
        top_k=2, min_support=1.0, half_life_ms=60 * MINUTE, abandon_after_ms=30 * MINUTE,
    )  # fmt: skip
    assert chosen == [Neighbor("p-b", 9.0)]
