package dev.kappa.flink;

import java.util.ArrayList;
import java.util.List;

/**
 * One session window of a shopper's cart changes, [start, end): what the legacy SQL group window
 * {@code GROUP BY user_id, SESSION(ts, abandon_after)} kept per window, with its aggregates.
 *
 * <p>A plain mutable value (public fields, no-argument constructor) so that Flink can keep it as
 * process-table-function state; the rules in {@link CartSessionWindows} own its life cycle.
 */
public class CartWindow {
    /** Inclusive start: the earliest change's time. */
    public long start;

    /** Exclusive end: the latest change's time + the gap. */
    public long end;

    /** MAX(ts_ms) of the window's changes. */
    public long lastChangeMs;

    /** The changes' lines (LISTAGG(line, ';')); readers sort them by time, so the order is free. */
    public List<String> changes = new ArrayList<>();

    /** The distinct products added to the cart (LISTAGG(DISTINCT product of add_to_cart, ';')). */
    public List<String> carted = new ArrayList<>();

    /** MAX(ts_ms) of the window's add_to_cart changes, null without any. */
    public Long lastAddMs;

    /** MAX(ts_ms) of the window's purchases, null without any. */
    public Long lastPurchaseMs;

    public CartWindow() {}

    /** The window of a single change: [at, at + gap), as Flink's SessionWindowAssigner assigns it. */
    static CartWindow of(CartChange change, long gapMs) {
        CartWindow window = new CartWindow();
        window.start = change.atMs;
        window.end = change.atMs + gapMs;
        window.lastChangeMs = change.atMs;
        window.changes.add(change.line);
        if (change.isAdd()) {
            if (change.productId != null) {
                window.carted.add(change.productId);
            }
            window.lastAddMs = change.atMs;
        } else if (change.isPurchase()) {
            window.lastPurchaseMs = change.atMs;
        }
        return window;
    }

    /** The window's last millisecond, where it fires (TimeWindow.maxTimestamp, SESSION_ROWTIME). */
    public long maxTimestamp() {
        return end - 1;
    }

    /** Flink's TimeWindow.intersects: touching windows ([a, b) and [b, c)) intersect and merge. */
    boolean intersects(CartWindow other) {
        return start <= other.end && end >= other.start;
    }

    /** Takes the other window's span and aggregates into this one (TimeWindow.cover + the aggregates' merge). */
    void absorb(CartWindow other) {
        start = Math.min(start, other.start);
        end = Math.max(end, other.end);
        lastChangeMs = Math.max(lastChangeMs, other.lastChangeMs);
        changes.addAll(other.changes);
        for (String product : other.carted) {
            if (!carted.contains(product)) {
                carted.add(product);
            }
        }
        lastAddMs = max(lastAddMs, other.lastAddMs);
        lastPurchaseMs = max(lastPurchaseMs, other.lastPurchaseMs);
    }

    /** LISTAGG(line, ';') of the changes. */
    public String changesText() {
        return changes.isEmpty() ? null : String.join(";", changes);
    }

    /** LISTAGG(DISTINCT product, ';') of the added products: null when none was added. */
    public String cartedText() {
        return carted.isEmpty() ? null : String.join(";", carted);
    }

    private static Long max(Long a, Long b) {
        if (a == null) {
            return b;
        }
        return b == null ? a : Long.valueOf(Math.max(a, b));
    }
}
