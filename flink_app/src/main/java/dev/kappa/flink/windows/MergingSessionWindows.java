package dev.kappa.flink.windows;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Flink's event-time merging session window rule over one key's open windows, without Flink.
 *
 * <p>What it reproduces (Flink 2.2's legacy group window, flink-table-runtime
 * org.apache.flink.table.runtime.operators.window.groupwindow: WindowOperator with
 * MergingWindowProcessFunction, MergingWindowSet, SessionWindowAssigner, TimeWindow, and the event-time
 * trigger that fires at the end of the window; allowed lateness 0):
 *
 * <ul>
 *   <li>an element at t gets the window {@code [t, t + gap)}; it merges with every open window it intersects,
 *       touching ones included ({@code start <= other.end && end >= other.start}, TimeWindow.intersects), into
 *       their cover, their aggregates merged. Open windows are pairwise disjoint, so those are exactly the floor
 *       and ceiling windows SessionWindowAssigner.mergeWindows looks at; an element that arrives out of order
 *       can bridge two open windows: they become one;
 *   <li>an element whose window, after merging, is late ({@code end - 1 <= watermark}) is dropped
 *       (WindowOperator: isWindowLate; it counts it in its numLateRecordsDropped metric, nothing else). An open
 *       window is never late (it fires as soon as the watermark reaches it), so only an element that would open
 *       a new window can be: merging with an open window makes the window at least as late-proof as that one;
 *   <li>a window fires, and is then gone, when the watermark reaches its max timestamp {@code end - 1} (its
 *       event-time timer at TimeWindow.maxTimestamp, cleanup at the same time).
 * </ul>
 *
 * <p>The windows list is the caller's state; this class changes it in place and keeps it sorted by start.
 *
 * @param <E> the element (an event) a window holds
 * @param <W> the window with its aggregates
 */
public final class MergingSessionWindows<E, W extends MergingSessionWindows.Window<E, W>> {
    /** A session window with its aggregates: a mutable state value the rule merges. */
    public interface Window<E, W> {
        /** Inclusive start: the earliest element's time. */
        long windowStart();

        /** Exclusive end: the latest element's time + the gap. */
        long windowEnd();

        /** The window's last millisecond, where it fires (TimeWindow.maxTimestamp). */
        default long maxTimestamp() {
            return windowEnd() - 1;
        }

        /** Takes over another window: the windows' cover (TimeWindow.cover) and the merged aggregates. */
        void absorb(W other);

        /** Adds an element whose window {@code [t, t + gap)} intersects this one's: the cover becomes the window. */
        void add(E element, long gapMs);
    }

    /** Makes the window of a single element, {@code [t, t + gap)}, as SessionWindowAssigner assigns it. */
    @FunctionalInterface
    public interface Assigner<E, W> {
        W windowOf(E element, long gapMs);
    }

    private static final Comparator<Window<?, ?>> BY_START = Comparator.comparingLong(Window::windowStart);

    private final long gapMs;
    private final ToLongFunction<E> timeOf;
    private final Assigner<E, W> assigner;

    /**
     * @param gapMs the session gap in milliseconds (> 0)
     * @param timeOf an element's event time in milliseconds
     * @param assigner the window of a single element
     */
    public MergingSessionWindows(long gapMs, ToLongFunction<E> timeOf, Assigner<E, W> assigner) {
        if (gapMs <= 0) {
            throw new IllegalArgumentException("the session gap must be positive, got " + gapMs + " ms");
        }
        this.gapMs = gapMs;
        this.timeOf = timeOf;
        this.assigner = assigner;
    }

    /**
     * Adds one element: it joins the windows its own window intersects (the earliest of them absorbs the
     * others, then the element), or opens a new window.
     *
     * @param windows the key's open windows, sorted by start
     * @param watermark the operator's current watermark ({@code Long.MIN_VALUE} before the first)
     * @return the window that now holds the element (its timer is due at its max timestamp), or null when the
     *     element was dropped as late
     */
    public W add(List<W> windows, E element, long watermark) {
        long start = timeOf.applyAsLong(element);
        long end = start + gapMs;
        W target = null;
        long coverEnd = end;
        for (W window : windows) {
            if (intersects(window, start, end)) {
                if (target == null) {
                    target = window;
                }
                coverEnd = Math.max(coverEnd, window.windowEnd());
            }
        }
        if (coverEnd - 1 <= watermark) {
            return null;
        }
        if (target == null) {
            W window = assigner.windowOf(element, gapMs);
            int at = 0;
            while (at < windows.size() && windows.get(at).windowStart() < start) {
                at++;
            }
            windows.add(at, window);
            return window;
        }
        for (Iterator<W> it = windows.iterator(); it.hasNext(); ) {
            W window = it.next();
            if (window != target && intersects(window, start, end)) {
                target.absorb(window);
                it.remove();
            }
        }
        target.add(element, gapMs);
        return target;
    }

    /**
     * Fires the windows the watermark has reached: removes from {@code windows} and returns those whose max
     * timestamp is at or before {@code watermark}, earliest first. Needs no gap: each window carries its end.
     */
    public static <W extends Window<?, W>> List<W> fire(List<W> windows, long watermark) {
        List<W> fired = new ArrayList<>(1);
        for (Iterator<W> it = windows.iterator(); it.hasNext(); ) {
            W window = it.next();
            if (window.maxTimestamp() <= watermark) {
                fired.add(window);
                it.remove();
            }
        }
        // Already in order for a list this class kept; state written before it kept one may not be.
        fired.sort(BY_START);
        return fired;
    }

    /** TimeWindow.intersects: touching windows ([a, b) and [b, c)) intersect and merge. */
    private static boolean intersects(Window<?, ?> window, long start, long end) {
        return window.windowStart() <= end && window.windowEnd() >= start;
    }
}
