"""The cart contract and abandonment rule, case by case (no Flink)."""

from __future__ import annotations

import pytest

from flink_app.rules.abandonment import CartAbandonment, abandoned_carts
from flink_app.rules.lines import CartChange, sort_changes

MINUTE = 60_000
AFTER = 30 * MINUTE


def add(
    at_min: float, product: str, quantity: int = 1, price_cents: int = 1000, session: str = "s1"
) -> CartChange:
    return CartChange(
        int(at_min * MINUTE), "add", f"a{at_min}{product}", session, product, quantity, price_cents, "EUR"
    )


def remove(at_min: float, product: str, quantity: int = 1) -> CartChange:
    return CartChange(int(at_min * MINUTE), "remove", f"r{at_min}{product}", "s1", product, quantity, 0, "")


def purchase(at_min: float) -> CartChange:
    return CartChange(int(at_min * MINUTE), "purchase", f"p{at_min}", "s1", "", 0, 0, "EUR")


def run(changes: list[CartChange]) -> list[tuple[tuple[tuple[str, int, int], ...], int, int]]:
    rule = CartAbandonment(abandon_after_ms=AFTER)
    state = rule.initialize()
    for change in sort_changes(changes):
        rule.add(state, change)
    return [
        (a.cart.items, a.cart.last_change_at_ms // MINUTE, a.abandoned_at_ms // MINUTE)
        for a in rule.result(state)
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param([add(0, "p1")], [((("p1", 1, 1000),), 0, 30)], id="one item left alone is abandoned"),
        pytest.param([add(0, "p1"), purchase(10)], [], id="a purchase empties the cart"),
        pytest.param([add(0, "p1"), remove(5, "p1")], [], id="removing the last unit empties the cart"),
        pytest.param([add(0, "p1", 2), remove(5, "p1", 5)], [], id="removing more than held drops the item"),
        pytest.param(
            [add(0, "p1", 2), remove(5, "p1", 1)],
            [((("p1", 1, 1000),), 5, 35)],
            id="partial removal keeps the rest",
        ),
        pytest.param(
            [add(0, "p2"), add(1, "p1", 1, 500), add(2, "p2", 2, 900)],
            [((("p1", 1, 500), ("p2", 3, 900)), 2, 32)],
            id="merged per product, sorted by product id, latest price",
        ),
        pytest.param(
            [add(0, "p1"), add(30, "p2")],
            [((("p1", 1, 1000), ("p2", 1, 1000)), 30, 60)],
            id="a change exactly abandon_after later keeps the cart alive",
        ),
        pytest.param(
            [add(0, "p1"), add(31, "p2")],
            [((("p1", 1, 1000),), 0, 30), ((("p2", 1, 1000),), 31, 61)],
            id="a longer silence abandons and resets the cart",
        ),
        pytest.param(
            [add(0, "p1"), purchase(40), add(50, "p2"), purchase(55)],
            [((("p1", 1, 1000),), 0, 30)],
            id="late purchase",
        ),
        pytest.param([remove(0, "p1"), purchase(1)], [], id="removing what is not there changes nothing"),
        pytest.param(
            [add(10, "p1"), add(0, "p2"), remove(5, "p2")],
            [((("p1", 1, 1000),), 10, 40)],
            id="replayed in event-time order whatever the input order",
        ),
    ],
)
def test_abandonment_follows_the_cart_contract(changes, expected) -> None:
    # GIVEN a user's cart changes WHEN they are replayed THEN exactly the contract's abandoned carts come out
    assert run(changes) == expected


def test_same_millisecond_purchase_settles_before_a_new_add() -> None:
    # GIVEN an add and a purchase at the same millisecond (ties never happen in the simulator, but the order
    # must still be deterministic) WHEN replayed THEN the purchase empties the old cart first
    assert run([add(0, "p1"), add(5, "p2"), purchase(5)]) == [((("p2", 1, 1000),), 5, 35)]


def test_current_cart_forgets_an_abandoned_cart() -> None:
    rule = CartAbandonment(abandon_after_ms=AFTER)
    state = rule.initialize()
    rule.add(state, add(0, "p1"))
    assert rule.current_cart(state, 10 * MINUTE).product_ids == {"p1"}
    assert rule.current_cart(state, 31 * MINUTE).product_ids == frozenset()


def test_abandon_after_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        CartAbandonment(abandon_after_ms=0)


def test_abandoned_carts_of_a_window_read_its_lines_in_any_order() -> None:
    # GIVEN a window's changes as SQL lists them: out of order, with an empty record
    changes = ";".join([add(5, "p-2").encode(), "", add(0, "p-1").encode()])
    # WHEN the whole step runs
    abandoned = abandoned_carts(changes, abandon_after_ms=AFTER)
    # THEN one cart with both products, abandoned abandon_after after its last change
    assert [(a.cart.items, a.abandoned_at_ms) for a in abandoned] == [
        ((("p-1", 1, 1000), ("p-2", 1, 1000)), 5 * MINUTE + AFTER)
    ]
    assert abandoned_carts(None, abandon_after_ms=AFTER) == []
    assert abandoned_carts(purchase(0).encode(), abandon_after_ms=AFTER) == []
