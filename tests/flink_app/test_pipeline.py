"""The job's statement list: every analysis by default, and leaving analyses out (what the benchmark uses)."""

from __future__ import annotations

import pytest

from flink_app.connectors import INSIGHTS_TABLE
from flink_app.pipeline import ANALYSES, analytics_statements
from flink_app.settings import settings_from_properties

SETTINGS = settings_from_properties(
    {
        "job": {"job_version": "test"},
        "source": {"type": "files", "files.path": "/tmp/in"},
        "sink": {"type": "files", "files.path": "/tmp/out"},
    }
)


INSIGHT_FUNCTIONS = frozenset(
    {
        "metrics_insight",
        "session_insight",
        "abandoned_cart_insights",
        "trending_insight",
        "conversion_drop_insight",
        "recommendation_insights",
    }
)
"""The functions that build each analysis's insights (Python: flink_app/udfs.py; Java: flink_app/java_functions.py)."""


def insight_functions(statements) -> set[str]:
    """The insight UDFs the INSERTs into the insights table call."""
    return {
        name
        for insert in statements.inserts
        if insert.table == INSIGHTS_TABLE
        for name in INSIGHT_FUNCTIONS
        if f"{name}(" in insert.query
    }


def test_every_analysis_writes_insights_by_default() -> None:
    assert insight_functions(analytics_statements(SETTINGS)) == INSIGHT_FUNCTIONS


def test_leaving_an_analysis_out_drops_its_inserts_but_keeps_the_views_others_read() -> None:
    # GIVEN the job without cart abandonment, whose cart windows recommendations still read
    everything = analytics_statements(SETTINGS)
    statements = analytics_statements(SETTINGS, without=frozenset({"carts"}))
    # THEN no cart_abandoned insight is written, every view is still registered
    assert "abandoned_cart_insights" not in insight_functions(statements)
    assert "recommendation_insights" in insight_functions(statements)
    assert [view.name for view in statements.views] == [view.name for view in everything.views]
    assert len(statements.inserts) == len(everything.inserts) - 1


def test_without_every_analysis_only_the_late_side_output_remains() -> None:
    statements = analytics_statements(SETTINGS, without=frozenset(ANALYSES))
    assert insight_functions(statements) == set()
    assert [insert.table for insert in statements.inserts] == ["late_events_sink"]


def test_unknown_analysis_names_are_an_error() -> None:
    with pytest.raises(ValueError, match="unknown analyses \\['cart'\\]"):
        analytics_statements(SETTINGS, without=frozenset({"cart"}))
