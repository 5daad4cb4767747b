"""The session summaries' SQL: the Java function it calls is registered, and gets the configured gap."""

from __future__ import annotations

from pathlib import Path

from flink_app.java_functions import JAVA_FUNCTIONS
from flink_app.settings import AnalyticsSettings
from flink_app.sql.sessions import SESSION_SUMMARIES_FUNCTION, SESSION_WINDOWS, session_statements

JAVA_SOURCES = Path(__file__).resolve().parents[2] / "flink_app" / "src" / "main" / "java"


def test_the_session_function_is_a_registered_java_class_of_the_jar_sources() -> None:
    class_name = JAVA_FUNCTIONS[SESSION_SUMMARIES_FUNCTION]
    assert (JAVA_SOURCES / (class_name.replace(".", "/") + ".java")).is_file()


def test_the_session_windows_come_from_the_function_by_user_and_session_with_the_gap_in_ms() -> None:
    # GIVEN a 45-minute session gap
    statements = session_statements(AnalyticsSettings(session_gap_minutes=45))
    # WHEN the session windows' view is built
    query = next(view.query for view in statements.views if view.name == SESSION_WINDOWS)
    # THEN it calls the function, partitioned by (user, session), on event time, with 45 minutes in ms
    assert f"FROM {SESSION_SUMMARIES_FUNCTION}(" in query
    assert "PARTITION BY (`user_id`, `session_id`)" in query
    assert "on_time => DESCRIPTOR(`ts`)" in query
    assert "gap_ms => CAST(2700000 AS BIGINT)" in query
    # AND the insight is built from it by the same Python call as before
    assert "session_insight(`user_id`, `session_id`, `started_at_ms`" in statements.inserts[0].query
