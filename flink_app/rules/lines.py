"""The compact text lines SQL aggregates (LISTAGG) hand to Python, and their decoding.

Fields are separated by `,` and records by `;`: neither may appear in an identifier (the contract allows
only letters, digits and `_ . : @ | -`), so no escaping is needed. The SQL side builds the same layout in
`flink_app/sql/`; `tests/flink_app/rules/test_lines.py` pins both ends together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FIELD_SEPARATOR = ","
RECORD_SEPARATOR = ";"

CartChangeKind = Literal["add", "remove", "purchase"]
_KIND_CODES: dict[str, CartChangeKind] = {"a": "add", "r": "remove", "p": "purchase"}
KIND_CODE: dict[str, str] = {"add_to_cart": "a", "remove_from_cart": "r", "purchase": "p"}


@dataclass(frozen=True, slots=True)
class CartChange:
    """One add_to_cart / remove_from_cart / purchase of a shopper, as the cart rules need it."""

    at_ms: int
    kind: CartChangeKind
    event_id: str
    session_id: str
    product_id: str = ""
    quantity: int = 0
    price_cents: int = 0
    currency: str = ""

    @property
    def order_key(self) -> tuple[int, int, str]:
        """Event-time order; at the same millisecond the sequence in the log decides (see `sort_changes`)."""
        return (self.at_ms, _KIND_RANK[self.kind], self.event_id)

    def encode(self) -> str:
        code = {"add": "a", "remove": "r", "purchase": "p"}[self.kind]
        return FIELD_SEPARATOR.join(
            [
                str(self.at_ms),
                code,
                self.event_id,
                self.session_id,
                self.product_id,
                str(self.quantity),
                str(self.price_cents),
                self.currency,
            ]
        )


# Same-millisecond ties: a purchase settles the cart before new changes, adds before removes.
_KIND_RANK = {"purchase": 0, "add": 1, "remove": 2}


def decode_cart_changes(text: str | None) -> list[CartChange]:
    """`at_ms,kind,event_id,session_id,product_id,quantity,price_cents,currency;...` → changes, unsorted."""
    if not text:
        return []
    changes = []
    for record in text.split(RECORD_SEPARATOR):
        if not record:
            continue
        at_ms, code, event_id, session_id, product_id, quantity, price_cents, currency = record.split(
            FIELD_SEPARATOR
        )
        changes.append(
            CartChange(
                at_ms=int(at_ms),
                kind=_KIND_CODES[code],
                event_id=event_id,
                session_id=session_id,
                product_id=product_id,
                quantity=int(quantity or 0),
                price_cents=int(price_cents or 0),
                currency=currency,
            )
        )
    return changes


def sort_changes(changes: list[CartChange]) -> list[CartChange]:
    """Event-time order with a deterministic tie-break, whatever order the aggregate listed them in."""
    return sorted(changes, key=lambda change: change.order_key)


@dataclass(frozen=True, slots=True)
class Neighbor:
    """A related product and its decayed co-occurrence score."""

    product_id: str
    score: float


def decode_neighbors(text: str | None) -> list[Neighbor]:
    """`product_id,score;...` → neighbors, best first (score descending, then product id)."""
    if not text:
        return []
    neighbors = []
    for record in text.split(RECORD_SEPARATOR):
        if not record:
            continue
        product_id, score = record.split(FIELD_SEPARATOR)
        neighbors.append(Neighbor(product_id, float(score)))
    return sorted(neighbors, key=lambda n: (-n.score, n.product_id))


def decode_amounts(text: str | None) -> dict[str, int]:
    """`currency,cents;...` → total cents per currency."""
    totals: dict[str, int] = {}
    if not text:
        return totals
    for record in text.split(RECORD_SEPARATOR):
        if not record:
            continue
        currency, cents = record.split(FIELD_SEPARATOR)
        totals[currency] = totals.get(currency, 0) + int(cents)
    return totals
