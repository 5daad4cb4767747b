package dev.kappa.flink.insights;

import org.apache.flink.metrics.Counter;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.TableFunction;

/**
 * SQL {@code abandoned_cart_insights(job_version, abandon_after_minutes, user_id, changes)}: the {@code
 * cart_abandoned} insight JSON of each cart abandoned in one cart window ({@link AbandonedCartInsight}), in
 * event-time order, emitted_at = now. The settings are SQL literals (flink_app/sql/carts.py).
 *
 * <p>Replaces the Python table function {@code flink_app.udfs.AbandonedCartInsights} (one thread-mode Python call
 * per cart window) with the same output; tests/flink_app/test_java_insights.py compares both. Counts {@code
 * kinesisanalytics.insights_cart_abandoned} as the Python UDF did.
 */
public class AbandonedCartInsightsFunction extends TableFunction<String> {
    private static final long serialVersionUID = 1L;

    private transient AbandonedCartInsight insight;
    private transient Counter emitted;

    @Override
    public void open(FunctionContext context) {
        emitted = context.getMetricGroup().addGroup(InsightMetrics.GROUP).counter("insights_cart_abandoned");
    }

    public void eval(String jobVersion, Integer abandonAfterMinutes, String userId, String changes) {
        if (insight == null || !insight.hasSettings(abandonAfterMinutes)) {
            insight = new AbandonedCartInsight(abandonAfterMinutes);
        }
        for (String json : insight.json(userId, changes, jobVersion, Rfc3339.format(System.currentTimeMillis()))) {
            emitted.inc();
            collect(json);
        }
    }
}
