"""The job against the simulator's ground truth: abandoned carts exactly, planted affinities recovered by the
recommendations, planted trends detected inside their windows."""

from __future__ import annotations

from collections import defaultdict

import pytest

from events import parse_rfc3339
from tests.flink_app.jobs import ONE_HOUR_ANALYTICS
from tests.flink_app.reference import unique_events

pytestmark = [pytest.mark.slow, pytest.mark.flink]

LEARNING_MINUTES = 20
HIT_RATE_FLOOR = 0.8
PRECISION_AT_5_FLOOR = 0.15
"""With one planted partner per product, precision@5 cannot exceed 1/len(recommended) (0.2 for five)."""


def test_every_planted_abandoned_cart_yields_exactly_one_insight(job_run, simulated_log) -> None:
    truth = simulated_log.truth["abandoned_carts"]
    found = job_run.of_type("cart_abandoned")
    as_truth = [
        {
            "user_id": i["user_id"],
            "session_id": i["payload"]["session_id"],
            "items": i["payload"]["items"],
            "value": i["payload"]["value"],
            "currency": i["payload"]["currency"],
            "last_cart_change_at": i["payload"]["last_cart_change_at"],
        }
        for i in found
    ]
    key = lambda cart: (cart["last_cart_change_at"], cart["user_id"], cart["session_id"])  # noqa: E731
    # Exactly the truth: one insight per planted cart, right items and value, and none for bought carts.
    assert len(truth) > 100
    assert sorted(as_truth, key=key) == sorted(truth, key=key)


def affinity_report(job_run, simulated_log) -> tuple[float, float, int]:
    """(hit rate@5, precision@5, triggers judged) over recommendations triggered by a planted product.

    A trigger is judged once the model has learned for a while (LEARNING_MINUTES: an hour of 1,000 shoppers
    holds only a few hundred orders), and only when the partner was not already in the shopper's cart (the job
    rightly leaves it out then).
    """
    partner = {}
    for pair in simulated_log.truth["affinities"]:
        first, second = pair["products"]
        partner[first], partner[second] = second, first
    events = unique_events(simulated_log.events)
    adds = events[events["event_type"] == "add_to_cart"]
    carted = defaultdict(list)
    for user, product, ts in zip(adds["user_id"], adds["product_id"], adds["ts_ms"], strict=True):
        carted[user].append((product, ts))
    start = parse_rfc3339(simulated_log.truth["start"]).timestamp() * 1000
    warm_up_ms = LEARNING_MINUTES * 60_000
    hits = recommended = judged = 0
    for insight in job_run.of_type("product_recommendation"):
        payload = insight["payload"]
        trigger = payload["trigger_product_id"]
        at = parse_rfc3339(insight["occurred_at"]).timestamp() * 1000
        if trigger not in partner or at < start + warm_up_ms:
            continue
        if any(p == partner[trigger] and ts <= at for p, ts in carted[insight["user_id"]]):
            continue
        ids = [r["product_id"] for r in payload["recommendations"]]
        judged += 1
        hits += partner[trigger] in ids
        recommended += len(ids)
    return hits / judged, hits / recommended, judged


def test_recommendations_recover_the_planted_affinities(job_run, simulated_log) -> None:
    hit_rate, precision, judged = affinity_report(job_run, simulated_log)
    print(f"affinity hit rate@5 {hit_rate:.3f}, precision@5 {precision:.3f} over {judged} triggers")
    assert judged > 100
    assert hit_rate >= HIT_RATE_FLOOR
    assert precision >= PRECISION_AT_5_FLOOR


def test_recommendations_never_include_the_trigger_or_exceed_top_k(job_run) -> None:
    for insight in job_run.of_type("product_recommendation"):
        ids = [r["product_id"] for r in insight["payload"]["recommendations"]]
        assert insight["payload"]["trigger_product_id"] not in ids
        assert 0 < len(ids) <= 5
        assert len(set(ids)) == len(ids)


def test_planted_trends_are_detected_within_their_window(job_run, simulated_log) -> None:
    window_ms = int(ONE_HOUR_ANALYTICS["trending.window_minutes"]) * 60_000
    trending = defaultdict(list)
    for insight in job_run.of_type("trending_product"):
        trending[insight["payload"]["product_id"]].append(
            parse_rfc3339(insight["occurred_at"]).timestamp() * 1000
        )
    for trend in simulated_log.truth["trends"]:
        start = parse_rfc3339(trend["start"]).timestamp() * 1000
        end = parse_rfc3339(trend["end"]).timestamp() * 1000
        detected = [at for at in trending[trend["product_id"]] if start <= at <= end + window_ms]
        assert detected, f"planted trend {trend} not detected; trending insights: {dict(trending)}"
    planted = {trend["product_id"] for trend in simulated_log.truth["trends"]}
    others = sum(len(times) for product, times in trending.items() if product not in planted)
    print(f"trending insights for products that were not planted: {others}")
