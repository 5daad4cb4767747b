"""`trend_starts` (dev.kappa.flink.trending, called as flink_app/sql/trending.py calls it) finds, per product, the
slides that start a trend with the figures the insight reports, as the OVER windows it replaced did: the rolling
sums over the trend window and the baseline (`RANGE ... PRECEDING AND CURRENT ROW` over the slides' ends), the
history since the product's first slide, the rule of `flink_app.rules.trending` (the reference), and a start where
a trending slide follows one that did not. Checked against that definition, written here in Python, over random
products (gaps between slides, cart-only slides, bursts) and settings, through Flink SQL."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace

import pytest

from flink_app.java_functions import register_java_functions
from flink_app.settings import TrendingSettings
from flink_app.sql.trending import TREND_STARTS_FUNCTION, trend_starts_arguments
from flink_app.udfs import trending_rule

pytestmark = [pytest.mark.slow, pytest.mark.flink]

MINUTE_MS = 60_000
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z

Slide = tuple[str, int, int, int]
"""(product_id, slide_end_ms, views, carts), one per product and slide with activity."""
Start = tuple[str, int, int, int, int, int]
"""(product_id, slide_end_ms, recent, recent_carts, baseline_total, history_ms)."""


def reference_starts(slides: list[Slide], trending: TrendingSettings) -> list[Start]:
    """The SQL definition `trend_starts` replaced, per product over its slides in time order."""
    rule = trending_rule(trending)
    slide_ms = trending.slide_minutes * MINUTE_MS
    window_back = (trending.window_minutes - trending.slide_minutes) * MINUTE_MS
    baseline_back = (trending.baseline_minutes - trending.slide_minutes) * MINUTE_MS
    min_history_ms = max(trending.min_history_minutes, trending.window_minutes) * MINUTE_MS
    by_product: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for product, end, views, carts in slides:
        by_product[product].append((end, views, carts))
    starts: list[Start] = []
    for product, rows in by_product.items():
        previous: bool | None = None
        for index, (end, _views, _carts) in enumerate(rows):
            seen = rows[: index + 1]
            recent = sum(v for e, v, _ in seen if e >= end - window_back)
            recent_carts = sum(c for e, _, c in seen if e >= end - window_back)
            baseline_total = sum(v for e, v, _ in seen if e >= end - baseline_back)
            history_ms = end - min(e for e, _, _ in seen) + slide_ms
            can_trend = recent >= trending.min_views and history_ms >= min_history_ms
            flag = (
                can_trend
                and rule.evaluate(
                    recent=recent, baseline_total=baseline_total, history_minutes=history_ms / MINUTE_MS
                ).trending
            )
            if flag and previous is False:
                starts.append((product, end, recent, recent_carts, baseline_total, history_ms))
            previous = flag
    return starts


def random_slides(rng: random.Random, trending: TrendingSettings, products: int) -> list[Slide]:
    """Per product a stretch of slides with gaps; a base rate, bursts, cart-only slides; in time order overall
    (as a window aggregate emits them)."""
    slide_ms = trending.slide_minutes * MINUTE_MS
    slides: list[Slide] = []
    for number in range(products):
        base = rng.choice((0, 1, 2, 5, 20))
        first = rng.randrange(0, 40)
        for index in range(first, first + rng.choice((1, 2, 10, 60, 150))):
            if rng.random() < 0.2:
                continue  # no activity in this slide: no row
            views = rng.randint(0, 2 * base + 1)
            if rng.random() < 0.1:
                views += rng.choice((trending.min_views, 3 * trending.min_views, rng.randint(0, 400)))
            carts = rng.randint(0, 3) if rng.random() < 0.5 else 0
            if views == 0 and carts == 0:
                carts = 1  # a row exists only for a slide with a view or a cart
            slides.append((f"p-{number:03d}", START_MS + (index + 1) * slide_ms, views, carts))
    slides.sort(key=lambda slide: slide[1])
    return slides


SETTINGS = [
    TrendingSettings(),
    replace(
        TrendingSettings(),
        window_minutes=5,
        slide_minutes=1,
        baseline_minutes=20,
        min_history_minutes=10,
        min_views=5,
    ),  # the Flink tests' hour (tests/flink_app/jobs.py)
    replace(
        TrendingSettings(),
        window_minutes=15,
        slide_minutes=5,
        baseline_minutes=60,
        threshold=1.5,
        min_views=3,
        min_history_minutes=0,
    ),
]


@pytest.mark.parametrize("trending", SETTINGS, ids=["default", "test-hour", "loose"])
def test_trend_starts_are_the_sql_definition_it_replaced(flink_environment, connector_jar, trending) -> None:
    from pyflink.table import DataTypes, EnvironmentSettings, TableEnvironment

    # GIVEN 300 products' random slides
    slides = random_slides(random.Random(trending.window_minutes), trending, products=300)
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", "1")
    t_env.get_config().set("pipeline.jars", connector_jar.as_uri())
    register_java_functions(t_env)
    columns = [("product_id", DataTypes.STRING()), ("slide_end_ms", DataTypes.BIGINT()),
               ("views", DataTypes.INT()), ("carts", DataTypes.INT())]  # fmt: skip
    table = t_env.from_elements(slides, DataTypes.ROW([DataTypes.FIELD(n, t) for n, t in columns]))
    t_env.create_temporary_view("slides", table)
    # WHEN the Java function runs over them as the job calls it
    query = f"""SELECT `product_id`, `slide_end_ms`, `recent`, `recent_carts`, `baseline_total`, `history_ms`
FROM {TREND_STARTS_FUNCTION}(input => TABLE `slides` PARTITION BY `product_id`, {trend_starts_arguments(trending)})"""
    with t_env.execute_sql(query).collect() as rows:
        java = sorted(tuple(row) for row in rows)
    # THEN it starts the trends the SQL definition starts, with the same figures
    expected = sorted(reference_starts(slides, trending))
    assert len(expected) >= 20, "the random slides should start trends"
    assert java == expected
