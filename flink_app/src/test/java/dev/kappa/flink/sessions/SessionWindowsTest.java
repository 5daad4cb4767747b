package dev.kappa.flink.sessions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Flink's session window rule (merging, bridging, late events, firing) on one key's open sessions. */
class SessionWindowsTest {
    private static final long GAP = 1_000;
    private static final long NO_WATERMARK = Long.MIN_VALUE;

    private final List<Session> open = new ArrayList<>();
    private final SessionWindows windows = new SessionWindows(GAP, open);

    private static SessionEvent view(long ts) {
        return SessionEvent.of(SessionEvent.PAGE_VIEW, ts);
    }

    @Test
    void events_within_the_gap_form_one_session() {
        // GIVEN events 0, 400, 900 ms apart less than the gap
        // WHEN they are added
        windows.add(view(0), NO_WATERMARK);
        windows.add(view(400), NO_WATERMARK);
        windows.add(view(900), NO_WATERMARK);
        // THEN one session [0, 1900) with three events
        assertEquals(1, open.size());
        Session session = open.get(0);
        assertEquals(0, session.startedAtMs);
        assertEquals(900, session.endedAtMs);
        assertEquals(1_900, session.windowEndMs);
        assertEquals(1_899, session.maxTimestamp());
        assertEquals(3, session.events);
    }

    @Test
    void an_event_exactly_a_gap_after_the_last_joins_the_session_touching_windows_merge() {
        // GIVEN a session whose window is [0, 1000)
        windows.add(view(0), NO_WATERMARK);
        // WHEN an event at 1000 (window [1000, 2000), touching) arrives
        windows.add(view(1_000), NO_WATERMARK);
        // THEN it joins (TimeWindow.intersects: end >= other.start)
        assertEquals(1, open.size());
        assertEquals(2, open.get(0).events);
    }

    @Test
    void an_event_more_than_a_gap_after_the_last_starts_a_new_session() {
        windows.add(view(0), NO_WATERMARK);
        windows.add(view(1_001), NO_WATERMARK);
        assertEquals(2, open.size());
    }

    @Test
    void an_event_before_the_session_extends_its_start() {
        // GIVEN a session [500, 1500)
        windows.add(view(500), NO_WATERMARK);
        // WHEN an out-of-order event at 0 arrives (window [0, 1000) intersects)
        Session session = windows.add(view(0), NO_WATERMARK);
        // THEN the session starts at 0 and its window end stays 1500
        assertEquals(1, open.size());
        assertEquals(0, session.startedAtMs);
        assertEquals(500, session.endedAtMs);
        assertEquals(1_500, session.windowEndMs);
    }

    @Test
    void a_late_event_between_two_sessions_bridges_them_into_one() {
        // GIVEN two sessions [0, 1000) and [1500, 2500)
        windows.add(view(0), NO_WATERMARK);
        windows.add(SessionEvent.purchase(1_500, "USD", 999), NO_WATERMARK);
        assertEquals(2, open.size());
        // WHEN an out-of-order event at 700 arrives (window [700, 1700) intersects both)
        Session bridged = windows.add(SessionEvent.purchase(700, "EUR", 100), NO_WATERMARK);
        // THEN one session covering both, with every event's aggregates
        assertEquals(1, open.size());
        assertSame(bridged, open.get(0));
        assertEquals(0, bridged.startedAtMs);
        assertEquals(1_500, bridged.endedAtMs);
        assertEquals(2_500, bridged.windowEndMs);
        assertEquals(3, bridged.events);
        assertEquals(List.of("EUR,100", "USD,999"), sorted(bridged.orderAmounts));
    }

    @Test
    void a_session_fires_when_the_watermark_reaches_its_max_timestamp() {
        // GIVEN sessions [0, 1000) and [5000, 6000)
        windows.add(view(0), NO_WATERMARK);
        windows.add(view(5_000), NO_WATERMARK);
        // WHEN the watermark is one before the first's max timestamp, then at it
        assertTrue(SessionWindows.fire(open, 998).isEmpty());
        List<Session> fired = SessionWindows.fire(open, 999);
        // THEN only the first fires, and is no longer open
        assertEquals(1, fired.size());
        assertEquals(0, fired.get(0).startedAtMs);
        assertEquals(1, open.size());
        assertEquals(5_000, open.get(0).startedAtMs);
    }

    @Test
    void sessions_fired_together_come_earliest_first() {
        windows.add(view(5_000), NO_WATERMARK);
        windows.add(view(0), NO_WATERMARK);
        List<Session> fired = SessionWindows.fire(open, Long.MAX_VALUE);
        assertEquals(List.of(0L, 5_000L), List.of(fired.get(0).startedAtMs, fired.get(1).startedAtMs));
        assertTrue(open.isEmpty());
    }

    @Test
    void an_event_whose_new_window_is_already_late_is_dropped() {
        // GIVEN the watermark at 1999
        // WHEN an event at 1000 arrives: its window [1000, 2000) has max timestamp 1999 <= watermark
        Session session = windows.add(view(1_000), 1_999);
        // THEN it is dropped and no session opens
        assertNull(session);
        assertTrue(open.isEmpty());
    }

    @Test
    void an_event_whose_window_ends_after_the_watermark_is_kept_even_if_behind_it() {
        // GIVEN the watermark at 1998, an event at 1000 (max timestamp 1999 > 1998)
        Session session = windows.add(view(1_000), 1_998);
        assertEquals(1_000, session.startedAtMs);
    }

    @Test
    void a_late_event_that_joins_an_open_session_is_counted_in_it() {
        // GIVEN an open session [1500, 2500) and the watermark at 1600
        windows.add(view(1_500), NO_WATERMARK);
        // WHEN an event at 600 arrives: alone its window [600, 1600) would be late, merged it is [600, 2500)
        Session session = windows.add(view(600), 1_600);
        // THEN Flink merges first and checks the merged window: the event counts
        assertEquals(2, session.events);
        assertEquals(600, session.startedAtMs);
    }

    @Test
    void a_gap_that_is_not_positive_is_refused() {
        IllegalArgumentException error =
                assertThrows(IllegalArgumentException.class, () -> new SessionWindows(0, open));
        assertTrue(error.getMessage().contains("positive"));
    }

    private static List<String> sorted(String orderAmounts) {
        List<String> amounts = new ArrayList<>(List.of(orderAmounts.split(";")));
        amounts.sort(null);
        return amounts;
    }
}
