package dev.kappa.flink.sessions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.table.api.dataview.MapView;

/**
 * The state layout of {@link SessionSummaries} for one (user_id, session_id): its open sessions in a map view,
 * position → session, positions 0..n-1 in the order the rule keeps them ({@link SessionWindows}).
 *
 * <p>A key has one open session nearly always. A map view is read and written entry by entry, and on the heap
 * backend it holds the {@link Session} objects themselves: loading and storing the usual single session is one
 * lookup of the key each, with no conversion. (A value state is converted between Flink's internal row and the
 * Java object, hashed and compared by the PTF runtime on every call: the previous layout, {@code SessionState},
 * measured that as about a sixth of the function's time.) Storing writes every open session back, changed in
 * place or not, so that a serializing backend (RocksDB) sees the change too.
 */
public final class OpenSessions {
    private OpenSessions() {}

    /** The key's open sessions, by position; an empty list for a key without state. */
    public static List<Session> load(MapView<Integer, Session> sessions) throws Exception {
        List<Session> open = new ArrayList<>(2);
        for (Map.Entry<Integer, Session> entry : sessions.entries()) {
            int position = entry.getKey();
            while (open.size() <= position) {
                open.add(null);
            }
            open.set(position, entry.getValue());
        }
        return open;
    }

    /**
     * Keeps {@code open} (as {@link #load} returned it, {@code loaded} sessions then, changed by the rule since).
     *
     * @return false when no session is left open: the caller then clears the state
     */
    public static boolean store(MapView<Integer, Session> sessions, int loaded, List<Session> open)
            throws Exception {
        if (open.isEmpty()) {
            return false;
        }
        for (int position = 0; position < open.size(); position++) {
            sessions.put(position, open.get(position));
        }
        for (int position = open.size(); position < loaded; position++) {
            sessions.remove(position);
        }
        return true;
    }
}
