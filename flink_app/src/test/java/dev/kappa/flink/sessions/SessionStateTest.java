package dev.kappa.flink.sessions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.api.dataview.ListView;
import org.junit.jupiter.api.Test;

/** The session summaries' state layout: the first open session inline, the others in a list view. */
class SessionStateTest {
    private static final long GAP = 1_000;

    private final SessionState state = new SessionState();
    private final ListView<Session> others = new ListView<>();

    private static SessionEvent view(long ts) {
        return SessionEvent.of(SessionEvent.PAGE_VIEW, ts);
    }

    private List<Session> addAndStore(long ts) throws Exception {
        List<Session> open = state.load(others);
        new SessionWindows(GAP, open).add(view(ts), Long.MIN_VALUE);
        state.store(open, others);
        return open;
    }

    @Test
    void a_fresh_state_has_no_open_session() throws Exception {
        // GIVEN the state Flink creates for a key without state
        // THEN it loads as no session, and storing none says the state is to be cleared
        List<Session> open = state.load(others);
        assertTrue(open.isEmpty());
        assertFalse(state.store(open, others));
        assertFalse(state.open);
    }

    @Test
    void one_open_session_lives_inline_and_the_list_view_stays_empty() throws Exception {
        // GIVEN two events of one session
        addAndStore(0);
        addAndStore(400);
        // THEN the state holds the session itself; the list view is not used
        assertTrue(state.open);
        assertFalse(state.more);
        assertEquals(2, state.events);
        assertEquals(400, state.endedAtMs);
        assertFalse(others.get().iterator().hasNext());
        // AND loading gives the state object, which the rule then changes in place
        List<Session> open = state.load(others);
        assertEquals(1, open.size());
        assertSame(state, open.get(0));
    }

    @Test
    void a_second_open_session_goes_to_the_list_view_in_order() throws Exception {
        // GIVEN an event more than a gap after the first session (an out-of-order gap stays open)
        addAndStore(0);
        addAndStore(5_000);
        // THEN the first session is inline, the second in the list view
        assertTrue(state.more);
        assertEquals(0, state.startedAtMs);
        List<Session> open = state.load(others);
        assertEquals(2, open.size());
        assertEquals(5_000, open.get(1).startedAtMs);
    }

    @Test
    void an_event_bridging_the_two_sessions_merges_them_inline_and_empties_the_list_view() throws Exception {
        // GIVEN sessions [0, 1000) and [1500, 2500)
        addAndStore(0);
        addAndStore(1_500);
        // WHEN an event at 800 touches both
        addAndStore(800);
        // THEN one session of three events, inline
        assertFalse(state.more);
        assertEquals(3, state.events);
        assertEquals(1_500, state.endedAtMs);
        assertFalse(others.get().iterator().hasNext());
    }

    @Test
    void when_the_first_session_fires_the_next_one_moves_inline() throws Exception {
        // GIVEN sessions [0, 1000) and [5000, 6000)
        addAndStore(0);
        addAndStore(5_000);
        // WHEN the watermark reaches the first one's max timestamp
        List<Session> open = state.load(others);
        List<Session> fired = SessionWindows.fire(open, 999);
        // THEN the first is emitted and the second is stored inline
        assertEquals(1, fired.size());
        assertEquals(0, fired.get(0).startedAtMs);
        assertTrue(state.store(open, others));
        assertTrue(state.open);
        assertFalse(state.more);
        assertEquals(5_000, state.startedAtMs);
        assertEquals(1, state.events);
        // AND when it fires too, nothing is left: the caller clears the state
        open = state.load(others);
        assertEquals(1, SessionWindows.fire(open, 5_999).size());
        assertFalse(state.store(open, others));
    }

    @Test
    void set_copies_every_field_of_a_session() throws Exception {
        // GIVEN a session whose every field differs from a fresh one
        Session source = Session.of(SessionEvent.cartAdd(7, 2, 150, "EUR"), GAP);
        source.add(SessionEvent.purchase(9, "EUR", 300), GAP);
        for (Field field : Session.class.getDeclaredFields()) {
            if (!Modifier.isStatic(field.getModifiers()) && field.getType() == long.class) {
                field.setLong(source, field.getLong(source) + 1_000 + field.getName().length());
            }
        }
        // WHEN a state copies it
        state.set(source);
        // THEN every field of Session is copied (a field added to Session must be added to set)
        List<String> differing = new ArrayList<>();
        for (Field field : Session.class.getDeclaredFields()) {
            if (!Modifier.isStatic(field.getModifiers())
                    && !java.util.Objects.equals(field.get(source), field.get(state))) {
                differing.add(field.getName());
            }
        }
        assertEquals(List.of(), differing);
    }
}
