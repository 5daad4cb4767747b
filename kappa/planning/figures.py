"""How quantities, prices and money are written in formulas, tables and JSON (one style everywhere)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from kappa.planning.prices import PriceItem

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """Round money the way a bill does: half up, to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def usd(amount: Decimal) -> str:
    """`$1,234.56`."""
    return f"${to_cents(amount):,.2f}"


def number(value: Decimal | int, places: int = 2) -> str:
    """Thousands separators, at most `places` decimals, no trailing zeros: `26,280,000,000`, `0.5`."""
    text = f"{Decimal(value):,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def unit_price(price: Decimal, per: int) -> str:
    """`$3.50/1M`, `$0.0000133334`, `$0.005/1K`, `$3.00`: a price with its `per` scale."""
    scale = {1: "", 1000: "/1K", 1_000_000: "/1M"}.get(per, f"/{per:,}")
    digits = f"{price.normalize():f}"
    decimals = len(digits.partition(".")[2])
    return f"${price:.{max(decimals, 2)}f}{scale}"


def price_breakdown(item: PriceItem, quantity: Decimal, *, already_billed: Decimal = Decimal(0)) -> str:
    """The price applied to `quantity`, tier by tier: `$3.50/1M` or `333M × $3.50/1M + 100M × $2.80/1M`."""
    parts = item.split(quantity, already_billed=already_billed)
    if len(parts) == 1:
        return unit_price(parts[0][1], item.per)
    return " + ".join(f"{short(units)} × {unit_price(price, item.per)}" for units, price in parts)


def short(value: Decimal) -> str:
    """Compact magnitude for tier breakdowns: `333M`, `7.5B`, `512K`, `42`."""
    for size, suffix in (
        (Decimal(10) ** 12, "T"),
        (Decimal(10) ** 9, "B"),
        (Decimal(10) ** 6, "M"),
        (Decimal(1000), "K"),
    ):
        if abs(value) >= size:
            return number(value / size, 2) + suffix
    return number(value, 2)
