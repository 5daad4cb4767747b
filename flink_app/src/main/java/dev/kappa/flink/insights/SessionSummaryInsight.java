package dev.kappa.flink.insights;

import dev.kappa.flink.CodePoints;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code session_summary} insight of one session, byte for byte what the Python reference writes
 * ({@code flink_app.rules.insights.session_insight} over {@code rules.sessions.session_payload}, serialized by
 * orjson), {@code emitted_at} given by the caller.
 *
 * <p>Key: (user_id, session_id, started_at); occurred_at = ended_at. {@code revenue}: the order amounts ({@code
 * currency,cents;...}, {@code rules.metrics.order_totals}) summed per currency, currencies in code point order;
 * {@code orders} counts them, {@code converted} = orders &gt; 0. Amounts and the duration are Python floats
 * ({@link OrjsonFloats}).
 */
public final class SessionSummaryInsight {
    public static final String TYPE = "session_summary";

    private final InsightIds ids = new InsightIds();

    /** The aggregates of one session, as the SQL row (flink_app/sql/sessions.py) hands them over. */
    public static final class Session {
        public String userId;
        public String sessionId;
        public long startedAtMs;
        public long endedAtMs;
        public Long events;
        public Long pageViews;
        public Long productViews;
        public Long searches;
        public Long cartAdds;
        public long cartValueCents;
        public String cartCurrency;
        public Long checkouts;
        /** {@code currency,cents;...}, one record per order; null without orders. */
        public String orderAmounts;
    }

    public String json(Session session, String jobVersion, String emittedAt) {
        Map<String, long[]> totals = orderTotals(session.orderAmounts);
        long orders = 0;
        for (long[] total : totals.values()) {
            orders += total[1];
        }
        String startedAt = Rfc3339.format(session.startedAtMs);
        String endedAt = Rfc3339.format(session.endedAtMs);
        String insightId = ids.id(TYPE, session.userId, session.sessionId, startedAt);
        JsonWriter json = InsightEnvelope.open(insightId, TYPE, endedAt, emittedAt, jobVersion)
                .beginObject()
                .name("session_id")
                .value(session.sessionId)
                .name("started_at")
                .value(startedAt)
                .name("ended_at")
                .value(endedAt)
                .name("duration_seconds")
                .number(OrjsonFloats.seconds(Math.subtractExact(session.endedAtMs, session.startedAtMs)))
                .name("events")
                .nullable(session.events)
                .name("page_views")
                .nullable(session.pageViews)
                .name("product_views")
                .nullable(session.productViews)
                .name("searches")
                .nullable(session.searches)
                .name("cart_adds")
                .nullable(session.cartAdds)
                .name("cart_value")
                .number(OrjsonFloats.fromCents(session.cartValueCents))
                .name("currency")
                .value(session.cartCurrency)
                .name("checkouts")
                .nullable(session.checkouts)
                .name("orders")
                .value(orders)
                .name("revenue")
                .beginObject();
        for (Map.Entry<String, long[]> total : totals.entrySet()) {
            json.name(total.getKey()).number(OrjsonFloats.fromCents(total.getValue()[0]));
        }
        json.endObject().name("converted").value(orders > 0).endObject();
        return InsightEnvelope.close(json, session.userId);
    }

    /**
     * {@code rules.metrics.order_totals}: per currency (code point order) {total cents, orders}. A record that is
     * not exactly {@code currency,cents} fails, as Python's unpacking does.
     */
    static Map<String, long[]> orderTotals(String orderAmounts) {
        Map<String, long[]> totals = new TreeMap<>(CodePoints::compare);
        if (orderAmounts == null || orderAmounts.isEmpty()) {
            return totals;
        }
        for (String record : InsightEnvelope.split(orderAmounts, ';')) {
            if (record.isEmpty()) {
                continue;
            }
            String[] fields = InsightEnvelope.split(record, ',');
            if (fields.length != 2) {
                throw new IllegalArgumentException(
                        "order amount record '" + record + "' is not 'currency,cents' (flink_app/sql/sessions.py)");
            }
            long[] total = totals.computeIfAbsent(fields[0], currency -> new long[2]);
            total[0] = Math.addExact(total[0], Long.parseLong(fields[1]));
            total[1]++;
        }
        return totals;
    }
}
