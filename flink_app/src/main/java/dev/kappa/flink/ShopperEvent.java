package dev.kappa.flink;

/**
 * A cart change or product view of a shopper waiting for the watermark to pass its time (then it is
 * processed by {@link RecommendationTriggers}). Public fields: Flink keeps it as process-table-function state.
 */
public class ShopperEvent {
    public long atMs;
    public String eventType;
    public String sessionId;
    public String eventId;
    public String productId;
    /** The cart change's line (flink_app/rules/lines.py); null for a product view. */
    public String line;

    public ShopperEvent() {}

    public ShopperEvent(
            long atMs, String eventType, String sessionId, String eventId, String productId, String line) {
        this.atMs = atMs;
        this.eventType = eventType;
        this.sessionId = sessionId;
        this.eventId = eventId;
        this.productId = productId;
        this.line = line;
    }

    boolean isView() {
        return "product_view".equals(eventType);
    }
}
