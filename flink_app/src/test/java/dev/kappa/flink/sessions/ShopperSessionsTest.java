package dev.kappa.flink.sessions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.api.dataview.MapView;
import org.junit.jupiter.api.Test;

/** A shopper's sessions by session id: the session window rule per id, and the one lazy timer that ends them. */
class ShopperSessionsTest {
    private static final long GAP = 1_000;
    private static final long NO_WATERMARK = Long.MIN_VALUE;

    private final MapView<String, SessionState> bySessionId = new MapView<>();
    private final ShopperSessions sessions = new ShopperSessions(GAP, bySessionId);

    private static SessionEvent view(long ts) {
        return SessionEvent.of(SessionEvent.PAGE_VIEW, ts);
    }

    private static List<String> described(List<EndedSession> ended) {
        List<String> text = new ArrayList<>();
        for (EndedSession e : ended) {
            text.add(e.sessionId + "@" + e.session.startedAtMs + "-" + e.session.endedAtMs + "x" + e.session.events);
        }
        return text;
    }

    @Test
    void the_sessions_of_two_ids_are_apart_even_when_their_events_interleave() throws Exception {
        // GIVEN events of sessions a and b, 100 ms apart, alternating
        sessions.add("a", view(0), NO_WATERMARK);
        sessions.add("b", view(100), NO_WATERMARK);
        sessions.add("a", view(200), NO_WATERMARK);
        sessions.add("b", SessionEvent.cartAdd(300, 2, 150, "EUR"), NO_WATERMARK);
        // WHEN the watermark passes both
        List<EndedSession> ended = sessions.end(5_000);
        // THEN each id has its own session with its own events, earliest start first
        assertEquals(List.of("a@0-200x2", "b@100-300x2"), described(ended));
        assertEquals(300, ended.get(1).session.cartValueCents);
        assertEquals(0, ended.get(0).session.cartAdds);
        // AND nothing is left open: no timer is needed
        assertTrue(bySessionId.isEmpty());
        assertNull(sessions.earliestEnd());
    }

    @Test
    void only_an_event_that_opens_a_session_asks_for_the_timer_at_the_earliest_open_end() throws Exception {
        // GIVEN a first event: a new session [0, 1000)
        assertEquals(999L, sessions.add("a", view(0), NO_WATERMARK));
        // WHEN an event extends it, THEN the timer stays where it is (before the session's new end)
        assertNull(sessions.add("a", view(500), NO_WATERMARK));
        // WHEN another id opens a session ending later, THEN the timer goes to the earliest end of all: a's
        assertEquals(1_499L, sessions.add("b", view(800), NO_WATERMARK));
        // WHEN an out-of-order event opens a session of a ending earlier than every other, THEN the timer goes there
        assertEquals(-1_001L, sessions.add("a", view(-2_000), NO_WATERMARK));
        assertEquals(-1_001L, sessions.earliestEnd());
    }

    @Test
    void a_timer_before_a_session_extended_since_ends_nothing_and_moves_to_its_new_end() throws Exception {
        // GIVEN a session opened at 0 (timer at 999), then extended to 900 (window [0, 1900))
        sessions.add("a", view(0), NO_WATERMARK);
        sessions.add("a", view(900), NO_WATERMARK);
        // WHEN the timer fires with the watermark at 999
        List<EndedSession> ended = sessions.end(999);
        // THEN nothing ends, and the next timer is the session's max timestamp
        assertTrue(ended.isEmpty());
        assertEquals(1_899L, sessions.earliestEnd());
        // AND when the watermark reaches it, the session of both events ends
        assertEquals(List.of("a@0-900x2"), described(sessions.end(1_899)));
    }

    @Test
    void a_watermark_ends_only_the_sessions_it_has_reached_and_keeps_the_others() throws Exception {
        // GIVEN a: [0, 1000) and [5000, 6000) (an out-of-order gap), b: [3000, 4000)
        sessions.add("a", view(0), NO_WATERMARK);
        sessions.add("a", view(5_000), NO_WATERMARK);
        sessions.add("b", view(3_000), NO_WATERMARK);
        // WHEN the watermark is at 3999
        List<EndedSession> ended = sessions.end(3_999);
        // THEN a's first session and b's end, by start
        assertEquals(List.of("a@0-0x1", "b@3000-3000x1"), described(ended));
        // AND the ended session of a keeps its values although a's entry now holds its later session
        assertEquals(0, ended.get(0).session.startedAtMs);
        assertEquals(5_000, bySessionId.get("a").first.startedAtMs);
        assertFalse(bySessionId.contains("b"));
        assertEquals(5_999L, sessions.earliestEnd());
    }

    @Test
    void an_event_that_would_open_a_session_already_late_is_dropped() throws Exception {
        // GIVEN the watermark at 2000
        // WHEN an event at 500 would open [500, 1500), whose max timestamp is behind the watermark
        Long timer = sessions.add("a", view(500), 2_000);
        // THEN it is dropped: no session, no timer
        assertNull(timer);
        assertTrue(bySessionId.isEmpty());
    }

    @Test
    void an_event_joining_an_open_session_is_never_late() throws Exception {
        // GIVEN an open session [0, 1000) and the watermark at 600
        sessions.add("a", view(0), NO_WATERMARK);
        // WHEN an event at 700 joins it
        assertNull(sessions.add("a", view(700), 600));
        // THEN it counts
        assertEquals(2, bySessionId.get("a").first.events);
    }

    @Test
    void an_event_bridging_two_open_sessions_of_its_id_merges_them() throws Exception {
        // GIVEN a: [0, 1000) and [1500, 2500)
        sessions.add("a", view(0), NO_WATERMARK);
        sessions.add("a", view(1_500), NO_WATERMARK);
        // WHEN an event at 800 touches both
        assertNull(sessions.add("a", view(800), NO_WATERMARK));
        // THEN one session of three events ends when the watermark reaches 2499
        assertTrue(sessions.end(2_498).isEmpty());
        assertEquals(List.of("a@0-1500x3"), described(sessions.end(2_499)));
    }

    @Test
    void the_gap_must_be_positive() {
        assertThrows(IllegalArgumentException.class, () -> new ShopperSessions(0, bySessionId));
    }
}
