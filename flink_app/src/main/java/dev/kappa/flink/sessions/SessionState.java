package dev.kappa.flink.sessions;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The open sessions of one session id of a shopper, as {@link ShopperSessions} keeps them (one map entry per
 * session id): the first open session, and the rare others (an out-of-order gap left two sessions of the id
 * open).
 *
 * <p>A session id has one open session nearly always. The entry is a map view's value: read only when the
 * shopper's function asks for that session id (on the heap state backend the object itself, unconverted; a value
 * state would be converted, hashed and compared on every call of the function, whatever the call does).
 *
 * <p>A state POJO (public fields, no-argument constructor). It holds its sessions rather than extending {@link
 * Session}: Flink's type extraction rejects a structured type with a field of its own superclass.
 */
public class SessionState {
    /** The session id's first open session. */
    public Session first;

    /** The session id's further open sessions, in their order; null when it has only the first (nearly always). */
    public Session[] others;

    public SessionState() {}

    /** The session id's open sessions, in their order: the first, then the others; {@link #store} keeps them. */
    public List<Session> load() {
        List<Session> sessions = new ArrayList<>(others == null ? 1 : 1 + others.length);
        if (first != null) {
            sessions.add(first);
        }
        if (others != null) {
            sessions.addAll(Arrays.asList(others));
        }
        return sessions;
    }

    /**
     * Keeps {@code sessions} (as {@link #load} returned them, then changed by the rule) in this state.
     *
     * @return false when no session is left open: the caller then removes the entry
     */
    public boolean store(List<Session> sessions) {
        first = sessions.isEmpty() ? null : sessions.get(0);
        others = sessions.size() > 1 ? sessions.subList(1, sessions.size()).toArray(new Session[0]) : null;
        return first != null;
    }

    /** The earliest max timestamp of the open sessions: when the next of them can end (Long.MAX_VALUE: none). */
    long earliestMaxTimestamp() {
        long earliest = first == null ? Long.MAX_VALUE : first.maxTimestamp();
        if (others != null) {
            for (Session session : others) {
                earliest = Math.min(earliest, session.maxTimestamp());
            }
        }
        return earliest;
    }
}
