"""Unit prices per region: loads and validates the dated price files in `kappa/planning/prices/`.

Each file holds one region's public list prices with an `as_of` date and, per item, the AWS pricing page
it comes from. Prices are decimal strings so that money is computed exactly (`Decimal`), and tiered items
(API Gateway requests, Lambda GB-seconds, Firehose GB, ...) are priced tier by tier like the AWS bill.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PRICES_PACKAGE = "kappa.planning"
PRICES_DIR = "prices"


class PriceError(ValueError):
    """A price file is missing, unknown or malformed; the message names the region or the file."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PriceTier(_Frozen):
    """One step of a tiered price: `price` per `per` units for the monthly usage up to `up_to` units."""

    up_to: Decimal | None = Field(description="cumulative monthly units this tier ends at; null = no end")
    price: Decimal = Field(ge=0)


class PriceItem(_Frozen):
    """One billable dimension (e.g. Lambda arm64 GB-seconds) with a flat or tiered price."""

    description: str
    unit: str = Field(description="what is counted, e.g. 'requests', 'GB-months'")
    per: int = Field(default=1, gt=0, description="prices are per this many units, e.g. 1000000")
    price: Decimal | None = Field(default=None, ge=0)
    tiers: tuple[PriceTier, ...] | None = None
    source: str = Field(pattern=r"^https://aws\.amazon\.com/")
    note: str | None = None

    @model_validator(mode="after")
    def _flat_or_tiered(self) -> PriceItem:
        if (self.price is None) == (self.tiers is None):
            raise ValueError("give either 'price' or 'tiers', not both or neither")
        if self.tiers is not None:
            bounds = [tier.up_to for tier in self.tiers]
            if not bounds or bounds[-1] is not None or None in bounds[:-1]:
                raise ValueError("tiers need increasing 'up_to' bounds and a last tier with 'up_to': null")
            finite = bounds[:-1]
            if any(lower >= upper for lower, upper in pairwise(finite)):  # type: ignore[operator]
                raise ValueError("tier 'up_to' bounds must increase")
        return self

    def split(
        self, quantity: Decimal, *, already_billed: Decimal = Decimal(0)
    ) -> list[tuple[Decimal, Decimal]]:
        """`quantity` units spread over the tiers: `(units in tier, price per `per` units)` pairs.

        `already_billed` is usage of the same item earlier in the month's bill (another function's
        GB-seconds): tiers apply to the account's total, so this quantity starts where that one ended.
        """
        if quantity < 0 or already_billed < 0:
            raise ValueError(f"quantities must not be negative, got {quantity} after {already_billed}")
        if self.price is not None:
            return [(quantity, self.price)]
        parts: list[tuple[Decimal, Decimal]] = []
        start, end = already_billed, already_billed + quantity
        lower = Decimal(0)
        for tier in self.tiers or ():
            upper = tier.up_to if tier.up_to is not None else end
            in_tier = min(end, upper) - max(start, lower)
            if in_tier > 0:
                parts.append((in_tier, tier.price))
            lower = upper
            if lower >= end:
                break
        return parts or [(Decimal(0), self.price_at(already_billed))]

    def price_at(self, units: Decimal) -> Decimal:
        """The price per `per` units that applies after `units` of monthly usage."""
        if self.price is not None:
            return self.price
        for tier in self.tiers or ():
            if tier.up_to is None or units < tier.up_to:
                return tier.price
        raise AssertionError("validated tiers end with an open tier")

    def cost(self, quantity: Decimal, *, already_billed: Decimal = Decimal(0)) -> Decimal:
        """Exact (unrounded) monthly cost of `quantity` units."""
        parts = self.split(quantity, already_billed=already_billed)
        return sum((units * price / self.per for units, price in parts), Decimal(0))


class PriceBook(_Frozen):
    """All unit prices of one region, as of one date."""

    region: str
    region_name: str
    currency: str = Field(pattern=r"^USD$")
    as_of: date
    disclaimer: str
    units: dict[str, str]
    items: dict[str, PriceItem]

    def __getitem__(self, key: str) -> PriceItem:
        try:
            return self.items[key]
        except KeyError:
            raise PriceError(f"price file for {self.region} has no item {key!r}") from None


def known_regions() -> tuple[str, ...]:
    """Regions that have a price file, sorted."""
    folder = resources.files(PRICES_PACKAGE).joinpath(PRICES_DIR)
    return tuple(
        sorted(entry.name.removesuffix(".json") for entry in folder.iterdir() if entry.name.endswith(".json"))
    )


@cache
def load_prices(region: str) -> PriceBook:
    """The validated price book of `region`; PriceError names the known regions when there is none."""
    regions = known_regions()
    if region not in regions:
        raise PriceError(f"no price file for region {region!r}; known regions: {', '.join(regions)}")
    name = f"{region}.json"
    text = resources.files(PRICES_PACKAGE).joinpath(PRICES_DIR).joinpath(name).read_text(encoding="utf-8")
    try:
        book = PriceBook.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as error:
        raise PriceError(f"price file {PRICES_DIR}/{name} is invalid: {error}") from None
    if book.region != region:
        raise PriceError(f"price file {PRICES_DIR}/{name} says region {book.region!r}, expected {region!r}")
    return book
