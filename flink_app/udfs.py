"""The Python UDFs the SQL calls: thin adapters from SQL rows to `flink_app.rules` and insight JSON.

Each function owns its Flink counters in the `kinesisanalytics` metric group (the group Managed Flink
exports to CloudWatch): `insights_<type>`, `late_events`, `duplicate_events`. Python only sees what SQL has
reduced (one row per window or product slide). The per-session, per-trigger and per-cart insights,
session_summary, product_recommendation and cart_abandoned, are built in Java (`session_insight`,
`recommendation_insights`, `abandoned_cart_insights`: flink_app/java_functions.py), byte for byte what these
adapters wrote from `flink_app.rules`, which stay their documented reference (tests/flink_app/test_java_insights.py
runs both over random rows and compares).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from events import format_rfc3339
from flink_app.rules.conversion import ConversionDropRule
from flink_app.rules.insights import (
    conversion_drop_insight,
    metrics_insight,
    to_json,
    trending_insight,
)
from flink_app.rules.metrics import FUNNEL_STEPS, WindowAggregates
from flink_app.rules.trending import TrendingRule
from flink_app.settings import JobSettings, TrendingSettings

if TYPE_CHECKING:
    from pyflink.table import TableEnvironment

METRIC_GROUP = "kinesisanalytics"
EVENT_TYPES_IN_SQL_ORDER = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "checkout_started",
    "purchase",
)


def _counter(function_context: Any, name: str) -> Any:
    return function_context.get_metric_group().add_group(METRIC_GROUP).counter(name)


def trending_rule(trending: TrendingSettings) -> TrendingRule:
    """The rule of the trending settings (the insight's figures here; the decision in `trend_starts`, Java)."""
    return TrendingRule(
        window_minutes=trending.window_minutes,
        baseline_minutes=trending.baseline_minutes,
        threshold=trending.threshold,
        min_views=trending.min_views,
        min_history_minutes=trending.min_history_minutes,
    )


def _conversion_rule(settings: JobSettings) -> ConversionDropRule:
    conversion = settings.analytics.conversion
    return ConversionDropRule(
        window_minutes=conversion.window_minutes,
        baseline_minutes=conversion.baseline_minutes,
        drop_threshold=conversion.drop_threshold,
        min_sessions=conversion.min_sessions,
    )


class MetricsInsight:
    def __init__(self, settings: JobSettings) -> None:
        self.job_version = settings.job_version

    def open(self, function_context: Any) -> None:
        self.emitted = _counter(function_context, "insights_metrics")

    def eval(self, window_start_ms: int, window_end_ms: int, *args: Any) -> str:
        type_counts = args[:7]
        active_users, active_sessions = args[7], args[8]
        funnel_counts = args[9:13]
        order_amounts = args[13]
        window = WindowAggregates(
            window_start_ms=window_start_ms,
            window_end_ms=window_end_ms,
            events_by_type=dict(zip(EVENT_TYPES_IN_SQL_ORDER, type_counts, strict=True)),
            active_users=active_users,
            active_sessions=active_sessions,
            funnel=dict(zip(FUNNEL_STEPS, funnel_counts, strict=True)),
            order_amounts=order_amounts,
        )
        self.emitted.inc()
        return to_json(metrics_insight(window, job_version=self.job_version))


class TrendingInsight:
    def __init__(self, settings: JobSettings) -> None:
        self.job_version = settings.job_version
        self.window_minutes = settings.analytics.trending.window_minutes
        self.rule = trending_rule(settings.analytics.trending)

    def open(self, function_context: Any) -> None:
        self.emitted = _counter(function_context, "insights_trending_product")

    def eval(
        self,
        product_id: str,
        window_end_ms: int,
        recent: int,
        baseline_total: int,
        history_ms: int,
        views: int,
        carts: int,
    ) -> str:
        trend = self.rule.evaluate(
            recent=recent, baseline_total=baseline_total, history_minutes=history_ms / 60_000
        )
        self.emitted.inc()
        return to_json(
            trending_insight(
                product_id,
                window_end_ms=window_end_ms,
                window_minutes=self.window_minutes,
                trend=trend,
                views=views,
                carts=carts,
                job_version=self.job_version,
            )
        )


class ConversionDropped:
    def __init__(self, settings: JobSettings) -> None:
        self.rule = _conversion_rule(settings)

    def eval(
        self,
        recent_viewing: int,
        recent_purchasing: int,
        total_viewing: int,
        total_purchasing: int,
        history_ms: int,
    ) -> bool:
        return self.rule.evaluate(
            recent_viewing=recent_viewing,
            recent_purchasing=recent_purchasing,
            total_viewing=total_viewing,
            total_purchasing=total_purchasing,
            history_minutes=history_ms / 60_000,
        ).dropped


class ConversionDropInsight:
    def __init__(self, settings: JobSettings) -> None:
        self.job_version = settings.job_version
        self.conversion = settings.analytics.conversion
        self.rule = _conversion_rule(settings)

    def open(self, function_context: Any) -> None:
        self.emitted = _counter(function_context, "insights_conversion_drop")

    def eval(
        self,
        window_end_ms: int,
        recent_viewing: int,
        recent_purchasing: int,
        total_viewing: int,
        total_purchasing: int,
        history_ms: int,
    ) -> str:
        check = self.rule.evaluate(
            recent_viewing=recent_viewing,
            recent_purchasing=recent_purchasing,
            total_viewing=total_viewing,
            total_purchasing=total_purchasing,
            history_minutes=history_ms / 60_000,
        )
        self.emitted.inc()
        return to_json(
            conversion_drop_insight(
                window_end_ms=window_end_ms,
                window_minutes=self.conversion.window_minutes,
                baseline_minutes=self.conversion.baseline_minutes,
                check=check,
                viewing_sessions=recent_viewing,
                purchasing_sessions=recent_purchasing,
                job_version=self.job_version,
            )
        )


class LateEventRecord:
    def open(self, function_context: Any) -> None:
        self.late = _counter(function_context, "late_events")

    def eval(
        self,
        event_id: str,
        event_type: str,
        occurred_at: str,
        user_id: str,
        session_id: str,
        ts_ms: int,
        watermark: str,
    ) -> str:
        self.late.inc()
        return orjson.dumps(
            {
                "event_id": event_id,
                "event_type": event_type,
                "occurred_at": occurred_at,
                "user_id": user_id,
                "session_id": session_id,
                "event_time": format_rfc3339(ts_ms),
                "watermark": watermark,
                "reason": "late: at or behind the watermark when it arrived",
            }
        ).decode()


class DuplicateStatsRecord:
    def open(self, function_context: Any) -> None:
        self.duplicates = _counter(function_context, "duplicate_events")

    def eval(self, window_start_ms: int, size_ms: int, raw_events: int, unique_events: int) -> str:
        duplicates = max(raw_events - unique_events, 0)
        if duplicates:
            self.duplicates.inc(duplicates)
        return orjson.dumps(
            {
                "window_start": format_rfc3339(window_start_ms),
                "window_end": format_rfc3339(window_start_ms + size_ms),
                "raw_events": raw_events,
                "unique_events": unique_events,
                "duplicates": duplicates,
            }
        ).decode()


def register_functions(t_env: TableEnvironment, settings: JobSettings) -> None:
    """Register every UDF the SQL modules call, under the names they use."""
    from pyflink.table import DataTypes
    from pyflink.table.udf import ScalarFunction, udf

    def scalar(implementation: Any, result_type: Any) -> Any:
        wrapper = type(type(implementation).__name__, (_ScalarAdapter, ScalarFunction), {})(implementation)
        return udf(wrapper, result_type=result_type)

    string, boolean = DataTypes.STRING(), DataTypes.BOOLEAN()
    functions = {
        "metrics_insight": scalar(MetricsInsight(settings), string),
        "trending_insight": scalar(TrendingInsight(settings), string),
        "conversion_dropped": scalar(ConversionDropped(settings), boolean),
        "conversion_drop_insight": scalar(ConversionDropInsight(settings), string),
        "late_event_record": scalar(LateEventRecord(), string),
        "duplicate_stats_record": scalar(DuplicateStatsRecord(), string),
    }
    for name, function in functions.items():
        t_env.create_temporary_system_function(name, function)


class _ScalarAdapter:
    """Gives a plain rule adapter the ScalarFunction life cycle (open → eval)."""

    def __init__(self, implementation: Any) -> None:
        self.implementation = implementation

    def open(self, function_context: Any) -> None:
        opener = getattr(self.implementation, "open", None)
        if opener is not None:
            opener(function_context)

    def eval(self, *args: Any) -> Any:
        return self.implementation.eval(*args)
