package dev.kappa.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ViewedSessionExpiryTest {
    private static final long TTL = 1_000;
    private final ViewedSessionExpiry expiry = new ViewedSessionExpiry(TTL);

    @Test
    void a_session_stays_marked_until_a_ttl_after_its_last_write() {
        // GIVEN a session written at 5,000 WHEN read before, at and after 6,000 THEN it is marked strictly before
        assertTrue(expiry.marked(5_000L, 5_000));
        assertTrue(expiry.marked(5_000L, 5_999));
        assertFalse(expiry.marked(5_000L, 6_000)); // Flink's TtlUtils: expired when ts + ttl <= now
        assertFalse(expiry.marked(5_000L, 7_000));
    }

    @Test
    void a_session_never_written_is_not_marked() {
        assertFalse(expiry.marked(null, 0));
        assertFalse(new ViewedSessionExpiry(0).marked(null, 0));
    }

    @Test
    void without_a_ttl_a_mark_never_expires_and_no_cleanup_is_set() {
        ViewedSessionExpiry forever = new ViewedSessionExpiry(0);
        assertFalse(forever.expires());
        assertTrue(forever.marked(5_000L, Long.MAX_VALUE));
        assertNull(forever.cleanupAfter(5_000));
    }

    @Test
    void the_expiration_saturates_instead_of_overflowing() {
        // GIVEN a write near the end of time WHEN its expiration is computed THEN it is Long.MAX_VALUE, not negative
        assertEquals(Long.MAX_VALUE, expiry.expiration(Long.MAX_VALUE - 10));
        assertTrue(expiry.marked(Long.MAX_VALUE - 10, Long.MAX_VALUE - 1));
        assertEquals(4_000, expiry.expiration(3_000));
    }

    @Test
    void a_sweep_lists_the_sessions_past_their_ttl_and_whether_any_stays() {
        Map<String, Long> written = new LinkedHashMap<>();
        written.put("old", 1_000L);
        written.put("edge", 2_000L);
        written.put("fresh", 2_500L);
        assertSweep(List.of("old", "edge"), true, expiry.sweep(written.entrySet(), 3_000));
        assertSweep(List.of("old", "edge", "fresh"), false, expiry.sweep(written.entrySet(), 3_500));
        assertSweep(List.of(), false, expiry.sweep(null, 3_000));
    }

    private static void assertSweep(List<String> expired, boolean anyMarked, ViewedSessionExpiry.Sweep sweep) {
        assertEquals(expired, sweep.expired());
        assertEquals(anyMarked, sweep.anyMarked());
    }

    @Test
    void the_first_sweep_follows_a_ttl_later_unless_past_the_end_of_event_time() {
        // the first slot (a multiple of 64 ms) at or after 5,000 + TTL, with no backoff
        assertEquals(6_016L, expiry.cleanupAfter(5_000));
        assertEquals(6_016L, expiry.cleanupAfter(5_016));
        assertEquals(0, ViewedSessionExpiry.backoffOf(expiry.cleanupAfter(5_000)));
        // the bounded job's final watermark (Long.MAX_VALUE) fires every timer: nothing can follow it
        assertNull(expiry.cleanupAfter(Long.MAX_VALUE));
        assertNull(expiry.cleanupAfter(Long.MAX_VALUE - TTL));
    }

    @Test
    void sweeps_that_remove_nothing_wait_twice_as_long_each_time_up_to_the_cap() {
        // GIVEN a replay: event time runs ahead of the clock, so no sweep finds an expired mark
        long at = expiry.cleanupAfter(0);
        long[] waits = new long[9];
        for (int sweep = 0; sweep < waits.length; sweep++) {
            // WHEN each sweep sets the next from its own time
            long next = expiry.cleanupAfterSweep(at, at, false);
            waits[sweep] = next - at;
            at = next;
        }
        // THEN the wait doubles from 2 TTLs to 64 and stays there (rounded up to a slot, plus the backoff)
        long[] expected = {2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 64_000, 64_000, 64_000};
        for (int sweep = 0; sweep < waits.length; sweep++) {
            assertWait(expected[sweep], waits[sweep]);
        }
        assertEquals(ViewedSessionExpiry.MAX_BACKOFF, ViewedSessionExpiry.backoffOf(at));
    }

    @Test
    void a_sweep_that_removes_marks_sets_the_next_one_ttl_later() {
        // GIVEN a sweep backed off three times WHEN it removes a mark THEN the next follows one TTL later
        long backedOff = 64_000 + 3;
        long next = expiry.cleanupAfterSweep(backedOff, backedOff, true);
        assertEquals(0, ViewedSessionExpiry.backoffOf(next));
        assertWait(TTL, next - backedOff);
        // and from the watermark when it is ahead of the sweep's time
        assertTrue(expiry.cleanupAfterSweep(backedOff, 100_000, false) >= 100_000 + 16 * TTL);
    }

    @Test
    void a_sweep_time_not_set_here_reads_as_at_most_the_cap() {
        assertEquals(ViewedSessionExpiry.MAX_BACKOFF, ViewedSessionExpiry.backoffOf(63));
        assertEquals(5, ViewedSessionExpiry.backoffOf(-59)); // floor modulo: -59 = -64 + 5
        assertNull(new ViewedSessionExpiry(Long.MAX_VALUE / 2).cleanupAfterSweep(0, 0, false));
    }

    /** A wait between sweeps: the doubled TTL, rounded up to a slot, plus the backoff the time carries. */
    static void assertWait(long expected, long actual) {
        assertTrue(actual >= expected && actual < expected + ViewedSessionExpiry.BACKOFF_SLOT_MS + ViewedSessionExpiry.MAX_BACKOFF,
                "expected a wait of " + expected + " ms (+ < 70 ms), got " + actual);
    }
}
