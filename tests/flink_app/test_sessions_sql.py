"""The session summaries' SQL: the Java function it calls is registered, and gets the configured gap."""

from __future__ import annotations

from pathlib import Path

from flink_app.java_functions import JAVA_FUNCTIONS
from flink_app.settings import AnalyticsSettings
from flink_app.sql.sessions import (
    SESSION_INSIGHT_FUNCTION,
    SESSION_SUMMARIES_FUNCTION,
    SESSION_WINDOWS,
    session_statements,
)

JAVA_SOURCES = Path(__file__).resolve().parents[2] / "flink_app" / "src" / "main" / "java"


def test_the_session_function_is_a_registered_java_class_of_the_jar_sources() -> None:
    class_name = JAVA_FUNCTIONS[SESSION_SUMMARIES_FUNCTION]
    assert (JAVA_SOURCES / (class_name.replace(".", "/") + ".java")).is_file()


def test_the_session_windows_come_from_the_function_by_user_and_session_with_the_gap_in_ms() -> None:
    # GIVEN a 45-minute session gap
    statements = session_statements(AnalyticsSettings(session_gap_minutes=45), job_version="v1")
    # WHEN the session windows' view is built
    query = next(view.query for view in statements.views if view.name == SESSION_WINDOWS)
    # THEN it calls the function, partitioned by (user, session), on event time, with 45 minutes in ms
    assert f"FROM {SESSION_SUMMARIES_FUNCTION}(" in query
    assert "PARTITION BY (`user_id`, `session_id`)" in query
    assert "on_time => DESCRIPTOR(`ts`)" in query
    assert "gap_ms => CAST(2700000 AS BIGINT)" in query
    # AND the insight is built from it by the Java function, the job version first
    assert "session_insight('v1', `user_id`, `session_id`, `started_at_ms`" in statements.inserts[0].query


def test_the_session_insight_is_a_registered_java_class_and_its_job_version_an_escaped_literal() -> None:
    # GIVEN a job version with a quote (the settings allow none; the literal must still be safe)
    statements = session_statements(AnalyticsSettings(), job_version="it's")
    # THEN the Java function of the jar gets it as one SQL string literal
    class_name = JAVA_FUNCTIONS[SESSION_INSIGHT_FUNCTION]
    assert (JAVA_SOURCES / (class_name.replace(".", "/") + ".java")).is_file()
    assert f"{SESSION_INSIGHT_FUNCTION}('it''s', `user_id`" in statements.inserts[0].query
