package dev.kappa.flink.sessions;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.api.dataview.MapView;

/**
 * The state layout of {@link SessionSummaries} for one (user_id, session_id): its open sessions in a map view,
 * position → session, positions 0..n-1 in the order the rule keeps them ({@link SessionWindows}).
 *
 * <p>A key has one open session nearly always. A map view is read and written entry by entry, and on the heap
 * backend it holds the {@link Session} objects themselves: no conversion. (A value state is converted between
 * Flink's internal row and the Java object, hashed and compared by the PTF runtime on every call: the previous
 * layout, {@code SessionState}, measured that as about a sixth of the function's time.) Every access is a point
 * lookup by position, never an iteration or a clear of the view: on RocksDB, the backend Managed Flink runs, each
 * of those opens an iterator and seeks (measured as most of the function's time there), while a lookup of a
 * position is one get. Storing writes every open session back, changed in place or not, so that a serializing
 * backend sees the change too, and removes the positions no longer open, the last one leaving no state.
 */
public final class OpenSessions {
    private OpenSessions() {}

    /**
     * The key's open sessions, by position; empty without state. Each session says whether another follows it
     * ({@link Session#followed}), so the usual single session is one lookup, with no lookup of a missing position
     * (on RocksDB a miss searches every level of the store).
     */
    public static List<Session> load(MapView<Integer, Session> sessions) throws Exception {
        List<Session> open = new ArrayList<>(2);
        Session session = sessions.get(0);
        while (session != null) {
            open.add(session);
            session = session.followed ? sessions.get(open.size()) : null;
        }
        return open;
    }

    /**
     * Keeps {@code open} (as {@link #load} returned it, {@code loaded} sessions then, changed by the rule since):
     * writes its sessions at positions 0..n-1, each marked as followed or not, and removes the positions after
     * them that were held. With no session left open that removes every position, and so the key's state.
     */
    public static void store(MapView<Integer, Session> sessions, int loaded, List<Session> open) throws Exception {
        for (int position = 0; position < open.size(); position++) {
            Session session = open.get(position);
            session.followed = position + 1 < open.size();
            sessions.put(position, session);
        }
        for (int position = open.size(); position < loaded; position++) {
            sessions.remove(position);
        }
    }
}
