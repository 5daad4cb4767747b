package dev.kappa.flink;

/** A recommendation trigger (an add_to_cart or a session's first product view) and its cart history. */
public final class Trigger {
    public final ShopperEvent event;
    /** LISTAGG(line, ';') of the shopper's cart changes in [at - history, at]; null when there is none. */
    public final String cartHistory;

    Trigger(ShopperEvent event, String cartHistory) {
        this.event = event;
        this.cartHistory = cartHistory;
    }
}
