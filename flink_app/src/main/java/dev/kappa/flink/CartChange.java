package dev.kappa.flink;

/** One add_to_cart / remove_from_cart / purchase of a shopper, as the cart window rule reads it. */
final class CartChange {
    final long atMs;
    final String eventType;
    final String productId;
    /** The change's compact line (flink_app/rules/lines.py), built by the SQL. */
    final String line;

    CartChange(long atMs, String eventType, String productId, String line) {
        this.atMs = atMs;
        this.eventType = eventType;
        this.productId = productId;
        this.line = line;
    }

    static boolean isCartChange(String eventType) {
        return "add_to_cart".equals(eventType)
                || "remove_from_cart".equals(eventType)
                || "purchase".equals(eventType);
    }

    boolean isAdd() {
        return "add_to_cart".equals(eventType);
    }

    boolean isPurchase() {
        return "purchase".equals(eventType);
    }
}
