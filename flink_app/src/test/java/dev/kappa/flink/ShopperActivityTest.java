package dev.kappa.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.api.dataview.ListView;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

/**
 * shopper_activity driven as Flink's PTF runtime drives it (PtfTestContext: timers fire in time order as the
 * watermark advances; a timer set at or behind the watermark is ignored), on in-memory list and map views.
 */
class ShopperActivityTest {
    private static final long GAP = 30;
    private static final long HISTORY = 1_000;
    private static final long VIEWED_TTL = 3_600_000;

    private ShopperActivity function = ShopperActivity.withArguments(GAP, HISTORY, VIEWED_TTL);
    private long viewedTtl = VIEWED_TTL;
    private final PtfTestContext ctx = new PtfTestContext();
    private final ListView<CartWindow> windows = new ListView<>();
    private final ListView<ShopperEvent> buffered = new ListView<>();
    private final MapView<String, Long> viewedSessions = new MapView<>();
    /** Each collected row's kind and rowtime (the time of the call that collected it). */
    private final List<String> out = new ArrayList<>();

    private final List<Row> rows = new ArrayList<>();

    ShopperActivityTest() {
        collectFrom(function);
    }

    private void collectFrom(ShopperActivity activity) {
        activity.setCollector(
                new Collector<>() {
                    @Override
                    public void collect(Row row) {
                        rows.add(row);
                        out.add(row.getField(0) + "@" + ctx.time);
                    }

                    @Override
                    public void close() {}
                });
    }

    private void event(long at, String type, String product, Long watermark) throws Exception {
        event(at, type, product, watermark, "s1");
    }

    private void event(long at, String type, String product, Long watermark, String sessionId) throws Exception {
        Row input = Row.withNames();
        input.setField("event_type", type);
        input.setField("session_id", sessionId);
        input.setField("event_id", type + "-" + at);
        input.setField("product_id", product);
        input.setField("line", "product_view".equals(type) ? null : at + "," + type + "," + product);
        ctx.time = at;
        ctx.watermark = watermark;
        ctx.currentTimer = null;
        function.eval(ctx, windows, buffered, viewedSessions, input, GAP, HISTORY, viewedTtl);
    }

    private void advanceWatermark(long watermark) throws Exception {
        ctx.watermark = watermark;
        for (PtfTestContext.Due due = ctx.nextDue(watermark); due != null; due = ctx.nextDue(watermark)) {
            ctx.time = due.time();
            ctx.currentTimer = due.name();
            function.onTimer(ctx, windows, buffered, viewedSessions);
        }
    }

    @Test
    void two_cart_windows_due_under_one_watermark_step_fire_each_at_its_own_end() throws Exception {
        // GIVEN a shopper's two cart windows, [100, 130) and [200, 230)
        event(100, "add_to_cart", "p1", 0L);
        event(200, "add_to_cart", "p2", 0L);
        // WHEN the watermark passes both ends at once (the end of a bounded input, a source catching up)
        advanceWatermark(Long.MAX_VALUE);
        // THEN both fire, each at its end - 1 (the rowtime the co-cart pairs take), after the triggers of its time
        assertEquals(List.of("trigger@100", "window@129", "trigger@200", "window@229"), out);
        assertTrue(windows.get() == null || !windows.get().iterator().hasNext());
    }

    @Test
    void an_extended_window_fires_once_at_its_new_end() throws Exception {
        // GIVEN a window [100, 130) extended by a change at 120 to [100, 150)
        event(100, "add_to_cart", "p1", 0L);
        event(120, "remove_from_cart", "p1", 0L);
        // WHEN the watermark passes its old end, then its new one
        advanceWatermark(140);
        assertEquals(List.of("trigger@100"), out);
        advanceWatermark(1_000);
        // THEN it fired once, at 149, with both changes
        assertEquals(List.of("trigger@100", "window@149"), out);
        Row window = rows.get(1);
        assertEquals("100,add_to_cart,p1;120,remove_from_cart,p1", window.getField(8));
    }

    @Test
    void a_first_view_is_a_trigger_with_the_cart_history_at_its_time() throws Exception {
        // GIVEN an add at 100, then the session's first and second views at 110 and 115
        event(100, "add_to_cart", "p1", 0L);
        event(110, "product_view", "p2", 0L);
        advanceWatermark(112);
        event(115, "product_view", "p3", 112L);
        advanceWatermark(1_000);
        // THEN the first view is a trigger carrying the add's line, the second is not, and the window fires
        assertEquals(List.of("trigger@100", "trigger@110", "window@129"), out);
        assertEquals("p2", rows.get(1).getField(4));
        assertEquals("100,add_to_cart,p1", rows.get(1).getField(6));
    }

    /** A session's view at {@code at}, then the watermark to it (the view's turn to be processed). */
    private void view(long at, String sessionId) throws Exception {
        event(at, "product_view", "p1", ctx.watermark, sessionId);
        advanceWatermark(at);
    }

    private Long sweep() {
        return ctx.namedTimers.get(ShopperActivity.VIEWED_CLEANUP);
    }

    @Test
    void a_quiet_shoppers_sweeps_back_off_while_the_marks_stay() throws Exception {
        // GIVEN a session's first view at 100 (its mark lives an hour of processing time: longer than this test)
        ctx.watermark = 0L;
        view(100, "s1");
        long first = sweep();
        ViewedSessionExpiryTest.assertWait(VIEWED_TTL, first - 100);
        // WHEN another session's first view comes: the pending sweep stays where it is
        view(200, "s2");
        assertEquals(first, sweep());
        // WHEN event time runs past that sweep and the next (a replay: the clock has not moved a TTL)
        advanceWatermark(first);
        long second = sweep();
        advanceWatermark(second);
        long third = sweep();
        // THEN each sweep waited twice as long as the one before, and the marks are still there
        ViewedSessionExpiryTest.assertWait(2 * VIEWED_TTL, second - first);
        ViewedSessionExpiryTest.assertWait(4 * VIEWED_TTL, third - second);
        assertTrue(viewedSessions.contains("s1") && viewedSessions.contains("s2"));
    }

    @Test
    void a_sweep_that_removes_the_last_mark_sets_none_and_the_next_first_mark_sets_one() throws Exception {
        // GIVEN marks that expire after 1 ms of processing time, and a session's first view at 100
        viewedTtl = 1;
        function = ShopperActivity.withArguments(GAP, HISTORY, viewedTtl);
        collectFrom(function);
        ctx.watermark = 0L;
        view(100, "s1");
        long sweepAt = sweep();
        assertTrue(viewedSessions.contains("s1"));
        // WHEN the sweep fires after the mark expired (2 ms of processing time later)
        long until = System.currentTimeMillis() + 2;
        while (System.currentTimeMillis() < until) {
            Thread.onSpinWait();
        }
        advanceWatermark(sweepAt);
        // THEN the mark is gone and no sweep is pending: the map keeps nothing
        assertTrue(viewedSessions.isEmpty());
        assertNull(sweep());
        // WHEN a later session's first view comes THEN it sets a sweep again
        view(sweepAt + 10, "s2");
        ViewedSessionExpiryTest.assertWait(1, sweep() - (sweepAt + 10));
    }
}
