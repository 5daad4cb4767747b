package dev.kappa.flink;

import java.util.ArrayList;
import java.util.List;

/** {@link ShopperActivity}'s state per shopper (public fields: Flink keeps it as a structured type). */
public class ShopperState {
    /** Open cart session windows, sorted by start. */
    public List<CartWindow> windows = new ArrayList<>();

    /** Cart changes and views waiting for the watermark, in arrival order. */
    public List<ShopperEvent> pending = new ArrayList<>();

    /** Processed cart changes a later cart history frame can still hold, sorted by time. */
    public List<CartLine> history = new ArrayList<>();

    /** The function's arguments, kept for onTimer (which does not receive them). */
    public long abandonAfterMs;

    public long cartHistoryMs;

    public ShopperState() {}

    boolean isEmpty() {
        return windows.isEmpty() && pending.isEmpty() && history.isEmpty();
    }
}
