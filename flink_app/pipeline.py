"""Everything between source and sink: the SQL of every analysis, in dependency order, the same for
Kinesis and files. `main.py` registers the views and adds the INSERTs to one statement set, so the planner
reads the source once and shares common sub-plans."""

from __future__ import annotations

from flink_app.settings import JobSettings
from flink_app.sql import Statements
from flink_app.sql.carts import cart_statements
from flink_app.sql.conversion import conversion_statements
from flink_app.sql.events import event_statements
from flink_app.sql.metrics import metrics_statements
from flink_app.sql.recommendations import recommendation_statements
from flink_app.sql.sessions import session_statements
from flink_app.sql.trending import trending_statements

ANALYSES = ("metrics", "sessions", "carts", "trending", "conversion", "recommendations")
"""The analyses by name, in dependency order (conversion reads metrics' windows; recommendations read the
cart windows)."""


def analytics_statements(settings: JobSettings, *, without: frozenset[str] = frozenset()) -> Statements:
    """Every view and INSERT of the job; `without` leaves out the INSERTs of the named analyses (their views
    stay registered for the analyses that read them; unread views cost nothing). The benchmark uses it to
    measure what each analysis costs."""
    unknown = without - set(ANALYSES)
    if unknown:
        raise ValueError(f"unknown analyses {sorted(unknown)}; known: {', '.join(ANALYSES)}")
    analytics = settings.analytics
    parts = {
        "metrics": metrics_statements(analytics),
        "sessions": session_statements(analytics, job_version=settings.job_version),
        "carts": cart_statements(
            analytics, job_version=settings.job_version, state_ttl_minutes=settings.dedupe_ttl_minutes
        ),
        "trending": trending_statements(analytics.trending),
        "conversion": conversion_statements(analytics),
        "recommendations": recommendation_statements(analytics, job_version=settings.job_version),
    }
    statements = event_statements()
    for name in ANALYSES:
        part = parts[name]
        statements = statements + (Statements(part.views) if name in without else part)
    return statements
