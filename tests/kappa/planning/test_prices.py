"""Price files: every region loads, items are sourced and comparable, tiers are applied like the bill."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from kappa.planning.prices import PriceError, PriceItem, known_regions, load_prices


def test_us_east_1_and_eu_west_1_have_price_files() -> None:
    assert {"us-east-1", "eu-west-1"} <= set(known_regions())


@pytest.mark.parametrize("region", known_regions())
def test_every_price_file_is_dated_sourced_and_prices_the_same_items(region: str) -> None:
    # GIVEN the reference price book (us-east-1) and another region's
    reference = load_prices("us-east-1")
    book = load_prices(region)

    # THEN the file is dated, says where each price comes from and covers every item the estimate uses
    assert book.as_of.year >= 2025
    assert book.region == region
    assert "best knowledge" in book.disclaimer
    assert set(book.items) == set(reference.items)
    for key, item in book.items.items():
        assert item.source.startswith("https://aws.amazon.com/"), key
        assert item.unit == reference.items[key].unit, key
        assert item.per == reference.items[key].per, key


def test_unknown_region_names_the_known_ones() -> None:
    with pytest.raises(
        PriceError, match=r"no price file for region 'mars-1'; known regions: eu-west-1, us-east-1"
    ):
        load_prices("mars-1")


def test_flat_price_is_quantity_times_price_per_unit_scale() -> None:
    item = PriceItem(
        description="x",
        unit="requests",
        per=1_000_000,
        price=Decimal("0.20"),
        source="https://aws.amazon.com/lambda/pricing/",
    )

    # 2,500,000 requests × $0.20 / 1,000,000 = $0.50
    assert item.cost(Decimal(2_500_000)) == Decimal("0.5")


def test_tiered_price_fills_each_tier_in_order() -> None:
    api = load_prices("us-east-1")["apigateway.rest_requests"]

    # 400M requests: 333M × $3.50/M + 67M × $2.80/M = 1,165.50 + 187.60 = 1,353.10
    assert api.cost(Decimal(400_000_000)) == Decimal("1353.10")
    assert api.split(Decimal(400_000_000)) == [
        (Decimal(333_000_000), Decimal("3.50")),
        (Decimal(67_000_000), Decimal("2.80")),
    ]


def test_tiered_price_continues_where_earlier_usage_of_the_same_item_ended() -> None:
    gb_seconds = load_prices("us-east-1")["lambda.arm64_gb_seconds"]

    # GIVEN 7.0B GB-seconds already billed this month (first tier ends at 7.5B)
    # WHEN another function uses 1.0B: 0.5B × 0.0000133334 + 0.5B × 0.0000120001 = 6,666.70 + 6,000.05
    cost = gb_seconds.cost(Decimal(1_000_000_000), already_billed=Decimal(7_000_000_000))

    assert cost == Decimal("12666.75")


def test_usage_beyond_the_last_bound_uses_the_open_tier() -> None:
    api = load_prices("us-east-1")["apigateway.rest_requests"]

    # 1M requests after 25B: all in the "over 20B" tier at $1.51/M
    assert api.cost(Decimal(1_000_000), already_billed=Decimal(25_000_000_000)) == Decimal("1.51")


@pytest.mark.parametrize(
    "tiers",
    [
        [{"up_to": 100, "price": "1"}],  # no open last tier
        [{"up_to": 100, "price": "1"}, {"up_to": 50, "price": "0.5"}, {"up_to": None, "price": "0.1"}],
        [{"up_to": None, "price": "1"}, {"up_to": None, "price": "0.5"}],
    ],
)
def test_malformed_tiers_are_rejected(tiers: list[dict[str, object]]) -> None:
    with pytest.raises(ValidationError, match="tier"):
        PriceItem(description="x", unit="GB", tiers=tiers, source="https://aws.amazon.com/s3/pricing/")


def test_an_item_needs_exactly_one_of_price_and_tiers() -> None:
    with pytest.raises(ValidationError, match="either 'price' or 'tiers'"):
        PriceItem(description="x", unit="GB", source="https://aws.amazon.com/s3/pricing/")
