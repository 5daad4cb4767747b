"""Cart abandonment: a non-empty cart with no cart change or purchase within `abandon_after` of its last change.

Aggregator over one user's cart changes in event-time order::

    detector = CartAbandonment(abandon_after_ms=30 * 60_000)
    state = detector.initialize()
    for change in sort_changes(changes):
        detector.add(state, change)
    abandoned = detector.result(state)   # every cart abandoned in this sequence, in order

"Within" is inclusive: a change exactly `abandon_after` after the last one keeps the cart alive (the same
boundary as Flink's session windows, which collect a user's cart changes in the job). An abandoned cart
resets to empty. `result` treats the end of the sequence as "nothing followed", which is what the job's
session window guarantees when it fires.

`abandoned_carts` is the whole step for one cart window's changes (the `lines` text SQL lists, any order). The
job runs it in Java (`abandoned_cart_insights`, dev.kappa.flink.insights.CartAbandonment and
AbandonedCartInsight, byte for byte the same insights); this module is its documented reference, which
tests/flink_app/test_java_insights.py compares it with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flink_app.rules.cart import Cart, CartSnapshot
from flink_app.rules.lines import CartChange, decode_cart_changes, sort_changes


@dataclass(frozen=True, slots=True)
class AbandonedCart:
    cart: CartSnapshot
    abandoned_at_ms: int


@dataclass(slots=True)
class AbandonmentState:
    cart: Cart = field(default_factory=Cart)
    abandoned: list[AbandonedCart] = field(default_factory=list)


class CartAbandonment:
    def __init__(self, *, abandon_after_ms: int) -> None:
        if abandon_after_ms <= 0:
            raise ValueError("abandon_after_ms must be positive")
        self.abandon_after_ms = abandon_after_ms

    def initialize(self) -> AbandonmentState:
        return AbandonmentState()

    def add(self, state: AbandonmentState, change: CartChange) -> AbandonmentState:
        self._close_if_abandoned_before(state, change.at_ms)
        state.cart.apply(change)
        return state

    def result(self, state: AbandonmentState) -> list[AbandonedCart]:
        """All abandoned carts, including the current one (nothing follows the end of the sequence)."""
        closed = list(state.abandoned)
        cart = state.cart
        if not cart.empty and cart.last_change_at_ms is not None:
            closed.append(AbandonedCart(cart.snapshot(), cart.last_change_at_ms + self.abandon_after_ms))
        return closed

    def current_cart(self, state: AbandonmentState, at_ms: int) -> CartSnapshot:
        """The cart as it stands at `at_ms` (abandoned carts are already reset), without closing anything."""
        cart = state.cart
        if (
            cart.empty
            or cart.last_change_at_ms is None
            or at_ms - cart.last_change_at_ms > self.abandon_after_ms
        ):
            return CartSnapshot(items=(), currency="", last_change_at_ms=0, session_id="")
        return cart.snapshot()

    def _close_if_abandoned_before(self, state: AbandonmentState, at_ms: int) -> None:
        cart = state.cart
        if cart.empty or cart.last_change_at_ms is None:
            return
        if at_ms - cart.last_change_at_ms > self.abandon_after_ms:
            state.abandoned.append(
                AbandonedCart(cart.snapshot(), cart.last_change_at_ms + self.abandon_after_ms)
            )
            cart.clear()


def abandoned_carts(changes: str | None, *, abandon_after_ms: int) -> list[AbandonedCart]:
    """Every cart abandoned in one window's cart changes (`rules.lines` text, any order), in event-time order.

    >>> [a.abandoned_at_ms for a in abandoned_carts("0,a,e1,s1,p1,1,100,EUR", abandon_after_ms=60_000)]
    [60000]
    """
    rule = CartAbandonment(abandon_after_ms=abandon_after_ms)
    state = rule.initialize()
    for change in sort_changes(decode_cart_changes(changes)):
        rule.add(state, change)
    return rule.result(state)
