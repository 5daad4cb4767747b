package dev.kappa.flink.insights;

import org.apache.flink.metrics.Counter;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * SQL {@code session_insight(job_version, user_id, session_id, started_at_ms, ended_at_ms, events, page_views,
 * product_views, searches, cart_adds, cart_value_cents, cart_currency, checkouts, order_amounts)}: the {@code
 * session_summary} insight JSON of one session ({@link SessionSummaryInsight}), emitted_at = now.
 *
 * <p>Replaces the Python UDF {@code flink_app.udfs.SessionInsight} (one thread-mode Python call per session) with
 * the same output; the Python rules stay the documented reference (tests/flink_app/test_java_insights.py compares
 * both). Counts {@code kinesisanalytics.insights_session_summary} as the Python UDF did. {@code job_version} is
 * an SQL string literal (flink_app/sql/sessions.py).
 */
public class SessionInsightFunction extends ScalarFunction {
    private static final long serialVersionUID = 1L;

    private transient SessionSummaryInsight insight;
    private transient Counter emitted;

    @Override
    public void open(FunctionContext context) {
        insight = new SessionSummaryInsight();
        emitted = context.getMetricGroup().addGroup(InsightMetrics.GROUP).counter("insights_session_summary");
    }

    public String eval(
            String jobVersion,
            String userId,
            String sessionId,
            Long startedAtMs,
            Long endedAtMs,
            Long events,
            Long pageViews,
            Long productViews,
            Long searches,
            Long cartAdds,
            Long cartValueCents,
            String cartCurrency,
            Long checkouts,
            String orderAmounts) {
        SessionSummaryInsight.Session session = new SessionSummaryInsight.Session();
        session.userId = userId;
        session.sessionId = sessionId;
        session.startedAtMs = startedAtMs;
        session.endedAtMs = endedAtMs;
        session.events = events;
        session.pageViews = pageViews;
        session.productViews = productViews;
        session.searches = searches;
        session.cartAdds = cartAdds;
        session.cartValueCents = cartValueCents;
        session.cartCurrency = cartCurrency;
        session.checkouts = checkouts;
        session.orderAmounts = orderAmounts;
        emitted.inc();
        return insight.json(session, jobVersion, Rfc3339.format(System.currentTimeMillis()));
    }
}
