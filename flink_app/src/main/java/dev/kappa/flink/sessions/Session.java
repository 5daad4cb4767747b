package dev.kappa.flink.sessions;

import dev.kappa.flink.CodePoints;

/**
 * One open session of a (user_id, session_id): its window and the aggregates `session_insight` reads.
 *
 * <p>The window is Flink's session window for these events: each event's own window is {@code [ts, ts + gap)}
 * and a session's window is the cover of its events' windows, {@code [startedAtMs, endedAtMs + gap)}
 * (org.apache.flink.table.runtime.operators.window.TimeWindow). The aggregates are those of the SQL the
 * function replaces (`session_windows` in flink_app/sql/sessions.py before issue 15):
 *
 * <pre>
 *   MIN(ts_ms) started_at_ms, MAX(ts_ms) ended_at_ms, COUNT(*) events,
 *   SUM(CASE WHEN event_type = 'page_view' THEN 1 ELSE 0 END) page_views, (product_view, search, add_to_cart,
 *   checkout_started alike), SUM(CASE WHEN add_to_cart THEN quantity * price_cents ELSE 0 END) cart_value_cents,
 *   MAX(CASE WHEN add_to_cart THEN product_currency END) cart_currency,
 *   LISTAGG(CASE WHEN purchase THEN CONCAT(order_currency, ',', CAST(order_total_cents AS STRING)) END, ';')
 *     order_amounts
 * </pre>
 *
 * <p>A state POJO (public fields, no-argument constructor: the function keeps a list of them per key).
 */
public class Session {
    public long startedAtMs;
    public long endedAtMs;
    /** Exclusive end of the window: endedAtMs + gap. */
    public long windowEndMs;

    public long events;
    public long pageViews;
    public long productViews;
    public long searches;
    public long cartAdds;
    public long cartValueCents;
    /** Null while the session has no cart add with a currency (SQL MAX over no value). */
    public String cartCurrency;

    public long checkouts;
    /** `currency,cents` per purchase joined by ';'; null while the session has none (SQL LISTAGG over no value). */
    public String orderAmounts;

    /**
     * The state layout's, not an aggregate ({@link OpenSessions}): another open session of the key is stored at
     * the next position. {@link OpenSessions#store} sets it on every session it writes.
     */
    public boolean followed;

    public Session() {}

    /** The session of one event: the window {@code [ts, ts + gap)}. */
    static Session of(SessionEvent event, long gapMs) {
        Session session = new Session();
        session.startedAtMs = event.timestampMs;
        session.endedAtMs = event.timestampMs;
        session.windowEndMs = event.timestampMs + gapMs;
        session.count(event);
        return session;
    }

    /** The window's last millisecond, when it fires (TimeWindow.maxTimestamp). */
    long maxTimestamp() {
        return windowEndMs - 1;
    }

    /**
     * Whether the window {@code [start, end)} intersects this session's window. Touching windows intersect too:
     * TimeWindow.intersects is {@code start <= other.end && end >= other.start}, so an event exactly a gap after
     * the session's last event still joins it.
     */
    boolean intersects(long start, long end) {
        return startedAtMs <= end && windowEndMs >= start;
    }

    /** Adds an event whose window intersects this session's (the cover becomes the window). */
    void add(SessionEvent event, long gapMs) {
        startedAtMs = Math.min(startedAtMs, event.timestampMs);
        endedAtMs = Math.max(endedAtMs, event.timestampMs);
        windowEndMs = Math.max(windowEndMs, event.timestampMs + gapMs);
        count(event);
    }

    /** Takes over another session's events: the windows' cover and the merged aggregates. */
    void absorb(Session other) {
        startedAtMs = Math.min(startedAtMs, other.startedAtMs);
        endedAtMs = Math.max(endedAtMs, other.endedAtMs);
        windowEndMs = Math.max(windowEndMs, other.windowEndMs);
        events += other.events;
        pageViews += other.pageViews;
        productViews += other.productViews;
        searches += other.searches;
        cartAdds += other.cartAdds;
        cartValueCents += other.cartValueCents;
        cartCurrency = max(cartCurrency, other.cartCurrency);
        checkouts += other.checkouts;
        orderAmounts = join(orderAmounts, other.orderAmounts);
    }

    private void count(SessionEvent event) {
        events++;
        switch (event.eventType == null ? "" : event.eventType) {
            case SessionEvent.PAGE_VIEW:
                pageViews++;
                break;
            case SessionEvent.PRODUCT_VIEW:
                productViews++;
                break;
            case SessionEvent.SEARCH:
                searches++;
                break;
            case SessionEvent.ADD_TO_CART:
                cartAdds++;
                // quantity * price_cents is NULL when either is: SUM skips it.
                if (event.quantity != null && event.priceCents != null) {
                    cartValueCents += event.quantity * event.priceCents;
                }
                cartCurrency = max(cartCurrency, event.productCurrency);
                break;
            case SessionEvent.CHECKOUT_STARTED:
                checkouts++;
                break;
            case SessionEvent.PURCHASE:
                // CONCAT is NULL when an argument is: LISTAGG skips it.
                if (event.orderCurrency != null && event.orderTotalCents != null) {
                    orderAmounts = join(orderAmounts, event.orderCurrency + "," + event.orderTotalCents);
                }
                break;
            default:
                break;
        }
    }

    /**
     * SQL MAX over strings, nulls skipped. Flink compares STRING values as UTF-8 bytes, i.e. by code point
     * (String.compareTo compares UTF-16 units, which orders characters beyond U+FFFF differently).
     */
    static String max(String current, String candidate) {
        if (current == null) {
            return candidate;
        }
        if (candidate == null) {
            return current;
        }
        return CodePoints.compare(candidate, current) > 0 ? candidate : current;
    }

    /**
     * LISTAGG's concatenation with ';'. Its order may differ from Flink's when sessions merge; nothing depends on
     * it: session_insight sums the amounts per currency (flink_app/rules/metrics.py `order_totals`) and sorts
     * the currencies.
     */
    private static String join(String left, String right) {
        if (left == null) {
            return right;
        }
        if (right == null) {
            return left;
        }
        return left + ";" + right;
    }
}
