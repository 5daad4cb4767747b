"""The shopper_activity PTF call (flink_app/sql/carts.py): its input, its arguments, the views built on it."""

from __future__ import annotations

from flink_app.java_functions import JAVA_FUNCTIONS
from flink_app.settings import settings_from_properties
from flink_app.sql.carts import (
    ABANDONED_CART_INSIGHTS_FUNCTION,
    CART_WINDOWS,
    SHOPPER_ACTIVITY,
    SHOPPER_INPUTS,
    cart_statements,
)
from flink_app.sql.recommendations import RECOMMENDATION_TRIGGERS, recommendation_statements


def analytics(**groups: str):
    return settings_from_properties(
        {
            "job": {"job_version": "test"},
            "source": {"type": "files", "files.path": "/tmp/in"},
            "sink": {"type": "files", "files.path": "/tmp/out"},
            "analytics": dict(groups),
        }
    ).analytics


def views(statements) -> dict[str, str]:
    return {view.name: view.query for view in statements.views}


def test_the_ptf_gets_the_gap_the_history_and_the_state_ttl_in_milliseconds() -> None:
    # GIVEN abandon after 45 minutes, 2 hours of cart history and a state TTL of 90 minutes
    settings = analytics(**{"abandonment.after_minutes": "45", "recommendation.cart_history_minutes": "120"})
    # WHEN the cart statements are built
    query = views(cart_statements(settings, job_version="v1", state_ttl_minutes=90))[SHOPPER_ACTIVITY]
    # THEN the PTF call partitions by shopper on event time and passes all three in ms
    assert "shopper_activity(" in query
    assert f"TABLE `{SHOPPER_INPUTS}` PARTITION BY `user_id`" in query
    assert "on_time => DESCRIPTOR(`ts`)" in query
    assert "abandon_after_ms => CAST(2700000 AS BIGINT)" in query
    assert "cart_history_ms => CAST(7200000 AS BIGINT)" in query
    assert "viewed_ttl_ms => CAST(5400000 AS BIGINT)" in query
    assert JAVA_FUNCTIONS["shopper_activity"] == "dev.kappa.flink.ShopperActivity"


def test_product_views_go_in_only_when_first_views_trigger() -> None:
    with_views = views(
        cart_statements(
            analytics(**{"recommendation.view_triggers": "first_in_session"}),
            job_version="v1",
            state_ttl_minutes=60,
        )
    )
    without = views(
        cart_statements(
            analytics(**{"recommendation.view_triggers": "none"}), job_version="v1", state_ttl_minutes=60
        )
    )
    assert "'product_view'" in with_views[SHOPPER_INPUTS].split("WHERE")[-1]
    assert "'product_view'" not in without[SHOPPER_INPUTS].split("WHERE")[-1]


def test_cart_windows_and_triggers_are_the_ptf_rows_of_each_kind_on_its_rowtime() -> None:
    settings = analytics()
    windows = views(cart_statements(settings, job_version="v1", state_ttl_minutes=60))[CART_WINDOWS]
    triggers = views(recommendation_statements(settings, job_version="v1"))[RECOMMENDATION_TRIGGERS]
    assert "`rowtime` AS `window_time`" in windows
    assert "`kind` = 'window'" in windows
    assert "`rowtime` AS `ts`" in triggers
    assert "`kind` = 'trigger'" in triggers


def test_the_insights_are_written_by_the_java_function_with_its_settings_as_literals() -> None:
    # GIVEN abandon after 45 minutes and a job version with a quote
    settings = analytics(**{"abandonment.after_minutes": "45"})
    # WHEN the cart statements are built
    (insert,) = cart_statements(settings, job_version="v'2", state_ttl_minutes=60).inserts
    # THEN the Java table function gets the quoted version and the minutes, then the window's user and changes
    assert (
        f"LATERAL TABLE({ABANDONED_CART_INSIGHTS_FUNCTION}('v''2', 45,\n  w.`user_id`, w.`changes`))"
        in insert.query
    )
    assert JAVA_FUNCTIONS[ABANDONED_CART_INSIGHTS_FUNCTION] == (
        "dev.kappa.flink.insights.AbandonedCartInsightsFunction"
    )
