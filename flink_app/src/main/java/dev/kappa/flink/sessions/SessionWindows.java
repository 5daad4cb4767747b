package dev.kappa.flink.sessions;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * The open sessions of one (user_id, session_id) and Flink's event-time session window rule over them.
 *
 * <p>What it reproduces (Flink 2.2's legacy group window, flink-table-runtime
 * org.apache.flink.table.runtime.operators.window.groupwindow: WindowOperator with
 * MergingWindowProcessFunction, MergingWindowSet, SessionWindowAssigner, TimeWindow, and the event-time
 * trigger that fires at the end of the window; allowed lateness 0):
 *
 * <ul>
 *   <li>each event's window is {@code [ts, ts + gap)}; it merges with every open window it intersects
 *       (touching included) into their cover, their aggregates merged. An event that arrives out of order can
 *       bridge two open sessions: they become one.
 *   <li>a window fires when the watermark reaches its max timestamp ({@code end - 1}): the session is emitted
 *       and forgotten.
 *   <li>an event whose window, after merging, is late ({@code end - 1 <= watermark}) is dropped
 *       (WindowOperator counts it in its numLateRecordsDropped metric; nothing else). An open session is never
 *       late (it fires as soon as the watermark reaches it), so only an event that would start a new session can
 *       be: merging with an open session makes the window at least as late-proof as that session.
 * </ul>
 *
 * <p>The job's input is on-time events only (the late side output takes the rest, flink_app/sql/events.py), so
 * the drop is a safeguard here, as it is in the window it replaces.
 */
public final class SessionWindows {
    private static final Comparator<Session> BY_START = Comparator.comparingLong(s -> s.startedAtMs);

    private final long gapMs;
    /** Pairwise non-intersecting windows (any two that intersect have been merged). */
    private final List<Session> open;

    /**
     * @param gapMs the session gap in milliseconds (> 0)
     * @param open the key's open sessions; this object changes the list in place
     */
    public SessionWindows(long gapMs, List<Session> open) {
        if (gapMs <= 0) {
            throw new IllegalArgumentException("the session gap must be positive, got " + gapMs + " ms");
        }
        this.gapMs = gapMs;
        this.open = open;
    }

    public List<Session> open() {
        return open;
    }

    /**
     * Adds an event: joins the open sessions its window intersects, or starts a new one.
     *
     * @param watermark the operator's current watermark ({@code Long.MIN_VALUE} before the first)
     * @return the session that now holds the event, or null when the event was dropped as late
     */
    public Session add(SessionEvent event, long watermark) {
        long start = event.timestampMs;
        long end = start + gapMs;
        Session target = null;
        for (Iterator<Session> it = open.iterator(); it.hasNext(); ) {
            Session session = it.next();
            if (!session.intersects(start, end)) {
                continue;
            }
            if (target == null) {
                target = session;
            } else {
                target.absorb(session);
                it.remove();
            }
        }
        if (target == null) {
            if (end - 1 <= watermark) {
                return null;
            }
            target = Session.of(event, gapMs);
            open.add(target);
        } else {
            target.add(event, gapMs);
        }
        return target;
    }

    /**
     * Fires the windows the watermark has reached: removes from {@code open} and returns the sessions whose max
     * timestamp is at or before {@code watermark}, earliest first. Needs no gap: each session carries its
     * window's end.
     */
    public static List<Session> fire(List<Session> open, long watermark) {
        List<Session> fired = new ArrayList<>(1);
        for (Iterator<Session> it = open.iterator(); it.hasNext(); ) {
            Session session = it.next();
            if (session.maxTimestamp() <= watermark) {
                fired.add(session);
                it.remove();
            }
        }
        fired.sort(BY_START);
        return fired;
    }
}
