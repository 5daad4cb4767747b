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
    void expired_lists_only_the_sessions_past_their_ttl() {
        Map<String, Long> written = new LinkedHashMap<>();
        written.put("old", 1_000L);
        written.put("edge", 2_000L);
        written.put("fresh", 2_500L);
        assertEquals(List.of("old", "edge"), expiry.expired(written.entrySet(), 3_000));
        assertEquals(List.of(), expiry.expired(null, 3_000));
    }

    @Test
    void the_cleanup_follows_a_ttl_later_unless_past_the_end_of_event_time() {
        assertEquals(6_000L, expiry.cleanupAfter(5_000));
        // the bounded job's final watermark (Long.MAX_VALUE) fires every timer: nothing can follow it
        assertNull(expiry.cleanupAfter(Long.MAX_VALUE));
        assertNull(expiry.cleanupAfter(Long.MAX_VALUE - TTL));
    }
}
