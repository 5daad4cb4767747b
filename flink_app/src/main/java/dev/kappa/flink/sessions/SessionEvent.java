package dev.kappa.flink.sessions;

/**
 * What a session summary reads of one on-time event (the columns `flink_app/sql/sessions.py` projects for it).
 *
 * <p>Nullable fields are null exactly where the SQL column is NULL; the aggregates skip nulls as Flink's SUM,
 * MAX and LISTAGG do.
 */
public final class SessionEvent {
    public static final String PAGE_VIEW = "page_view";
    public static final String PRODUCT_VIEW = "product_view";
    public static final String SEARCH = "search";
    public static final String ADD_TO_CART = "add_to_cart";
    public static final String CHECKOUT_STARTED = "checkout_started";
    public static final String PURCHASE = "purchase";

    final String eventType;
    /** Event time (the row's `ts`, as epoch milliseconds; equal to `ts_ms`). */
    final long timestampMs;

    final Integer quantity;
    final Long priceCents;
    final String productCurrency;
    final String orderCurrency;
    final Long orderTotalCents;

    public SessionEvent(
            String eventType,
            long timestampMs,
            Integer quantity,
            Long priceCents,
            String productCurrency,
            String orderCurrency,
            Long orderTotalCents) {
        this.eventType = eventType;
        this.timestampMs = timestampMs;
        this.quantity = quantity;
        this.priceCents = priceCents;
        this.productCurrency = productCurrency;
        this.orderCurrency = orderCurrency;
        this.orderTotalCents = orderTotalCents;
    }

    /** An event with no product, quantity or order (a page view, a search, ...). */
    public static SessionEvent of(String eventType, long timestampMs) {
        return new SessionEvent(eventType, timestampMs, null, null, null, null, null);
    }

    public static SessionEvent cartAdd(long timestampMs, int quantity, long priceCents, String currency) {
        return new SessionEvent(ADD_TO_CART, timestampMs, quantity, priceCents, currency, null, null);
    }

    public static SessionEvent purchase(long timestampMs, String currency, long totalCents) {
        return new SessionEvent(PURCHASE, timestampMs, null, null, null, currency, totalCents);
    }
}
