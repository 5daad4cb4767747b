package dev.kappa.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CartSessionWindowsTest {
    private static final long GAP = 30;
    private static final long NO_WATERMARK = Long.MIN_VALUE;
    private final CartSessionWindows rule = new CartSessionWindows(GAP);

    private static CartChange add(long at, String product) {
        return new CartChange(at, "add_to_cart", product, at + ",a," + product);
    }

    private static CartChange purchase(long at) {
        return new CartChange(at, "purchase", null, at + ",p");
    }

    @Test
    void a_change_opens_the_window_from_its_time_to_time_plus_gap() {
        // GIVEN no window WHEN a change at 100 arrives
        List<CartWindow> windows = new ArrayList<>();
        CartWindow window = rule.add(windows, add(100, "p1"), NO_WATERMARK);
        // THEN its window is [100, 130), due at 129 (SESSION_ROWTIME = end - 1)
        assertEquals(100, window.start);
        assertEquals(130, window.end);
        assertEquals(129, window.maxTimestamp());
        assertEquals(List.of(window), windows);
        assertEquals("p1", window.cartedText());
        assertEquals(100L, window.lastAddMs);
        assertNull(window.lastPurchaseMs);
    }

    @Test
    void a_change_exactly_gap_after_the_last_one_merges_touching_windows() {
        // GIVEN a window [100, 130) WHEN a change at 130 arrives (window [130, 160) touches it)
        List<CartWindow> windows = new ArrayList<>();
        rule.add(windows, add(100, "p1"), NO_WATERMARK);
        CartWindow merged = rule.add(windows, purchase(130), NO_WATERMARK);
        // THEN one window [100, 160) holds both
        assertEquals(1, windows.size());
        assertEquals(100, merged.start);
        assertEquals(160, merged.end);
        assertEquals(130, merged.lastChangeMs);
        assertEquals("100,a,p1;130,p", merged.changesText());
        assertEquals(100L, merged.lastAddMs);
        assertEquals(130L, merged.lastPurchaseMs);
    }

    @Test
    void a_change_more_than_gap_after_opens_a_new_window() {
        List<CartWindow> windows = new ArrayList<>();
        rule.add(windows, add(100, "p1"), NO_WATERMARK);
        rule.add(windows, add(131, "p2"), NO_WATERMARK);
        assertEquals(2, windows.size());
        assertEquals(100, windows.get(0).start);
        assertEquals(131, windows.get(1).start);
    }

    @Test
    void an_out_of_order_change_bridging_two_windows_merges_all_three() {
        // GIVEN windows [100, 130) and [150, 180)
        List<CartWindow> windows = new ArrayList<>();
        rule.add(windows, add(100, "p1"), NO_WATERMARK);
        rule.add(windows, add(150, "p2"), NO_WATERMARK);
        // WHEN a change at 125 arrives (its [125, 155) intersects both)
        CartWindow merged = rule.add(windows, add(125, "p1"), NO_WATERMARK);
        // THEN one window [100, 180), products distinct
        assertEquals(1, windows.size());
        assertEquals(100, merged.start);
        assertEquals(180, merged.end);
        assertEquals(150, merged.lastChangeMs);
        assertEquals(List.of("p1", "p2"), merged.carted);
        assertEquals(3, merged.changes.size());
    }

    @Test
    void an_earlier_change_keeps_windows_sorted_by_start() {
        List<CartWindow> windows = new ArrayList<>();
        rule.add(windows, add(200, "p1"), NO_WATERMARK);
        rule.add(windows, add(100, "p2"), NO_WATERMARK);
        assertEquals(100, windows.get(0).start);
        assertEquals(200, windows.get(1).start);
    }

    @Test
    void a_change_whose_window_is_already_late_is_dropped() {
        // GIVEN the watermark at 129 WHEN a change at 100 arrives: its window [100, 130) fires at 129
        List<CartWindow> windows = new ArrayList<>();
        assertNull(rule.add(windows, add(100, "p1"), 129));
        assertTrue(windows.isEmpty());
        // a change at 100 with the watermark at 128 is still in time
        assertEquals(129, rule.add(windows, add(100, "p1"), 128).maxTimestamp());
    }

    @Test
    void a_window_fires_when_the_watermark_reaches_its_last_millisecond() {
        List<CartWindow> windows = new ArrayList<>();
        rule.add(windows, add(100, "p1"), NO_WATERMARK);
        rule.add(windows, add(200, "p2"), NO_WATERMARK);
        assertTrue(rule.fire(windows, 128).isEmpty());
        List<CartWindow> fired = rule.fire(windows, 129);
        assertEquals(1, fired.size());
        assertEquals(100, fired.get(0).start);
        assertEquals(1, windows.size());
    }

    @Test
    void a_window_without_adds_has_no_carted_products() {
        List<CartWindow> windows = new ArrayList<>();
        CartWindow window = rule.add(windows, purchase(100), NO_WATERMARK);
        assertNull(window.cartedText());
        assertNull(window.lastAddMs);
    }

    @Test
    void the_gap_must_be_positive() {
        assertThrows(IllegalArgumentException.class, () -> new CartSessionWindows(0));
    }

    @Test
    void extending_a_window_makes_it_due_at_a_new_time() {
        // GIVEN a window [100, 130), due at 129
        List<CartWindow> windows = new ArrayList<>();
        rule.add(windows, add(100, "p1"), NO_WATERMARK);
        long[] before = CartSessionWindows.dueTimes(windows);
        assertArrayEquals(new long[] {129}, before);
        // WHEN a change at 110 extends it to [100, 140)
        CartWindow window = rule.add(windows, add(110, "p2"), NO_WATERMARK);
        // THEN it is due at 139, a time it was not due at before
        assertEquals(139, window.maxTimestamp());
        assertFalse(CartSessionWindows.contains(before, window.maxTimestamp()));
    }

    @Test
    void a_change_inside_a_window_that_does_not_move_its_end_keeps_its_due_time() {
        // GIVEN a window [100, 150) (changes at 100 and 120)
        List<CartWindow> windows = new ArrayList<>();
        rule.add(windows, add(100, "p1"), NO_WATERMARK);
        rule.add(windows, add(120, "p2"), NO_WATERMARK);
        long[] before = CartSessionWindows.dueTimes(windows);
        // WHEN a change at 105 (its window [105, 135) inside) arrives
        CartWindow window = rule.add(windows, purchase(105), NO_WATERMARK);
        // THEN the window is still due at 149, a time it was due at before
        assertEquals(149, window.maxTimestamp());
        assertTrue(CartSessionWindows.contains(before, window.maxTimestamp()));
    }

    @Test
    void a_merge_is_due_at_the_later_window_s_time() {
        // GIVEN windows [100, 130) and [140, 170)
        List<CartWindow> windows = new ArrayList<>();
        rule.add(windows, add(100, "p1"), NO_WATERMARK);
        rule.add(windows, add(140, "p2"), NO_WATERMARK);
        long[] before = CartSessionWindows.dueTimes(windows);
        assertArrayEquals(new long[] {129, 169}, before);
        // WHEN a change at 125 (its window [125, 155) intersects both) merges them into [100, 170)
        CartWindow window = rule.add(windows, add(125, "p3"), NO_WATERMARK);
        // THEN the one window left is due at 169, which was the second's
        assertEquals(1, windows.size());
        assertTrue(CartSessionWindows.contains(before, window.maxTimestamp()));
        assertArrayEquals(new long[] {169}, CartSessionWindows.dueTimes(windows));
    }

    @Test
    void two_windows_due_before_one_time_fire_together_at_it() {
        List<CartWindow> windows = new ArrayList<>();
        rule.add(windows, add(100, "p1"), NO_WATERMARK);
        rule.add(windows, add(140, "p2"), NO_WATERMARK);
        assertEquals(0, rule.fire(windows, 128).size());
        assertEquals(2, rule.fire(windows, 169).size());
        assertTrue(windows.isEmpty());
    }
}
