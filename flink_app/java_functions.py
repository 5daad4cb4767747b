"""The job's Java functions: SQL name → class in the job's jar (sources in flink_app/src/main/java).

Java is used where a Python UDF or plain SQL would cost the job most of its CPU: stateful per-key logic
(process table functions) that replaces chains of SQL windows, and the insight envelopes built once per session,
recommendation trigger or cart window (a thread-mode Python call with its row conversion costs far more than the
Java). The rules they implement are documented in
`docs/flink-job.md` and unit-tested in flink_app/src/test/java (run by every Maven build of the jar).
"""

from __future__ import annotations

from typing import Any

SOURCE_FUNCTIONS: dict[str, str] = {
    # The source's event time from `occurred_at`: flink_app/connectors.py (EPOCH_MILLIS_FUNCTION).
    "epoch_millis": "dev.kappa.flink.time.EpochMillis",
}
"""The functions the source table's computed columns call: `create_source` registers them with the table."""

JAVA_FUNCTIONS: dict[str, str] = {
    # The co-occurrence (affinity) model of the recommendations: flink_app/sql/recommendations.py.
    "affinity_versions": "dev.kappa.flink.affinity.AffinityModelFunction",
    # Each recommendation trigger with the model version of its slice: flink_app/sql/recommendations.py.
    "model_lookup": "dev.kappa.flink.affinity.ModelLookup",
    # Per shopper: cart windows and recommendation triggers: flink_app/sql/carts.py.
    "shopper_activity": "dev.kappa.flink.ShopperActivity",
    # Per product: its slides' trend statistic and the slides that start a trend: flink_app/sql/trending.py.
    "trend_starts": "dev.kappa.flink.trending.TrendStarts",
    # Session summaries: flink_app/sql/sessions.py.
    "session_summaries": "dev.kappa.flink.sessions.SessionSummaries",
    # The session_summary insight of each session (replaces the Python UDF udfs.SessionInsight).
    "session_insight": "dev.kappa.flink.insights.SessionInsightFunction",
    # The product_recommendation insights of a trigger and model version (replaces udfs.RecommendationInsights).
    "recommendation_insights": "dev.kappa.flink.insights.RecommendationInsightsFunction",
    # The cart_abandoned insights of a cart window (replaces udfs.AbandonedCartInsights): flink_app/sql/carts.py.
    "abandoned_cart_insights": "dev.kappa.flink.insights.AbandonedCartInsightsFunction",
}
"""SQL function name → fully qualified class name."""


def register_java_functions(t_env: Any) -> None:
    """Register the analyses' Java functions as temporary system functions (the jar is on `pipeline.jars`
    locally and is the run options' `jarfile` on Managed Flink)."""
    _register(t_env, JAVA_FUNCTIONS)


def register_source_functions(t_env: Any) -> None:
    """Register the functions of the source table's computed columns (before its DDL, which calls them)."""
    _register(t_env, SOURCE_FUNCTIONS)


def _register(t_env: Any, functions: dict[str, str]) -> None:
    for name, class_name in functions.items():
        t_env.create_java_temporary_system_function(name, class_name)
