package dev.kappa.flink.sessions;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.api.dataview.ListView;

/**
 * The state layout of {@link SessionSummaries} for one (user_id, session_id): its first open session inline,
 * the rare others (an out-of-order gap between two of the key's sessions) in a list view.
 *
 * <p>A key has one open session nearly always. The PTF runtime converts a value state between Flink's internal
 * rows and the Java object, hashes and compares it on every call; a flat row of the session's fields is cheap to
 * convert, where a list of sessions (an {@code ARRAY<ROW>}, the previous layout) was serialized as a whole each
 * time. The list view is read only when {@link #more} says it holds sessions.
 *
 * <p>A state POJO (public fields, no-argument constructor): the session's fields, and two flags.
 */
public class SessionState extends Session {
    /** False in a fresh state: the key has no open session. */
    public boolean open;

    /** True when the key has further open sessions, in the list view. */
    public boolean more;

    public SessionState() {}

    /**
     * The key's open sessions, in their order: this state itself (when open), then the list view's. Changing the
     * first one changes this state; {@link #store} writes the rest back.
     */
    public List<Session> load(ListView<Session> others) throws Exception {
        List<Session> sessions = new ArrayList<>(1);
        if (open) {
            sessions.add(this);
        }
        if (more) {
            for (Session session : others.get()) {
                sessions.add(session);
            }
        }
        return sessions;
    }

    /**
     * Keeps {@code sessions} (as {@link #load} returned them, then changed by the rule) in this state and the list
     * view.
     *
     * @return false when no session is left open: the caller then clears this state
     */
    public boolean store(List<Session> sessions, ListView<Session> others) throws Exception {
        boolean hadMore = more;
        more = sessions.size() > 1;
        if (hadMore || more) {
            others.clear();
            if (more) {
                others.addAll(sessions.subList(1, sessions.size()));
            }
        }
        if (sessions.isEmpty()) {
            open = false;
            return false;
        }
        Session first = sessions.get(0);
        if (first != this) {
            set(first);
        }
        open = true;
        return true;
    }
}
