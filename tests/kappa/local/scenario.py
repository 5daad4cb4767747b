"""A scripted shopping scenario for the end-to-end tests: each step is one request of events close in time.

Event times are in the past (the API accepts late events) and advance step by step, so timers and
windows fire without waiting real minutes. The events of one step lie within two seconds of each other
and the steps are posted apart, so each lands in its own archive file: a file's events arrive in no
particular order across shards, which the job's watermark (3 s in these tests) absorbs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from events import format_rfc3339

TREND_PRODUCT = "p-trend"
AFFINE_PRODUCTS = ("p-kettle", "p-teapot")
ABANDONED_PRODUCT = "p-mug"
LATE_ABANDONED_PRODUCT = "p-saucer"
AFTER_CUTOVER_PRODUCT = "p-spoon"
V2_ABANDON_AFTER_MINUTES = 2
"""The change the cut-over test replays as v2 (the tests' v1 waits 1 minute)."""

TEST_JOB_PROPERTIES = {
    "job": {"watermark.out_of_orderness_ms": "3000"},
    "analytics": {
        "metrics.window_seconds": "60",
        "session.gap_minutes": "2",
        "abandonment.after_minutes": "1",
        "trending.window_minutes": "1",
        "trending.slide_minutes": "1",
        "trending.baseline_minutes": "3",
        "trending.min_history_minutes": "0",
        "trending.threshold": "3.0",
        "trending.min_views": "20",
        "recommendation.update_minutes": "1",
        "recommendation.horizon_minutes": "60",
        "conversion.window_minutes": "1",
        "conversion.baseline_minutes": "2",
        "conversion.min_sessions": "1000",
    },
}


@dataclass(frozen=True)
class Step:
    name: str
    events: list[dict[str, Any]]


class ScenarioBuilder:
    def __init__(self, base: datetime) -> None:
        self.base = base
        self._counter = 0

    def _event(self, kind: str, user: str, at: float, **body: Any) -> dict[str, Any]:
        self._counter += 1
        return {
            "event_id": f"e2e-{self._counter:05d}",
            "event_type": kind,
            "occurred_at": format_rfc3339(self.base + timedelta(seconds=at)),
            "user_id": user,
            "session_id": f"{user}-session",
            **body,
        }

    def view(self, user: str, at: float, product: str, price: float = 20.0) -> dict[str, Any]:
        return self._event(
            "product_view", user, at, product={"product_id": product, "price": price, "currency": "EUR"}
        )

    def page(self, user: str, at: float) -> dict[str, Any]:
        return self._event("page_view", user, at, page={"url": "https://shop.example/"})

    def add(
        self, user: str, at: float, product: str, price: float = 20.0, quantity: int = 1
    ) -> dict[str, Any]:
        return self._event(
            "add_to_cart",
            user,
            at,
            product={"product_id": product, "price": price, "currency": "EUR"},
            quantity=quantity,
        )

    def purchase(
        self, user: str, at: float, products: tuple[str, ...], price: float = 20.0
    ) -> dict[str, Any]:
        items = [{"product_id": p, "quantity": 1, "price": price} for p in products]
        order = {
            "order_id": f"o-{user}-{at:g}",
            "items": items,
            "total": price * len(products),
            "currency": "EUR",
        }
        return self._event("purchase", user, at, order=order)

    def basket(self, user: str, at: float, products: tuple[str, ...]) -> list[dict[str, Any]]:
        return [
            *(self.add(user, at + 0.1 * i, p) for i, p in enumerate(products)),
            self._event("checkout_started", user, at + 1),
            self.purchase(user, at + 1.5, products),
        ]

    def clock(self, at: float, users: int = 3) -> list[dict[str, Any]]:
        """Unrelated page views that move event time (and so the watermark) forward."""
        return [self.page(f"clock-{i}", at + 0.2 * i) for i in range(users)]

    def invalid(self, at: float) -> list[dict[str, Any]]:
        """Two events the contract refuses (unknown type, negative price)."""
        unknown = self._event("teleport", "bad-1", at)
        negative = self.view("bad-2", at, "p-x", price=-1.0)
        return [unknown, negative]


def first_run(builder: ScenarioBuilder) -> list[Step]:
    """Abandoned cart, two affine purchases, a view that should get a recommendation, a flood that trends."""
    b = builder
    kettle, teapot = AFFINE_PRODUCTS
    return [
        Step(
            "warm-up + invalid",
            [b.view("browser-1", 5, "p-x"), b.view("trend-1", 6, TREND_PRODUCT), *b.invalid(6.5)],
        ),
        Step(
            "affine purchase 1", [b.view("buyer-1", 20, kettle), *b.basket("buyer-1", 20.5, AFFINE_PRODUCTS)]
        ),
        Step(
            "cart left alone",
            [b.view("abandoner", 30, ABANDONED_PRODUCT), b.add("abandoner", 31, ABANDONED_PRODUCT, 12.5, 2)],
        ),
        Step(
            "affine purchase 2", [b.view("buyer-2", 40, teapot), *b.basket("buyer-2", 40.5, AFFINE_PRODUCTS)]
        ),
        Step("trend history 1", [b.view("trend-2", 70, TREND_PRODUCT), *b.clock(71)]),
        Step("trend history 2", [b.view("trend-3", 130, TREND_PRODUCT), *b.clock(131)]),
        Step("recommendation trigger", [b.view("shopper", 185, kettle), *b.clock(186)]),
        Step("flood", [b.view(f"fan-{i:02d}", 200 + i * 0.1, TREND_PRODUCT) for i in range(25)]),
        Step("clock 250", b.clock(250)),
        Step("clock 300", b.clock(300)),
        Step("clock 330", b.clock(330)),
    ]


def late_cart(builder: ScenarioBuilder) -> Step:
    """Posted just before the first run stops: only the second run can see it abandoned."""
    return Step("late cart", [builder.add("late-abandoner", 400, LATE_ABANDONED_PRODUCT)])


def second_run(builder: ScenarioBuilder) -> list[Step]:
    return [Step("clock 480", builder.clock(480)), Step("clock 520", builder.clock(520))]


def after_cutover(builder: ScenarioBuilder) -> list[Step]:
    """New traffic for the version cut over to: a cart left alone, then event time past v2's longer timeout."""
    b = builder
    return [
        Step("cart after the cut-over", [b.view("v2-abandoner", 600, AFTER_CUTOVER_PRODUCT),
                                         b.add("v2-abandoner", 601, AFTER_CUTOVER_PRODUCT)]),
        Step("clock 680", b.clock(680)),
        Step("clock 740", b.clock(740)),
        Step("clock 780", b.clock(780)),
    ]  # fmt: skip
