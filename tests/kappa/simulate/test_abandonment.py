"""The truth's abandoned carts against an independent reading of the cart contract over the delivered log."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from events import to_epoch_millis
from tests.kappa.simulate.conftest import Run

CART_EVENTS = {"add_to_cart", "remove_from_cart", "purchase"}


def abandoned_carts_by_contract(events: list[dict[str, Any]], abandon_after_ms: int) -> list[dict[str, Any]]:
    """The cart contract the Flink job implements, written out plainly.

    Per user, in event-time order, after dropping repeated event_ids: add_to_cart adds quantity,
    remove_from_cart subtracts it (an item at <= 0 disappears), purchase empties the cart. A
    non-empty cart with no cart change or purchase within `abandon_after` of its last change is
    abandoned (and reset); at the end of the log every non-empty cart is abandoned.
    """
    seen: set[str] = set()
    by_user: dict[str, list[tuple[int, int, dict[str, Any]]]] = defaultdict(list)
    for position, event in enumerate(events):
        if event["event_id"] in seen:
            continue
        seen.add(event["event_id"])
        if event["event_type"] in CART_EVENTS:
            by_user[event["user_id"]].append((to_epoch_millis(event["occurred_at"]), position, event))
    abandoned: list[dict[str, Any]] = []
    for user_id, timeline in by_user.items():
        timeline.sort(key=lambda entry: (entry[0], entry[1]))
        cart: dict[str, list[Any]] = {}  # product_id -> [quantity, price]
        last_change_ms, session_id = 0, ""
        for occurred_ms, _, event in timeline:
            if cart and occurred_ms - last_change_ms >= abandon_after_ms:
                abandoned.append(_abandoned(user_id, session_id, cart, last_change_ms))
                cart = {}
            kind = event["event_type"]
            if kind == "purchase":
                cart = {}
                continue
            product = event["product"]
            line = cart.setdefault(product["product_id"], [0, product["price"]])
            line[0] += event["quantity"] if kind == "add_to_cart" else -event["quantity"]
            if line[0] <= 0:
                del cart[product["product_id"]]
            last_change_ms, session_id = occurred_ms, event["session_id"]
        if cart:
            abandoned.append(_abandoned(user_id, session_id, cart, last_change_ms))
    abandoned.sort(key=lambda cart: (cart["last_cart_change_ms"], cart["user_id"], cart["session_id"]))
    return abandoned


def _abandoned(
    user_id: str, session_id: str, cart: dict[str, list[Any]], last_change_ms: int
) -> dict[str, Any]:
    items = [
        {"product_id": pid, "quantity": qty, "price": price} for pid, (qty, price) in sorted(cart.items())
    ]
    return {
        "user_id": user_id,
        "session_id": session_id,
        "items": items,
        "value": round(sum(item["quantity"] * item["price"] for item in items), 2),
        "last_cart_change_ms": last_change_ms,
    }


def truth_carts(run: Run) -> list[dict[str, Any]]:
    return [
        {
            "user_id": cart["user_id"],
            "session_id": cart["session_id"],
            "items": cart["items"],
            "value": cart["value"],
            "last_cart_change_ms": to_epoch_millis(cart["last_cart_change_at"]),
        }
        for cart in run.truth.as_dict()["abandoned_carts"]
    ]


def test_truth_lists_exactly_the_carts_the_contract_flags_on_the_log(any_run: Run) -> None:
    # GIVEN a generated log and its truth (default, live demo, tiny span, messy delivery)
    # WHEN the cart contract is recomputed independently from the log alone
    recomputed = abandoned_carts_by_contract(any_run.events, any_run.config.abandon_after_ms)
    # THEN it flags exactly the planted carts, with the same items, value and last change
    assert recomputed == truth_carts(any_run)
    assert len(recomputed) > 0


def test_every_truth_cart_has_the_catalogue_currency_and_cent_values(any_run: Run) -> None:
    for cart in any_run.truth.abandoned_carts:
        assert cart.currency == "EUR"
        assert cart.items, "an abandoned cart holds items"
        assert cart.value == round(sum(item.quantity * item.price for item in cart.items), 2)
        assert [item.product_id for item in cart.items] == sorted(item.product_id for item in cart.items)


def test_an_abandoning_user_never_purchases_afterwards_nor_touches_the_cart_within_the_window(
    any_run: Run,
) -> None:
    # GIVEN each user's own stream
    streams: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for event in any_run.unique_events:
        streams[event["user_id"]].append((to_epoch_millis(event["occurred_at"]), event["event_type"]))
    window = any_run.config.abandon_after_ms
    for cart in any_run.truth.abandoned_carts:
        after = [(at, kind) for at, kind in streams[cart.user_id] if at > cart.last_cart_change_ms]
        # THEN no purchase follows the abandoned cart, and no cart change within abandon_after
        assert not [kind for _, kind in after if kind == "purchase"], cart.user_id
        assert not [
            kind for at, kind in after if kind in CART_EVENTS and at - cart.last_cart_change_ms <= window
        ], cart.user_id


def test_abandoned_carts_come_from_abandoners_and_returning_customers_only(default_run: Run) -> None:
    # GIVEN the default run's plan
    simulation = default_run.simulation
    abandoning_sessions = {(slot.user, slot.number) for slot in simulation.slots if slot.kind == "abandon"}
    # THEN there is one truth cart per abandoning session, and buyers' carts never appear
    assert len(default_run.truth.abandoned_carts) == len(abandoning_sessions)
    assert len({cart.session_id for cart in default_run.truth.abandoned_carts}) == len(abandoning_sessions)


def test_most_abandoned_carts_time_out_before_the_span_ends(default_run: Run) -> None:
    end_ms = default_run.config.end_ms
    window = default_run.config.abandon_after_ms
    # GIVEN the default run (1 h span, 30 min abandonment)
    carts = default_run.truth.abandoned_carts
    # WHEN we count the carts whose abandonment timer fires inside the span
    timed_out = [c for c in carts if c.last_cart_change_ms + window <= end_ms]
    # THEN nearly all do (only a returning customer abandoning twice may leave one to the end of input)
    assert len(timed_out) >= 0.95 * len(carts)
