package dev.kappa.flink.sessions;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.flink.table.api.dataview.MapView;

/**
 * A shopper's open sessions, by session id, and when they end: the rule of {@link SessionWindows} (Flink's
 * event-time session window per (user_id, session_id)) applied to each session id of one shopper, and the one
 * event-time timer that ends them.
 *
 * <p>The sessions live in a map view, session id → {@link SessionState} (the per-shopper function's state; a
 * plain {@code new MapView<>()} in tests). A session belongs to one shopper in every log, so the sessions of a
 * (user_id, session_id) key are the entry of that session id under its user: the same sessions, with the same
 * aggregates, as per (user_id, session_id).
 *
 * <p>The timer, lazy as the per-session function's was: the shopper has one timer for all its sessions, at or
 * before the earliest max timestamp ({@code last event + gap - 1}) of its open sessions. {@link #add} asks for it
 * to be set only when an event opens a new session (at the earliest max timestamp then); an event that joins or
 * bridges sessions only moves their ends later, so the timer stays at or before them. When it fires, {@link
 * #end} emits the sessions the watermark has reached and {@link #earliestEnd} says where the timer goes next.
 * So every open session is emitted while the watermark that reaches its max timestamp is processed, when the
 * window would fire. (Firing tests the watermark, not the timer's time: the watermark can pass several sessions'
 * ends at once, and a timer at or behind the watermark is ignored.)
 */
public final class ShopperSessions {
    private static final Comparator<EndedSession> BY_START_THEN_ID =
            Comparator.<EndedSession>comparingLong(e -> e.session.startedAtMs).thenComparing(e -> e.sessionId);

    private final long gapMs;
    private final MapView<String, SessionState> bySessionId;

    /**
     * @param gapMs the session gap in milliseconds (> 0)
     * @param bySessionId the shopper's open sessions by session id; this object changes it
     */
    public ShopperSessions(long gapMs, MapView<String, SessionState> bySessionId) {
        if (gapMs <= 0) {
            throw new IllegalArgumentException("the session gap must be positive, got " + gapMs + " ms");
        }
        this.gapMs = gapMs;
        this.bySessionId = bySessionId;
    }

    /**
     * Adds an event of session {@code sessionId} (joins the id's open sessions its window intersects, or starts
     * a new one; dropped when that new one would already be late).
     *
     * @param watermark the operator's current watermark ({@code Long.MIN_VALUE} before the first)
     * @return the time to set the shopper's session timer to when the event started a new session (the earliest
     *     max timestamp of the open sessions), else null (the timer stays where it is)
     */
    public Long add(String sessionId, SessionEvent event, long watermark) throws Exception {
        SessionState state = bySessionId.get(sessionId);
        List<Session> open = state == null ? new ArrayList<>(1) : state.load();
        int openBefore = open.size();
        if (new SessionWindows(gapMs, open).add(event, watermark) == null) {
            return null;
        }
        if (state == null) {
            state = new SessionState();
        }
        state.store(open);
        bySessionId.put(sessionId, state); // also on the heap backend, where the object was changed in place
        return open.size() > openBefore ? earliestEnd() : null;
    }

    /**
     * Ends the sessions whose max timestamp the watermark has reached: removes them from the map and returns
     * them, earliest start first (then by session id).
     */
    public List<EndedSession> end(long watermark) throws Exception {
        List<EndedSession> ended = new ArrayList<>(1);
        List<Map.Entry<String, SessionState>> due = new ArrayList<>(1);
        for (Map.Entry<String, SessionState> entry : bySessionId.entries()) {
            if (entry.getValue().earliestMaxTimestamp() <= watermark) {
                due.add(entry);
            }
        }
        for (Map.Entry<String, SessionState> entry : due) {
            String sessionId = entry.getKey();
            SessionState state = entry.getValue();
            List<Session> open = state.load();
            for (Session session : SessionWindows.fire(open, watermark)) {
                ended.add(new EndedSession(sessionId, session));
            }
            if (state.store(open)) {
                bySessionId.put(sessionId, state);
            } else {
                bySessionId.remove(sessionId);
            }
        }
        ended.sort(BY_START_THEN_ID);
        return ended;
    }

    /** The earliest max timestamp of the shopper's open sessions (where its timer goes), or null when none is open. */
    public Long earliestEnd() throws Exception {
        Long earliest = null;
        for (SessionState state : bySessionId.values()) {
            long end = state.earliestMaxTimestamp();
            if (earliest == null || end < earliest) {
                earliest = end;
            }
        }
        return earliest;
    }
}
