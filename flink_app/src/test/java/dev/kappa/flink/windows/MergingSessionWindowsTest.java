package dev.kappa.flink.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Flink's merging session window rule on a minimal window: the element times it holds, in merge order. */
class MergingSessionWindowsTest {
    private static final long GAP = 10;
    private static final long NO_WATERMARK = Long.MIN_VALUE;

    /** A window whose aggregate is its elements' times in the order the rule merged them. */
    static final class Times implements MergingSessionWindows.Window<Long, Times> {
        long start;
        long end;
        final List<Long> times = new ArrayList<>();

        static Times of(Long time, long gapMs) {
            Times window = new Times();
            window.start = time;
            window.end = time + gapMs;
            window.times.add(time);
            return window;
        }

        @Override
        public long windowStart() {
            return start;
        }

        @Override
        public long windowEnd() {
            return end;
        }

        @Override
        public void absorb(Times other) {
            start = Math.min(start, other.start);
            end = Math.max(end, other.end);
            times.addAll(other.times);
        }

        @Override
        public void add(Long time, long gapMs) {
            absorb(of(time, gapMs));
        }
    }

    private final MergingSessionWindows<Long, Times> rule = new MergingSessionWindows<>(GAP, t -> t, Times::of);
    private final List<Times> windows = new ArrayList<>();

    private Times add(long time, long watermark) {
        return rule.add(windows, time, watermark);
    }

    private List<Long> starts() {
        List<Long> starts = new ArrayList<>();
        for (Times window : windows) {
            starts.add(window.start);
        }
        return starts;
    }

    @Test
    void an_element_opens_its_own_window_from_its_time_to_time_plus_gap() {
        Times window = add(100, NO_WATERMARK);
        assertEquals(100, window.windowStart());
        assertEquals(110, window.windowEnd());
        assertEquals(109, window.maxTimestamp());
        assertEquals(List.of(window), windows);
    }

    @Test
    void touching_windows_merge_on_both_sides() {
        // GIVEN [100, 110) WHEN elements at 110 (touching after) and 90 (touching before) arrive
        add(100, NO_WATERMARK);
        add(110, NO_WATERMARK);
        Times window = add(90, NO_WATERMARK);
        // THEN one window [90, 120)
        assertEquals(1, windows.size());
        assertEquals(90, window.start);
        assertEquals(120, window.end);
    }

    @Test
    void one_millisecond_more_than_the_gap_opens_a_new_window() {
        add(100, NO_WATERMARK);
        add(111, NO_WATERMARK);
        assertEquals(List.of(100L, 111L), starts());
    }

    @Test
    void new_windows_are_kept_sorted_by_start() {
        add(300, NO_WATERMARK);
        add(100, NO_WATERMARK);
        add(200, NO_WATERMARK);
        assertEquals(List.of(100L, 200L, 300L), starts());
    }

    @Test
    void a_bridging_element_merges_the_windows_into_the_earliest_then_joins_it() {
        // GIVEN [100, 110), [115, 125), [200, 210)
        Times earliest = add(100, NO_WATERMARK);
        add(115, NO_WATERMARK);
        add(200, NO_WATERMARK);
        // WHEN an element at 108 arrives: [108, 118) intersects the first two
        Times merged = add(108, NO_WATERMARK);
        // THEN the earliest window absorbs the other, then the element; the third stays apart
        assertSame(earliest, merged);
        assertEquals(List.of(100L, 200L), starts());
        assertEquals(125, merged.end);
        assertEquals(List.of(100L, 115L, 108L), merged.times);
    }

    @Test
    void an_element_whose_own_window_is_late_is_dropped() {
        // GIVEN the watermark at 109 WHEN an element at 100 arrives: [100, 110) fires at 109
        assertNull(add(100, 109));
        assertTrue(windows.isEmpty());
        // one millisecond later it is still in time
        assertEquals(109, add(100, 108).maxTimestamp());
    }

    @Test
    void the_late_rule_applies_to_the_merged_window() {
        // GIVEN an open [100, 110) WHEN an element at 95 arrives with the watermark at 105
        add(100, NO_WATERMARK);
        Times window = add(95, 105);
        // THEN alone [95, 105) would be late; merged, [95, 110) is not: it counts
        assertEquals(List.of(100L, 95L), window.times);
        // AND when even the merged window is late (a window the watermark passed, not fired yet) it is dropped
        // ([96, 106) merged with [95, 110) is late at 109)
        assertNull(add(96, 109));
        assertEquals(List.of(100L, 95L), windows.get(0).times);
    }

    @Test
    void windows_fire_once_when_the_watermark_reaches_their_last_millisecond_earliest_first() {
        add(100, NO_WATERMARK);
        add(200, NO_WATERMARK);
        add(300, NO_WATERMARK);
        assertTrue(MergingSessionWindows.fire(windows, 108).isEmpty());
        List<Times> fired = MergingSessionWindows.fire(windows, 209);
        assertEquals(List.of(100L, 200L), List.of(fired.get(0).start, fired.get(1).start));
        assertEquals(List.of(300L), starts());
        assertTrue(MergingSessionWindows.fire(windows, 209).isEmpty());
    }

    @Test
    void firing_returns_windows_earliest_first_even_from_an_unsorted_list() {
        // GIVEN state kept in arrival order (as the session function's state was before the rule sorted it)
        windows.add(Times.of(300L, GAP));
        windows.add(Times.of(100L, GAP));
        List<Times> fired = MergingSessionWindows.fire(windows, Long.MAX_VALUE);
        assertEquals(List.of(100L, 300L), List.of(fired.get(0).start, fired.get(1).start));
        assertTrue(windows.isEmpty());
    }

    @Test
    void the_gap_must_be_positive() {
        IllegalArgumentException error = assertThrows(
                IllegalArgumentException.class, () -> new MergingSessionWindows<Long, Times>(0, t -> t, Times::of));
        assertTrue(error.getMessage().contains("positive"));
    }
}
