package dev.kappa.flink.trending;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A product's slides: the frames' sums, the history, and which slide starts a trend. */
class TrendHistoryTest {
    private static final long MINUTE = 60_000;
    private static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
    /** Trend window 10 minutes in 5-minute slides, baseline 30 minutes. */
    private static final TrendHistory.Frames FRAMES = new TrendHistory.Frames(10 * MINUTE, 5 * MINUTE, 30 * MINUTE);
    /** Trends at 2x its baseline with 4 views and 10 minutes of history. */
    private static final TrendingRule RULE = new TrendingRule(10, 30, 2.0, 4, 10);

    private final TrendHistory history = new TrendHistory();

    private TrendHistory.Slide slide(int minutesEnd, int views, int carts) {
        return history.add(T0 + minutesEnd * MINUTE, views, carts, FRAMES, RULE);
    }

    @Test
    void sums_the_slides_of_each_frame() {
        slide(5, 1, 0);
        slide(10, 2, 1);
        slide(15, 3, 0);
        TrendHistory.Slide at20 = slide(20, 4, 2);
        // trend window: the slides ending at 15 and 20; baseline: ending at 0..20 (25 minutes back, all here)
        assertEquals(7, at20.recent);
        assertEquals(2, at20.recentCarts);
        assertEquals(10, at20.baselineTotal);
        assertEquals(20 * MINUTE, at20.historyMs); // from the first slide's end, plus a slide
    }

    @Test
    void drops_slides_older_than_the_baseline_and_skips_missing_slides() {
        slide(5, 9, 0);
        TrendHistory.Slide at35 = slide(35, 1, 0); // the slide ending at 5 is 30 minutes back: outside (25 back)
        assertEquals(1, at35.baselineTotal);
        assertEquals(1, history.slideEnds.length);
        assertEquals(35 * MINUTE, at35.historyMs); // the history still counts from the first slide
        TrendHistory.Slide at45 = slide(45, 2, 0); // no slide ending at 40: the window holds 45 only
        assertEquals(2, at45.recent);
        assertEquals(3, at45.baselineTotal);
    }

    @Test
    void a_trend_starts_once_after_a_slide_that_did_not_trend() {
        assertFalse(slide(5, 1, 0).startsTrend);
        assertFalse(slide(10, 1, 0).startsTrend);
        TrendHistory.Slide burst = slide(15, 10, 0); // recent 11 against ~2 expected: above 2x
        assertTrue(burst.trending);
        assertTrue(burst.startsTrend);
        TrendHistory.Slide still = slide(20, 10, 0);
        assertTrue(still.trending);
        assertFalse(still.startsTrend); // the slide before trended
        assertFalse(slide(25, 0, 0).trending);
        assertTrue(slide(30, 30, 0).startsTrend); // a new trend after a slide that did not
    }

    @Test
    void a_products_first_slide_starts_nothing() {
        // however many views: its history is one slide, and no slide before it did not trend
        TrendHistory.Slide first = slide(10, 500, 0);
        assertEquals(5 * MINUTE, first.historyMs);
        assertFalse(first.startsTrend);
        assertEquals(1, history.slideEnds.length); // the next slide has one before it
    }

    @Test
    void frames_must_nest() {
        assertThrows(IllegalArgumentException.class, () -> new TrendHistory.Frames(5 * MINUTE, 10 * MINUTE, 30 * MINUTE));
        assertThrows(IllegalArgumentException.class, () -> new TrendHistory.Frames(10 * MINUTE, 5 * MINUTE, 5 * MINUTE));
    }
}
