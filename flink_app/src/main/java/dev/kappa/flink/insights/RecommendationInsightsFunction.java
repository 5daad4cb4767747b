package dev.kappa.flink.insights;

import org.apache.flink.metrics.Counter;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.TableFunction;

/**
 * SQL {@code recommendation_insights(job_version, top_k, min_support, half_life_ms, abandon_after_ms, user_id,
 * session_id, event_id, event_type, product_id, ts_ms, cart_history, neighbors, version_ms)}: zero or one {@code
 * product_recommendation} insight JSON per trigger and model version ({@link ProductRecommendationInsight}),
 * emitted_at = now. The settings are SQL literals (flink_app/sql/recommendations.py).
 *
 * <p>Replaces the Python table function {@code flink_app.udfs.RecommendationInsights} (one thread-mode Python
 * call per trigger × model version) with the same output; tests/flink_app/test_java_insights.py compares both.
 * Counts {@code kinesisanalytics.insights_product_recommendation} as the Python UDF did.
 */
public class RecommendationInsightsFunction extends TableFunction<String> {
    private static final long serialVersionUID = 1L;

    private transient ProductRecommendationInsight insight;
    private transient Counter emitted;

    @Override
    public void open(FunctionContext context) {
        emitted = context.getMetricGroup()
                .addGroup(InsightMetrics.GROUP)
                .counter("insights_product_recommendation");
    }

    public void eval(
            String jobVersion,
            Integer topK,
            Double minSupport,
            Long halfLifeMs,
            Long abandonAfterMs,
            String userId,
            String sessionId,
            String eventId,
            String eventType,
            String productId,
            Long tsMs,
            String cartHistory,
            String neighbors,
            Long versionMs) {
        if (insight == null || !insight.hasSettings(topK, minSupport, halfLifeMs, abandonAfterMs)) {
            insight = new ProductRecommendationInsight(topK, minSupport, halfLifeMs, abandonAfterMs);
        }
        ProductRecommendationInsight.Trigger trigger = new ProductRecommendationInsight.Trigger();
        trigger.userId = userId;
        trigger.sessionId = sessionId;
        trigger.eventId = eventId;
        trigger.eventType = eventType;
        trigger.productId = productId;
        trigger.tsMs = tsMs;
        trigger.cartHistory = cartHistory;
        trigger.neighbors = neighbors;
        trigger.versionMs = versionMs;
        String json = insight.json(trigger, jobVersion, Rfc3339.format(System.currentTimeMillis()));
        if (json != null) {
            emitted.inc();
            collect(json);
        }
    }
}
