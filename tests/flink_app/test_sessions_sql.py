"""The session summaries' SQL: the session rows of the per-shopper Java function, which gets the configured gap."""

from __future__ import annotations

from pathlib import Path

from flink_app.java_functions import JAVA_FUNCTIONS
from flink_app.settings import AnalyticsSettings
from flink_app.sql.carts import SHOPPER_ACTIVITY, shopper_activity_views
from flink_app.sql.sessions import SESSION_INSIGHT_FUNCTION, SESSION_WINDOWS, session_statements

JAVA_SOURCES = Path(__file__).resolve().parents[2] / "flink_app" / "src" / "main" / "java"


def java_source(sql_name: str) -> Path:
    return JAVA_SOURCES / (JAVA_FUNCTIONS[sql_name].replace(".", "/") + ".java")


def test_the_sessions_are_the_session_rows_of_the_shopper_function() -> None:
    # GIVEN the session statements
    statements = session_statements(AnalyticsSettings(), job_version="v1")
    # WHEN the session windows' view is built
    query = next(view.query for view in statements.views if view.name == SESSION_WINDOWS)
    # THEN it reads the per-shopper function's rows of kind 'session', with the aggregates the window had
    assert f"FROM `{SHOPPER_ACTIVITY}`" in query
    assert "WHERE `kind` = 'session'" in query
    assert "SELECT `user_id`, `session_id`, `started_at_ms`, `ended_at_ms`, `events`" in query
    # AND the insight is built from it by the Java function, the job version first
    assert "session_insight('v1', `user_id`, `session_id`, `started_at_ms`" in statements.inserts[0].query


def test_the_shopper_function_is_a_registered_java_class_and_gets_the_session_gap_in_ms() -> None:
    # GIVEN a 45-minute session gap
    _inputs, activity = shopper_activity_views(
        AnalyticsSettings(session_gap_minutes=45), state_ttl_minutes=60
    )
    # THEN the one per-shopper function (no per-session function any more) gets 45 minutes in ms
    assert "FROM shopper_activity(" in activity.query
    assert "PARTITION BY `user_id`" in activity.query
    assert "session_gap_ms => CAST(2700000 AS BIGINT)" in activity.query
    assert java_source("shopper_activity").is_file()
    assert "session_summaries" not in JAVA_FUNCTIONS


def test_the_session_insight_is_a_registered_java_class_and_its_job_version_an_escaped_literal() -> None:
    # GIVEN a job version with a quote (the settings allow none; the literal must still be safe)
    statements = session_statements(AnalyticsSettings(), job_version="it's")
    # THEN the Java function of the jar gets it as one SQL string literal
    assert java_source(SESSION_INSIGHT_FUNCTION).is_file()
    assert f"{SESSION_INSIGHT_FUNCTION}('it''s', `user_id`" in statements.inserts[0].query
