package dev.kappa.flink.sessions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** One session id's open sessions as the shopper's map keeps them: the first, and the rare others in an array. */
class SessionStateTest {
    private static final long GAP = 1_000;

    private final SessionState state = new SessionState();

    private static SessionEvent view(long ts) {
        return SessionEvent.of(SessionEvent.PAGE_VIEW, ts);
    }

    /** What ShopperSessions does with an entry: load, the rule, store. */
    private void addAndStore(long ts) {
        List<Session> open = state.load();
        new SessionWindows(GAP, open).add(view(ts), Long.MIN_VALUE);
        state.store(open);
    }

    @Test
    void a_fresh_state_has_no_open_session() {
        // GIVEN the state of a session id never seen
        // THEN it loads as no session and never ends; storing none says the entry is to be removed
        List<Session> open = state.load();
        assertTrue(open.isEmpty());
        assertEquals(Long.MAX_VALUE, state.earliestMaxTimestamp());
        assertFalse(state.store(open));
    }

    @Test
    void one_open_session_is_the_first_without_others() {
        // GIVEN two events of one session
        addAndStore(0);
        addAndStore(400);
        // THEN the state holds one session, no others
        assertNull(state.others);
        assertEquals(2, state.first.events);
        assertEquals(400, state.first.endedAtMs);
        // AND loading gives that object, which the rule then changes in place
        List<Session> open = state.load();
        assertEquals(1, open.size());
        assertSame(state.first, open.get(0));
    }

    @Test
    void a_second_open_session_goes_to_the_others_in_order() {
        // GIVEN an event more than a gap after the first session (an out-of-order gap stays open)
        addAndStore(0);
        addAndStore(5_000);
        // THEN the first session is first, the second among the others
        assertEquals(1, state.others.length);
        assertEquals(0, state.first.startedAtMs);
        List<Session> open = state.load();
        assertEquals(2, open.size());
        assertEquals(5_000, open.get(1).startedAtMs);
        // AND the earliest end is the first one's
        assertEquals(999, state.earliestMaxTimestamp());
    }

    @Test
    void the_earliest_end_can_be_among_the_others() {
        // GIVEN a session at 5000, then an out-of-order one at 0 (kept after it)
        addAndStore(5_000);
        addAndStore(0);
        // THEN the earliest max timestamp is the second one's
        assertEquals(5_000, state.first.startedAtMs);
        assertEquals(999, state.earliestMaxTimestamp());
    }

    @Test
    void an_event_bridging_the_two_sessions_merges_them_and_drops_the_others() {
        // GIVEN sessions [0, 1000) and [1500, 2500)
        addAndStore(0);
        addAndStore(1_500);
        // WHEN an event at 800 touches both
        addAndStore(800);
        // THEN one session of three events
        assertNull(state.others);
        assertEquals(3, state.first.events);
        assertEquals(1_500, state.first.endedAtMs);
    }

    @Test
    void when_the_first_session_fires_the_next_one_becomes_the_first() {
        // GIVEN sessions [0, 1000) and [5000, 6000)
        addAndStore(0);
        addAndStore(5_000);
        // WHEN the watermark reaches the first one's max timestamp
        List<Session> open = state.load();
        List<Session> fired = SessionWindows.fire(open, 999);
        // THEN the first is emitted and the second is stored first
        assertEquals(1, fired.size());
        assertEquals(0, fired.get(0).startedAtMs);
        assertTrue(state.store(open));
        assertNull(state.others);
        assertEquals(5_000, state.first.startedAtMs);
        // AND the emitted session is untouched by that
        assertEquals(0, fired.get(0).startedAtMs);
        // AND when the second fires too, nothing is left: the caller removes the entry
        open = state.load();
        assertEquals(1, SessionWindows.fire(open, 5_999).size());
        assertFalse(state.store(open));
        assertNull(state.first);
    }
}
