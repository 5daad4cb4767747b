"""The shop's catalogue: products with categories, brands, log-normal prices, Zipf popularity and planted affinities."""

from __future__ import annotations

import math
import random
from bisect import bisect
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

ZIPF_EXPONENT = 0.9
"""Popularity of the product at rank r is proportional to r^-0.9: a long tail with a few best sellers."""
PRICE_SIGMA = 0.55
"""Spread of log-prices around each category's median (log-normal prices)."""

# category: (median price, product nouns, brands)
_CATEGORIES: dict[str, tuple[float, tuple[str, ...], tuple[str, ...]]] = {
    "electronics": (
        120.0,
        ("headphones", "speaker", "monitor", "keyboard", "charger", "webcam", "tablet", "smartwatch"),
        ("Voltix", "Nordsound", "Pixelon", "Arcwave", "Lumetra"),
    ),
    "home": (
        45.0,
        ("lamp", "cushion", "rug", "mirror", "vase", "blanket", "shelf"),
        ("Hausby", "Linnea", "Oakmere"),
    ),
    "kitchen": (
        35.0,
        ("blender", "kettle", "knife set", "pan", "coffee grinder", "toaster", "cutting board"),
        ("Cucina", "Brava", "Steelhaus", "Kettleworks"),
    ),
    "fashion": (
        40.0,
        ("t-shirt", "hoodie", "jeans", "jacket", "scarf", "dress", "cap"),
        ("Northwear", "Modaro", "Fennick", "Saltline"),
    ),
    "shoes": (
        75.0,
        ("sneakers", "boots", "sandals", "running shoes", "loafers"),
        ("Stridex", "Paloma", "Trailix"),
    ),
    "sports": (
        50.0,
        ("yoga mat", "dumbbells", "water bottle", "tent", "bike light", "backpack"),
        ("Peakform", "Ridgeway", "Aquilo"),
    ),
    "beauty": (
        18.0,
        ("face cream", "shampoo", "perfume", "lip balm", "serum", "sunscreen"),
        ("Velora", "Aurae", "Pure Fjord"),
    ),
    "books": (
        14.0,
        ("novel", "cookbook", "travel guide", "comic", "biography", "notebook"),
        ("Quillhouse", "Paperleaf"),
    ),
    "toys": (
        25.0,
        ("puzzle", "building blocks", "board game", "plush bear", "kite"),
        ("Playnest", "Tinkerly", "Jumbo Owl"),
    ),
    "garden": (
        30.0,
        ("watering can", "planter", "hose", "pruner", "seed kit", "solar lantern"),
        ("Greenhand", "Terrazza"),
    ),
    "grocery": (
        6.0,
        ("coffee beans", "olive oil", "dark chocolate", "green tea", "pasta", "honey"),
        ("Farmhouse", "Oliveto"),
    ),
    "pets": (22.0, ("dog bed", "cat tree", "leash", "pet food", "chew toy"), ("Pawsome", "Furrow")),
}
_MODEL_LETTERS = "ABCDEFGHJKLMNPRSTVXZ"
_ADJECTIVES = ("Classic", "Pro", "Lite", "Eco", "Max", "Mini", "Plus", "Air", "Studio", "Travel")


@dataclass(frozen=True, slots=True)
class Product:
    """One product. `rank` is its popularity rank (1 = best seller); `body` is the event's `product` object."""

    index: int
    product_id: str
    name: str
    category: str
    brand: str
    noun: str
    price: float
    rank: int
    weight: float
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AffinityPair:
    """Buyers of `first` also buy `second` (and the other way round) with probability `strength`."""

    first: int
    second: int
    strength: float


