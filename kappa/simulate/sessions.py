"""One shopping session as events: landing, browsing, searches, cart changes, checkout, purchase or abandonment.

A session is planned as steps on a relative clock (think times), squeezed into its slot's budget if
it runs long, then rendered as contract events. Cart rules the Flink job relies on hold by
construction: while a cart holds items, at most three think times (each at most 15% of
`abandon_after`) separate two cart changes or the final purchase, so a buyer's cart is never idle
for `abandon_after`; an abandoning session ends with items in the cart and is reported.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from statistics import NormalDist
from typing import Any, NamedTuple

from kappa.simulate.catalogue import Catalogue
from kappa.simulate.personas import SessionSlot
from kappa.simulate.timestamps import TimestampFormatter
from kappa.simulate.trends import PlantedTrend
from kappa.simulate.truth import AbandonedCart, CartItem

SHOP_URL = "https://shop.example.com"
THINK_MEDIAN_MS = 18_000
THINK_SIGMA = 0.9
THINK_RANGE_MS = (2_000, 150_000)
"""Seconds to a couple of minutes between two actions (log-normal, clamped), before `time_scale`."""
CART_GAP_SHARE = 0.15
"""While a cart holds items, one think time is at most this share of `abandon_after`."""

# Step codes (index into EVENT_TYPES order used for rendering).
_PAGE, _VIEW, _SEARCH, _ADD, _REMOVE, _CHECKOUT, _PURCHASE = range(7)
_TYPE_NAMES = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "checkout_started",
    "purchase",
)
_REFERRERS = (
    (0.40, None),
    (0.70, "https://www.google.com/"),
    (0.85, "https://www.instagram.com/"),
    (1.00, "https://newsletter.example.com/"),
)
_DEVICES = (("mobile", 0.62), ("desktop", 0.32), ("tablet", 0.06))
_COUNTRIES = ("DE", "FR", "NL", "ES", "IT", "AT", "BE", "PL", "SE", "IE")


class BuiltSession(NamedTuple):
    events: list[tuple[int, dict[str, Any]]]
    purchases: int
    abandoned: AbandonedCart | None


class SessionBuilder:
    """Turns session slots into events. Holds the one content RNG, so slots must come in a fixed order."""

    def __init__(
        self,
        *,
        rng: random.Random,
        catalogue: Catalogue,
        trends: list[PlantedTrend],
        run_tag: str,
        abandon_after_ms: int,
        time_scale: float,
    ) -> None:
        self._rng = rng
        self._catalogue = catalogue
        self._products = catalogue.products
        self._trends = [(t.start_ms, t.end_ms, t.substitution, t.product) for t in trends]
        self._run_tag = run_tag
        self._currency = catalogue.currency
        self._cart_gap_ms = max(1, int(abandon_after_ms * CART_GAP_SHARE))
        self._think_times = _think_time_quantiles(time_scale)
        self._format = TimestampFormatter()
        self._event_counter = 0
        self._order_counter = 0

    # --- planning -------------------------------------------------------------------------------

    def _think(self) -> int:
        # A draw from the clamped log-normal via its quantile table: one random() instead of a slow variate.
        return self._think_times[int(self._rng.random() * _THINK_QUANTILES)]

    def _fresh_pick(self, at_ms: int, category: str | None = None) -> int:
        """A product the shopper comes across: popularity-weighted, unless a planted trend draws them in."""
        rng = self._rng
        if category is None:
            product = self._catalogue.pick_popular(rng)
        else:
            product = self._catalogue.pick_in_category(rng, category)
        for start, end, substitution, trending in self._trends:
            if start <= at_ms < end and rng.random() < substitution:
                return trending
        return product

    def _plan(self, slot: SessionSlot) -> tuple[list[list[Any]], int]:
        """Steps `[offset_ms, code, payload]` and the index of the last cart change (-1 if none)."""
        rng = self._rng
        catalogue = self._catalogue
        start = slot.start_ms
        kind = slot.kind
        think = self._think
        roll = rng.random()
        referrer = next(r for bound, r in _REFERRERS if roll < bound)
        roll = rng.random()
        landing = "/" if roll < 0.5 else "/deals" if roll < 0.65 else f"/c/{rng.choice(catalogue.categories)}"
        steps: list[list[Any]] = [[0, _PAGE, (landing, referrer)]]
        t = 0
        last_viewed = -1
        browse_steps = (2 if kind == "browse" else 1) + _geometric(rng, 5.0 if kind == "browse" else 2.5)
        for _ in range(browse_steps):
            t += think()
            roll = rng.random()
            if roll < 0.62:
                last_viewed = self._fresh_pick(start + t)
                steps.append([t, _VIEW, last_viewed])
                for partner, _strength in catalogue.partners.get(last_viewed, ()):
                    if rng.random() < 0.3:  # shoppers who look at A often look at B too
                        t += think()
                        last_viewed = partner
                        steps.append([t, _VIEW, partner])
            elif roll < 0.82:
                seed_product = self._products[catalogue.pick_popular(rng)]
                query = _query(rng, seed_product.brand, seed_product.noun, seed_product.category)
                steps.append([t, _SEARCH, (query, rng.randint(3, 240))])
                t += think()
                last_viewed = self._fresh_pick(start + t, seed_product.category)
                steps.append([t, _VIEW, last_viewed])
            else:
                steps.append([t, _PAGE, (f"/c/{rng.choice(catalogue.categories)}", None)])
        if kind == "browse":
            return steps, -1
        return self._plan_cart(rng, steps, t, start, kind, last_viewed)

    def _plan_cart(
        self, rng: random.Random, steps: list[list[Any]], t: int, start: int, kind: str, last_viewed: int
    ) -> tuple[list[list[Any]], int]:
        gap = self._cart_gap_ms
        think = self._think
        cart: dict[int, int] = {}
        add = self._add_with_partners
        if last_viewed >= 0 and rng.random() < 0.75:
            t = add(steps, cart, t, last_viewed, viewed=True)
        else:
            t = add(steps, cart, t, self._fresh_pick(start + t), viewed=False)
        last_change = len(steps) - 1
        while len(cart) < 6 and rng.random() < 0.4:
            product = self._fresh_pick(start + t)
            if product not in cart:
                t = add(steps, cart, t, product, viewed=False)
                last_change = len(steps) - 1
        if rng.random() < 0.25:
            lines = [p for p, q in cart.items() if q >= 2] if len(cart) == 1 else list(cart)
            if lines:
                product = rng.choice(lines)
                quantity = cart[product] if len(cart) >= 2 else 1
                t += min(think(), gap)
                steps.append([t, _PAGE, ("/cart", None)])
                t += min(think(), gap)
                steps.append([t, _REMOVE, product, quantity])
                last_change = len(steps) - 1
                cart[product] -= quantity
                if cart[product] <= 0:
                    del cart[product]
        if kind == "buy" or rng.random() < 0.35:
            t += min(think(), gap)
            steps.append([t, _PAGE, ("/cart", None)])
            t += min(think(), gap)
            steps.append([t, _CHECKOUT, None])
        if kind == "buy":
            t += min(think(), gap)
            steps.append([t, _PURCHASE, list(cart.items())])
            return steps, len(steps) - 1
        for _ in range(_geometric(rng, 0.8)):  # wanders off a little before leaving
            t += think()
            steps.append([t, _VIEW, self._fresh_pick(start + t)])
        return steps, last_change

    def _add_with_partners(
        self, steps: list[list[Any]], cart: dict[int, int], t: int, product: int, *, viewed: bool
    ) -> int:
        """View (unless just viewed) and add `product`, then its affinity partners; returns the new clock."""
        rng = self._rng
        gap = self._cart_gap_ms
        think = self._think
        queue = [(product, viewed)]
        while queue:
            product, viewed = queue.pop()
            if not viewed:
                t += min(think(), gap)
                steps.append([t, _VIEW, product])
            t += min(think(), gap)
            roll = rng.random()
            quantity = 1 if roll < 0.8 else 2 if roll < 0.95 else 3
            steps.append([t, _ADD, product, quantity])
            cart[product] = cart.get(product, 0) + quantity
            for partner, strength in self._catalogue.partners.get(product, ()):
                if partner not in cart and rng.random() < strength:
                    queue.append((partner, False))
        return t

    # --- rendering ------------------------------------------------------------------------------

    def build(self, slot: SessionSlot, user_id: str) -> BuiltSession:
        steps, last_change = self._plan(slot)
        if slot.kind == "browse":
            del steps[
                max(1, bisect_right([step[0] for step in steps], slot.budget_ms - 1)) :
            ]  # browsers just leave
        _fit(steps, slot.budget_ms)
        session_id = f"s-{self._run_tag}-{slot.user:x}-{slot.number}"
        start = slot.start_ms
        products = self._products
        currency = self._currency
        fmt = self._format
        tag = self._run_tag
        counter = self._event_counter
        events: list[tuple[int, dict[str, Any]]] = []
        purchases = 0
        for step in steps:
            at = start + step[0]
            code = step[1]
            counter += 1
            event: dict[str, Any] = {
                "event_id": f"{tag}-{counter:x}",
                "event_type": _TYPE_NAMES[code],
                "occurred_at": fmt(at),
                "user_id": user_id,
                "session_id": session_id,
            }
            if code == _VIEW:
                event["product"] = dict(products[step[2]].body)
            elif code == _PAGE:
                url, referrer = step[2]
                page = {"url": SHOP_URL + url}
                if referrer is not None:
                    page["referrer"] = referrer
                event["page"] = page
                if step[0] == 0:
                    event["context"] = self._context()
            elif code in (_ADD, _REMOVE):
                event["product"] = dict(products[step[2]].body)
                event["quantity"] = step[3]
            elif code == _SEARCH:
                query, results = step[2]
                event["search"] = {"query": query, "results_count": results}
            elif code == _PURCHASE:
                self._order_counter += 1
                items = [
                    {"product_id": products[p].product_id, "quantity": q, "price": products[p].price}
                    for p, q in step[2]
                ]
                event["order"] = {
                    "order_id": f"o-{tag}-{self._order_counter:x}",
                    "items": items,
                    "total": round(sum(i["quantity"] * i["price"] for i in items), 2),
                    "currency": currency,
                }
                purchases += 1
            events.append((at, event))
        self._event_counter = counter
        abandoned = None
        if slot.kind == "abandon":
            abandoned = self._abandoned_cart(
                steps, last_change, start + steps[last_change][0], user_id, session_id
            )
        return BuiltSession(events, purchases, abandoned)

    def _context(self) -> dict[str, Any]:
        rng = self._rng
        roll = rng.random()
        device = "tablet"
        for name, share in _DEVICES:
            if roll < share:
                device = name
                break
            roll -= share
        return {"device": device, "country": rng.choice(_COUNTRIES)}

    def _abandoned_cart(
        self, steps: list[list[Any]], last_change: int, last_change_ms: int, user_id: str, session_id: str
    ) -> AbandonedCart:
        cart: dict[int, int] = {}
        for step in steps[: last_change + 1]:
            if step[1] == _ADD:
                cart[step[2]] = cart.get(step[2], 0) + step[3]
            elif step[1] == _REMOVE:
                cart[step[2]] -= step[3]
                if cart[step[2]] <= 0:
                    del cart[step[2]]
        products = self._products
        items = tuple(
            sorted(
                (CartItem(products[p].product_id, q, products[p].price) for p, q in cart.items()),
                key=lambda item: item.product_id,
            )
        )
        value = round(sum(item.quantity * item.price for item in items), 2)
        return AbandonedCart(
            user_id, session_id, items, value, self._currency, self._format(last_change_ms), last_change_ms
        )


_THINK_QUANTILES = 4096


def _think_time_quantiles(time_scale: float) -> list[int]:
    """Think times in ms at evenly spaced quantiles of the log-normal, clamped and divided by `time_scale`."""
    log_normal = NormalDist(math.log(THINK_MEDIAN_MS), THINK_SIGMA)
    low, high = THINK_RANGE_MS
    return [
        max(
            1,
            round(
                min(max(math.exp(log_normal.inv_cdf((i + 0.5) / _THINK_QUANTILES)), low), high) / time_scale
            ),
        )
        for i in range(_THINK_QUANTILES)
    ]


def _fit(steps: list[list[Any]], budget_ms: int) -> None:
    """Squeeze the step offsets into [0, budget_ms] if needed, keeping them strictly increasing."""
    last = steps[-1][0]
    target = max(1, budget_ms - len(steps))  # room for the +1 ms nudges below
    if last > target:
        factor = target / last
        for step in steps:
            step[0] = int(step[0] * factor)
    previous = -1
    for step in steps:
        if step[0] <= previous:
            step[0] = previous + 1
        previous = step[0]


def _geometric(rng: random.Random, mean: float) -> int:
    """0, 1, 2, ... with the given mean (number of failures before a success)."""
    if mean <= 0:
        return 0
    success = 1 / (1 + mean)
    return int(math.log(1 - rng.random()) / math.log(1 - success))


def _query(rng: random.Random, brand: str, noun: str, category: str) -> str:
    roll = rng.random()
    if roll < 0.5:
        return noun
    if roll < 0.8:
        return f"{brand} {noun}".lower()
    return category
