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


def analytics_statements(settings: JobSettings) -> Statements:
    analytics = settings.analytics
    return (
        event_statements()
        + metrics_statements(analytics)
        + session_statements(analytics)
        + cart_statements(analytics)
        + trending_statements(analytics.trending)
        + conversion_statements(analytics)
        + recommendation_statements(analytics)
    )
