package dev.kappa.flink;

import java.util.ArrayList;
import java.util.List;

/**
 * A shopper's rows waiting for the watermark, its processed cart lines (the cart history frame) and the times its
 * cart windows are due at, stored as the entries of one list view, so that a timer reads one state rather than
 * three (on RocksDB each read is a get, and for the many shoppers without cart lines or windows the others would
 * be misses, which search every level): the windows' list is read only when a window is due.
 *
 * <p>A cart line is stored as a {@link ShopperEvent} of type {@value #HISTORY_LINE} with its time and line, a
 * window's due time (its end - 1) as one of type {@value #WINDOW_DUE} at that time. The entries hold the history
 * lines first, in time order, then the due times, then the waiting rows in arrival order; rows buffered later
 * are appended, so reading keeps both orders.
 */
public final class ShopperBuffer {
    /** The event type of an entry that is a processed cart line, not a waiting row (no event has this type). */
    static final String HISTORY_LINE = "cart_history_line";

    /** The event type of an entry that is a cart window's due time (no event has this type). */
    static final String WINDOW_DUE = "cart_window_due";

    /** The rows waiting for the watermark, in arrival order. */
    public final List<ShopperEvent> waiting = new ArrayList<>();

    /** The processed cart lines a later frame can still hold, by time. */
    public final List<CartLine> history = new ArrayList<>();

    /**
     * The times a window was due at when it was stored (a change may have extended the window since: it is due
     * later, at a time stored too).
     */
    public final List<Long> windowDues = new ArrayList<>();

    /** The entry marking a window due at {@code time}, appended to the list view when a window gets that end. */
    public static ShopperEvent windowDue(long time) {
        return new ShopperEvent(time, WINDOW_DUE, null, null, null, null);
    }

    /** Splits a list view's entries (null: none) into the waiting rows and the history. */
    public static ShopperBuffer read(Iterable<ShopperEvent> entries) {
        ShopperBuffer buffer = new ShopperBuffer();
        if (entries != null) {
            for (ShopperEvent entry : entries) {
                if (HISTORY_LINE.equals(entry.eventType)) {
                    buffer.history.add(new CartLine(entry.atMs, entry.line));
                } else if (WINDOW_DUE.equals(entry.eventType)) {
                    buffer.windowDues.add(entry.atMs);
                } else {
                    buffer.waiting.add(entry);
                }
            }
        }
        return buffer;
    }

    /** Removes the due times at or before {@code time}; true when there was one (a window may fire). */
    public boolean takeWindowsDue(long time) {
        return windowDues.removeIf(due -> due <= time);
    }

    /** The entries to store: the history lines, the due times, then the waiting rows. */
    public List<ShopperEvent> entries() {
        List<ShopperEvent> entries = new ArrayList<>(history.size() + windowDues.size() + waiting.size());
        for (CartLine line : history) {
            entries.add(new ShopperEvent(line.atMs, HISTORY_LINE, null, null, null, line.line));
        }
        for (long due : windowDues) {
            entries.add(windowDue(due));
        }
        entries.addAll(waiting);
        return entries;
    }
}
