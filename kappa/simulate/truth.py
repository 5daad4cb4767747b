"""The ground truth a run planted (abandoned carts, affinities, trends, counts) and its JSON file format.

Other components (Flink job tests, the local demo, benchmarks) read this file, so its shape is a
contract: see docs/simulator.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class CartItem:
    product_id: str
    quantity: int
    price: float

    def as_dict(self) -> dict[str, Any]:
        return {"product_id": self.product_id, "quantity": self.quantity, "price": self.price}


@dataclass(frozen=True, slots=True)
class AbandonedCart:
    """A cart the contract flags: items merged per product and sorted by product_id, value in cents precision."""

    user_id: str
    session_id: str
    items: tuple[CartItem, ...]
    value: float
    currency: str
    last_cart_change_at: str
    last_cart_change_ms: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "session_id": self.session_id,
            "items": [item.as_dict() for item in self.items],
            "value": self.value,
            "currency": self.currency,
            "last_cart_change_at": self.last_cart_change_at,
        }


@dataclass(frozen=True, slots=True)
class Affinity:
    products: tuple[str, str]
    strength: float

    def as_dict(self) -> dict[str, Any]:
        return {"products": list(self.products), "strength": self.strength}


@dataclass(frozen=True, slots=True)
class Trend:
    product_id: str
    start: str
    end: str
    multiplier: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "start": self.start,
            "end": self.end,
            "multiplier": self.multiplier,
        }


@dataclass(frozen=True, slots=True)
class Truth:
    """What the generator planted in one run, and the counts of what it delivered.

    `events` counts delivered lines (duplicates included); `duplicates` the extra copies;
    `out_of_order` the deliveries whose `occurred_at` is earlier than that of an event delivered
    before them; `purchases` the distinct purchase events.
    """

    seed: int
    users: int
    start: str
    end: str
    abandon_after_minutes: float
    events: int
    duplicates: int
    out_of_order: int
    abandoned_carts: tuple[AbandonedCart, ...]
    affinities: tuple[Affinity, ...]
    trends: tuple[Trend, ...]
    purchases: int
    personas: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "users": self.users,
            "start": self.start,
            "end": self.end,
            "abandon_after_minutes": _plain_number(self.abandon_after_minutes),
            "events": self.events,
            "duplicates": self.duplicates,
            "out_of_order": self.out_of_order,
            "abandoned_carts": [cart.as_dict() for cart in self.abandoned_carts],
            "affinities": [affinity.as_dict() for affinity in self.affinities],
            "trends": [trend.as_dict() for trend in self.trends],
            "purchases": self.purchases,
            "personas": dict(self.personas),
        }

    def to_json(self) -> bytes:
        return orjson.dumps(self.as_dict(), option=orjson.OPT_INDENT_2) + b"\n"

    def write(self, path: Path) -> None:
        path.write_bytes(self.to_json())


def _plain_number(value: float) -> float | int:
    """30.0 minutes reads as 30 in the file; 1.5 stays 1.5."""
    return int(value) if float(value).is_integer() else value
