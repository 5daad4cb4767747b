package dev.kappa.flink;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The rule of a shopper's cart session windows: what {@code GROUP BY user_id, SESSION(ts, gap)} (Flink's
 * legacy group window: table-runtime's groupwindow WindowOperator, MergingWindowSet,
 * SessionWindowAssigner and TimeWindow, Flink 2.2) computes for one user, without Flink.
 *
 * <ul>
 *   <li>a change at t gets the window [t, t + gap); it merges with every window it intersects, touching
 *       ones included ({@code start <= other.end && end >= other.start}), into their cover. Windows of a
 *       key are pairwise disjoint, so those are exactly the floor and ceiling windows Flink's
 *       SessionWindowAssigner.mergeWindows looks at;
 *   <li>a change whose (merged) window is already late, {@code end - 1 <= watermark}, is dropped
 *       (WindowOperator: isWindowLate, allowed lateness 0). A merge with a live window is never late,
 *       since live windows end after the watermark;
 *   <li>a window fires, and is then gone, when the watermark reaches {@code end - 1} (its event-time timer
 *       at TimeWindow.maxTimestamp, cleanup at the same time).
 * </ul>
 *
 * <p>The windows list is kept sorted by start.
 */
public final class CartSessionWindows {
    private final long gapMs;

    public CartSessionWindows(long gapMs) {
        if (gapMs <= 0) {
            throw new IllegalArgumentException("the session gap must be positive, got " + gapMs + " ms");
        }
        this.gapMs = gapMs;
    }

    /**
     * Adds one change to the shopper's windows.
     *
     * @return the window that now holds the change (its timer is due at its maxTimestamp), or null when
     *     the change was dropped as late
     */
    public CartWindow add(List<CartWindow> windows, CartChange change, long watermark) {
        CartWindow merged = CartWindow.of(change, gapMs);
        List<CartWindow> absorbed = new ArrayList<>(2);
        for (CartWindow window : windows) {
            if (window.intersects(merged)) {
                absorbed.add(window);
            }
        }
        long coverEnd = merged.end;
        for (CartWindow window : absorbed) {
            coverEnd = Math.max(coverEnd, window.end);
        }
        if (coverEnd - 1 <= watermark) {
            return null;
        }
        CartWindow result = merged;
        if (!absorbed.isEmpty()) {
            // The existing windows' aggregates first, then the new change (LISTAGG order is free).
            result = absorbed.get(0);
            for (int i = 1; i < absorbed.size(); i++) {
                result.absorb(absorbed.get(i));
            }
            result.absorb(merged);
        }
        for (int i = 1; i < absorbed.size(); i++) {
            windows.remove(absorbed.get(i));
        }
        if (absorbed.isEmpty()) {
            int at = 0;
            while (at < windows.size() && windows.get(at).start < result.start) {
                at++;
            }
            windows.add(at, result);
        }
        return result;
    }

    /** The max timestamps of the windows (each window's timer), in the list's order. */
    public static long[] dueTimes(List<CartWindow> windows) {
        long[] due = new long[windows.size()];
        for (int i = 0; i < due.length; i++) {
            due[i] = windows.get(i).maxTimestamp();
        }
        return due;
    }

    /** Whether {@code time} is one of {@code dueTimes}. */
    public static boolean contains(long[] dueTimes, long time) {
        for (long due : dueTimes) {
            if (due == time) {
                return true;
            }
        }
        return false;
    }

    /** Removes and returns the windows that fire when the watermark reaches {@code time}, by start. */
    public List<CartWindow> fire(List<CartWindow> windows, long time) {
        List<CartWindow> fired = new ArrayList<>(1);
        Iterator<CartWindow> it = windows.iterator();
        while (it.hasNext()) {
            CartWindow window = it.next();
            if (window.maxTimestamp() <= time) {
                fired.add(window);
                it.remove();
            }
        }
        return fired;
    }
}
