package dev.kappa.flink.sessions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.flink.table.api.dataview.MapView;
import org.junit.jupiter.api.Test;

/** The session summaries' state layout: the open sessions in a map view, by position. */
class OpenSessionsTest {
    private static final long GAP = 1_000;

    /**
     * A map view that refuses what would open an iterator on RocksDB (iterating, emptiness, clearing): the layout
     * is read and written by point lookups only. {@code getMap()} stays open to the assertions.
     */
    private static final class PointLookupsOnly extends MapView<Integer, Session> {
        int lookups;

        @Override
        public Session get(Integer position) throws Exception {
            lookups++;
            return super.get(position);
        }

        @Override
        public Iterable<Map.Entry<Integer, Session>> entries() {
            throw new AssertionError("iterates the view");
        }

        @Override
        public Iterable<Integer> keys() {
            throw new AssertionError("iterates the view");
        }

        @Override
        public Iterable<Session> values() {
            throw new AssertionError("iterates the view");
        }

        @Override
        public Iterator<Map.Entry<Integer, Session>> iterator() {
            throw new AssertionError("iterates the view");
        }

        @Override
        public boolean isEmpty() {
            throw new AssertionError("asks the view whether it is empty");
        }

        @Override
        public void clear() {
            throw new AssertionError("clears the view");
        }
    }

    private final PointLookupsOnly sessions = new PointLookupsOnly();

    private static SessionEvent view(long ts) {
        return SessionEvent.of(SessionEvent.PAGE_VIEW, ts);
    }

    private List<Session> addAndStore(long ts) throws Exception {
        List<Session> open = OpenSessions.load(sessions);
        int loaded = open.size();
        new SessionWindows(GAP, open).add(view(ts), Long.MIN_VALUE);
        OpenSessions.store(sessions, loaded, open);
        return open;
    }

    @Test
    void a_key_without_state_has_no_open_session_and_storing_none_writes_nothing() throws Exception {
        List<Session> open = OpenSessions.load(sessions);
        assertTrue(open.isEmpty());
        OpenSessions.store(sessions, 0, open);
        assertTrue(sessions.getMap().isEmpty());
    }

    @Test
    void one_open_session_is_position_0_and_loads_as_the_stored_object() throws Exception {
        // GIVEN two events of one session
        addAndStore(0);
        addAndStore(400);
        // THEN the view holds one session of both events
        assertEquals(1, sessions.getMap().size());
        Session stored = sessions.get(0);
        assertEquals(2, stored.events);
        assertEquals(400, stored.endedAtMs);
        // AND loading gives that object, which the rule then changes in place (and store writes back), in one
        // lookup: no lookup of a position that is not there
        sessions.lookups = 0;
        assertSame(stored, OpenSessions.load(sessions).get(0));
        assertEquals(1, sessions.lookups);
    }

    @Test
    void a_second_open_session_is_position_1_in_the_rules_order() throws Exception {
        // GIVEN an event more than a gap after the first session (an out-of-order gap stays open)
        addAndStore(5_000);
        addAndStore(0);
        // THEN both are kept, in the order the rule keeps them (the order they opened in), and load that way
        assertEquals(5_000, sessions.get(0).startedAtMs);
        assertEquals(0, sessions.get(1).startedAtMs);
        sessions.lookups = 0;
        List<Session> open = OpenSessions.load(sessions);
        assertEquals(List.of(5_000L, 0L), List.of(open.get(0).startedAtMs, open.get(1).startedAtMs));
        assertEquals(2, sessions.lookups);
        assertTrue(open.get(0).followed);
        assertFalse(open.get(1).followed);
    }

    @Test
    void a_merge_leaves_one_session_and_removes_the_stale_position() throws Exception {
        // GIVEN sessions [0, 1000) and [1500, 2500)
        addAndStore(0);
        addAndStore(1_500);
        // WHEN an event at 800 touches both
        addAndStore(800);
        // THEN one session of three events, and nothing at position 1
        assertEquals(1, sessions.getMap().size());
        assertEquals(3, sessions.get(0).events);
        assertFalse(sessions.get(0).followed);
        assertEquals(1_500, sessions.get(0).endedAtMs);
        assertNull(sessions.get(1));
    }

    @Test
    void when_the_first_session_fires_the_next_one_moves_to_position_0() throws Exception {
        // GIVEN sessions [0, 1000) and [5000, 6000)
        addAndStore(0);
        addAndStore(5_000);
        // WHEN the watermark reaches the first one's max timestamp
        List<Session> open = OpenSessions.load(sessions);
        List<Session> fired = SessionWindows.fire(open, 999);
        // THEN the first is emitted and the second is stored at position 0
        assertEquals(1, fired.size());
        assertEquals(0, fired.get(0).startedAtMs);
        OpenSessions.store(sessions, 2, open);
        assertEquals(1, sessions.getMap().size());
        assertEquals(5_000, sessions.get(0).startedAtMs);
        assertFalse(sessions.get(0).followed);
        // AND when it fires too, storing removes the last position: the key has no state left
        open = OpenSessions.load(sessions);
        assertEquals(1, SessionWindows.fire(open, 5_999).size());
        OpenSessions.store(sessions, 1, open);
        assertTrue(sessions.getMap().isEmpty());
    }
}
