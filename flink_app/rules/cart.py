"""A shopper's cart as the contract defines it, built from cart changes in event-time order.

The contract (the simulator's ground truth follows exactly this):
- a cart belongs to a `user_id` (not a session);
- add_to_cart adds `quantity` of a product; remove_from_cart subtracts it, and a product whose quantity
  falls to 0 or below leaves the cart;
- a purchase empties the cart;
- a product's price is the price of its latest add_to_cart; the cart's currency is that of its latest add.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flink_app.rules.lines import CartChange
from flink_app.rules.money import from_cents


@dataclass(slots=True)
class CartLine:
    quantity: int
    price_cents: int


@dataclass(slots=True)
class Cart:
    """Mutable cart state; `apply` one change at a time, in event-time order."""

    items: dict[str, CartLine] = field(default_factory=dict)
    currency: str = ""
    last_change_at_ms: int | None = None
    session_id: str = ""

    @property
    def empty(self) -> bool:
        return not self.items

    def apply(self, change: CartChange) -> None:
        if change.kind == "purchase":
            self.items.clear()
            return
        self.last_change_at_ms = change.at_ms
        self.session_id = change.session_id
        line = self.items.get(change.product_id)
        if change.kind == "add":
            if line is None:
                self.items[change.product_id] = CartLine(change.quantity, change.price_cents)
            else:
                line.quantity += change.quantity
                line.price_cents = change.price_cents
            self.currency = change.currency or self.currency
        elif line is not None:
            line.quantity -= change.quantity
            if line.quantity <= 0:
                del self.items[change.product_id]

    def clear(self) -> None:
        self.items.clear()
        self.currency = ""
        self.last_change_at_ms = None
        self.session_id = ""

    def snapshot(self) -> CartSnapshot:
        ordered = sorted(self.items.items())
        return CartSnapshot(
            items=tuple((product_id, line.quantity, line.price_cents) for product_id, line in ordered),
            currency=self.currency,
            last_change_at_ms=self.last_change_at_ms or 0,
            session_id=self.session_id,
        )


@dataclass(frozen=True, slots=True)
class CartSnapshot:
    """An immutable copy of a cart: items `(product_id, quantity, price_cents)` sorted by product id."""

    items: tuple[tuple[str, int, int], ...]
    currency: str
    last_change_at_ms: int
    session_id: str

    @property
    def value_cents(self) -> int:
        return sum(quantity * price_cents for _, quantity, price_cents in self.items)

    @property
    def product_ids(self) -> frozenset[str]:
        return frozenset(product_id for product_id, _, _ in self.items)

    def items_payload(self) -> list[dict[str, object]]:
        return [
            {"product_id": product_id, "quantity": quantity, "price": from_cents(price_cents)}
            for product_id, quantity, price_cents in self.items
        ]