class Catalogue:
    """Products plus fast popularity-weighted sampling, overall and within a category."""

    def __init__(self, products: list[Product], currency: str) -> None:
        self.products = products
        self.currency = currency
        self.categories = sorted({p.category for p in products})
        self._cumulative = list(accumulate(p.weight for p in products))
        by_category: dict[str, list[Product]] = {c: [] for c in self.categories}
        for product in products:
            by_category[product.category].append(product)
        self._in_category = {c: [p.index for p in members] for c, members in by_category.items()}
        self._category_cumulative = {
            c: list(accumulate(p.weight for p in members)) for c, members in by_category.items()
        }
        total = self._cumulative[-1]
        self.share = [p.weight / total for p in products]
        """Each product's probability of a popularity-weighted pick."""
        self.by_rank = sorted(range(len(products)), key=lambda i: products[i].rank)
        self.partners: dict[int, list[tuple[int, float]]] = {}

    def pick_popular(self, rng: random.Random) -> int:
        cumulative = self._cumulative
        return bisect(cumulative, rng.random() * cumulative[-1])

    def pick_in_category(self, rng: random.Random, category: str) -> int:
        cumulative = self._category_cumulative[category]
        return self._in_category[category][bisect(cumulative, rng.random() * cumulative[-1])]

    def plant_affinities(self, pairs: list[AffinityPair]) -> None:
        self.partners = {}
        for pair in pairs:
            self.partners.setdefault(pair.first, []).append((pair.second, pair.strength))
            self.partners.setdefault(pair.second, []).append((pair.first, pair.strength))


def build_catalogue(rng: random.Random, size: int, currency: str) -> Catalogue:
    """`size` products spread over the categories, priced log-normally, ranked by a random permutation."""
    names = list(_CATEGORIES)
    ranks = list(range(1, size + 1))
    rng.shuffle(ranks)
    products: list[Product] = []
    used_names: set[str] = set()
    for index in range(size):
        category = names[index % len(names)] if index < len(names) else rng.choice(names)
        median, nouns, brands = _CATEGORIES[category]
        noun, brand = rng.choice(nouns), rng.choice(brands)
        name = _unique_name(rng, brand, noun, used_names)
        price = _price(rng, median)
        product_id = f"p-{index:05d}"
        body = {
            "product_id": product_id,
            "name": name,
            "category": category,
            "brand": brand,
            "price": price,
            "currency": currency,
        }
        rank = ranks[index]
        products.append(
            Product(index, product_id, name, category, brand, noun, price, rank, rank**-ZIPF_EXPONENT, body)
        )
    return Catalogue(products, currency)


def plan_affinities(rng: random.Random, catalogue: Catalogue, count: int) -> list[AffinityPair]:
    """`count` disjoint pairs: a popular product and a mid-tail product of another category bought with it."""
    by_rank = catalogue.by_rank
    heads = by_rank[: max(count * 2, 10)]
    tails = by_rank[max(count * 4, 30) : max(count * 40, 300)]
    used: set[int] = set()
    pairs: list[AffinityPair] = []
    for first in rng.sample(heads, count):
        category = catalogue.products[first].category
        options = [i for i in tails if i not in used and catalogue.products[i].category != category]
        if not options:  # tiny catalogues: any unused product outside the heads will do
            options = [i for i in by_rank[len(heads) :] if i not in used]
        second = rng.choice(options)
        used.update((first, second))
        pairs.append(AffinityPair(first, second, round(rng.uniform(0.5, 0.8), 2)))
    catalogue.plant_affinities(pairs)
    return pairs


def _price(rng: random.Random, median: float) -> float:
    raw = math.exp(rng.gauss(math.log(median), PRICE_SIGMA))
    # Most shop prices end in .99; cheap items keep their cents.
    if raw >= 5 and rng.random() < 0.7:
        return round(max(1.0, round(raw)) - 0.01, 2)
    return max(0.5, round(raw, 2))


def _unique_name(rng: random.Random, brand: str, noun: str, used: set[str]) -> str:
    while True:
        model = f"{rng.choice(_MODEL_LETTERS)}{rng.randint(1, 99) * 10}"
        name = f"{brand} {rng.choice(_ADJECTIVES)} {noun.title()} {model}"
        if name not in used:
            used.add(name)
            return name
