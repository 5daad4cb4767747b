"""Money as integer cents inside the job (sums are exact and order-independent), floats only at the edge."""

from __future__ import annotations


def to_cents(amount: float) -> int:
    """19.99 → 1999. Prices carry at most two decimals, so rounding only removes binary noise."""
    return round(amount * 100)


def from_cents(cents: int) -> float:
    """1999 → 19.99 (the float that prints as the two-decimal amount)."""
    return round(cents / 100, 2)
