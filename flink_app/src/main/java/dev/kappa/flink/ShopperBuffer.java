package dev.kappa.flink;

import java.util.ArrayList;
import java.util.List;

/**
 * A shopper's rows waiting for the watermark and its processed cart lines (the cart history frame), stored as the
 * entries of one list view, so that a timer reads one state rather than two (on RocksDB each read is a get, and
 * for the many shoppers without cart lines a second one would be a miss, which searches every level).
 *
 * <p>A cart line is stored as a {@link ShopperEvent} of type {@value #HISTORY_LINE} with its time and line. The
 * entries hold the history lines first, in time order, then the waiting rows in arrival order; rows buffered
 * later are appended, so reading keeps both orders.
 */
public final class ShopperBuffer {
    /** The event type of an entry that is a processed cart line, not a waiting row (no event has this type). */
    static final String HISTORY_LINE = "cart_history_line";

    /** The rows waiting for the watermark, in arrival order. */
    public final List<ShopperEvent> waiting = new ArrayList<>();

    /** The processed cart lines a later frame can still hold, by time. */
    public final List<CartLine> history = new ArrayList<>();

    /** Splits a list view's entries (null: none) into the waiting rows and the history. */
    public static ShopperBuffer read(Iterable<ShopperEvent> entries) {
        ShopperBuffer buffer = new ShopperBuffer();
        if (entries != null) {
            for (ShopperEvent entry : entries) {
                if (HISTORY_LINE.equals(entry.eventType)) {
                    buffer.history.add(new CartLine(entry.atMs, entry.line));
                } else {
                    buffer.waiting.add(entry);
                }
            }
        }
        return buffer;
    }

    /** The entries to store: the history lines, then the waiting rows. */
    public List<ShopperEvent> entries() {
        List<ShopperEvent> entries = new ArrayList<>(history.size() + waiting.size());
        for (CartLine line : history) {
            entries.add(new ShopperEvent(line.atMs, HISTORY_LINE, null, null, null, line.line));
        }
        entries.addAll(waiting);
        return entries;
    }
}
