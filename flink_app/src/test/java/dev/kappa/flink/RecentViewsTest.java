package dev.kappa.flink;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The shortcut past the viewed-sessions lookup: only an entry surely still visible under the TTL counts. */
class RecentViewsTest {
    private static final long TTL = 60_000;

    @Test
    void a_session_never_written_here_is_unknown() {
        RecentViews views = new RecentViews(TTL, 10);
        assertFalse(views.visible("u1", "s1", 0));
    }

    @Test
    void a_write_is_visible_until_the_ttl_minus_the_margin() {
        // GIVEN an entry written at or after 1000
        RecentViews views = new RecentViews(TTL, 10);
        views.written("u1", "s1", 1_000);
        // THEN it counts while now + margin < 1000 + ttl, and not from there on (Flink: expired at t + ttl <= now)
        assertTrue(views.visible("u1", "s1", 1_000 + TTL - RecentViews.MARGIN_MS - 1));
        assertFalse(views.visible("u1", "s1", 1_000 + TTL - RecentViews.MARGIN_MS));
        assertFalse(views.visible("u1", "s1", 1_000 + TTL));
    }

    @Test
    void a_later_write_refreshes_the_entry() {
        RecentViews views = new RecentViews(TTL, 10);
        views.written("u1", "s1", 0);
        views.written("u1", "s1", 50_000);
        assertTrue(views.visible("u1", "s1", 100_000));
    }

    @Test
    void entries_are_per_shopper_and_session() {
        RecentViews views = new RecentViews(TTL, 10);
        views.written("u1", "s1", 0);
        assertFalse(views.visible("u2", "s1", 0));
        assertFalse(views.visible("u1", "s2", 0));
        // not a plain concatenation: ("a", "bc") is not ("ab", "c")
        views.written("a", "bc", 0);
        assertFalse(views.visible("ab", "c", 0));
    }

    @Test
    void without_a_ttl_an_entry_stays_visible() {
        RecentViews views = new RecentViews(0, 10);
        views.written("u1", "s1", 0);
        assertTrue(views.visible("u1", "s1", Long.MAX_VALUE - RecentViews.MARGIN_MS));
    }

    @Test
    void the_least_recently_used_entry_goes_first_when_full() {
        // GIVEN room for two entries
        RecentViews views = new RecentViews(TTL, 2);
        views.written("u1", "s1", 0);
        views.written("u1", "s2", 0);
        // WHEN s1 is used, then a third is written
        assertTrue(views.visible("u1", "s1", 0));
        views.written("u1", "s3", 0);
        // THEN s2 is forgotten (a miss: the caller looks the state up, as without the shortcut)
        assertFalse(views.visible("u1", "s2", 0));
        assertTrue(views.visible("u1", "s1", 0));
        assertTrue(views.visible("u1", "s3", 0));
    }

    @Test
    void a_capacity_must_be_positive() {
        assertThrows(IllegalArgumentException.class, () -> new RecentViews(TTL, 0));
    }
}
