package dev.kappa.flink.sessions;

import dev.kappa.flink.windows.MergingSessionWindows;
import java.util.List;

/**
 * The open sessions of one (user_id, session_id) and Flink's event-time session window rule over them
 * ({@link MergingSessionWindows}: merging, bridging, late events, firing).
 *
 * <p>The job's input is on-time events only (the late side output takes the rest, flink_app/sql/events.py), so
 * the late drop is a safeguard here, as it is in the window it replaces.
 */
public final class SessionWindows {
    private final MergingSessionWindows<SessionEvent, Session> rule;
    /** Pairwise non-intersecting windows (any two that intersect have been merged), sorted by start. */
    private final List<Session> open;

    /**
     * @param gapMs the session gap in milliseconds (> 0)
     * @param open the key's open sessions; this object changes the list in place
     */
    public SessionWindows(long gapMs, List<Session> open) {
        this.rule = new MergingSessionWindows<>(gapMs, event -> event.timestampMs, Session::of);
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
        return rule.add(open, event, watermark);
    }

    /**
     * Fires the windows the watermark has reached: removes from {@code open} and returns the sessions whose max
     * timestamp is at or before {@code watermark}, earliest first.
     */
    public static List<Session> fire(List<Session> open, long watermark) {
        return MergingSessionWindows.fire(open, watermark);
    }
}
