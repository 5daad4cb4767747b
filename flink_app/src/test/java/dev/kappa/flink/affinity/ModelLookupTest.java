package dev.kappa.flink.affinity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kappa.flink.PtfTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

class ModelLookupTest {
    private static final long UPDATE = 1_000;

    private final ModelLookup lookup = new ModelLookup();
    private final List<Row> out = new ArrayList<>();
    private final PtfTestContext ctx = new PtfTestContext();
    private final MapView<Long, ModelVersion> versions = new MapView<>();
    private final MapView<Long, WaitingTriggers> waiting = new MapView<>();

    ModelLookupTest() {
        lookup.setCollector(
                new Collector<>() {
                    @Override
                    public void collect(Row row) {
                        out.add(row);
                    }

                    @Override
                    public void close() {}
                });
    }

    private void trigger(long at, String eventId, Long watermark) throws Exception {
        Row row = Row.withNames();
        row.setField("user_id", "u1");
        row.setField("session_id", "s1");
        row.setField("event_id", eventId);
        row.setField("event_type", "add_to_cart");
        row.setField("ts_ms", at);
        row.setField("cart_history", null);
        row.setField("update_ms", UPDATE);
        ctx.time = at;
        ctx.watermark = watermark;
        lookup.eval(ctx, versions, waiting, row, null);
    }

    private void version(long versionMs, String neighbors, Long watermark) throws Exception {
        Row row = Row.withNames();
        row.setField("version_ms", versionMs);
        row.setField("neighbors", neighbors);
        row.setField("update_ms", UPDATE);
        ctx.time = ModelSlices.versionTime(versionMs);
        ctx.watermark = watermark;
        lookup.eval(ctx, versions, waiting, null, row);
    }

    /** Fires the recorded timers up to the watermark, in time order, as Flink's timer service does. */
    private void advanceWatermark(long watermark) throws Exception {
        ctx.watermark = watermark;
        for (PtfTestContext.Due due = ctx.nextDue(watermark); due != null; due = ctx.nextDue(watermark)) {
            ctx.time = due.time();
            ctx.currentTimer = due.name();
            lookup.onTimer(ctx, versions, waiting);
        }
    }

    private List<String> joined() {
        List<String> joined = new ArrayList<>();
        for (Row row : out) {
            joined.add(row.getField(2) + "@" + row.getField(7) + ":" + row.getField(6));
        }
        return joined;
    }

    @Test
    void a_trigger_joins_the_version_of_its_slice_from_its_first_millisecond_to_its_last() throws Exception {
        // GIVEN versions ending at 2000 (time 1999) and 3000 (time 2999)
        version(2_000, "b,1.0", 1_000L);
        version(3_000, "c,2.0", 2_000L);
        // WHEN triggers arrive at 2000 and 2999 (served by 2000: 1999 < t <= 2999) and at 3000 (served by 3000)
        trigger(2_000, "t1", 1_999L);
        trigger(2_999, "t2", 2_500L);
        trigger(3_000, "t3", 2_999L);
        // THEN each joins exactly the version the interval join would
        assertEquals(List.of("t1@2000:b,1.0", "t2@2000:b,1.0", "t3@3000:c,2.0"), joined());
        assertTrue(waiting.isEmpty());
    }

    @Test
    void a_trigger_without_a_version_that_can_still_come_joins_nothing_and_waits_for_nothing() throws Exception {
        // GIVEN no version for the slice of 2500, and the watermark past that version's time (1999)
        // WHEN a trigger at 2500 arrives
        trigger(2_500, "t1", 2_000L);
        // THEN no row and nothing kept
        assertTrue(out.isEmpty());
        assertTrue(waiting.isEmpty());
        assertTrue(ctx.timers.isEmpty());
    }

    @Test
    void a_trigger_before_its_version_waits_and_joins_it_when_it_arrives() throws Exception {
        // GIVEN a trigger at 2500 arriving while the watermark (1500) is before its version's time (1999)
        trigger(2_500, "t1", 1_500L);
        assertTrue(out.isEmpty());
        assertEquals(Set.of(1_999L), ctx.timers);
        // WHEN the version ending at 2000 arrives
        version(2_000, "b,1.0", 1_600L);
        // THEN the waiting trigger joins it and waits no more
        assertEquals(List.of("t1@2000:b,1.0"), joined());
        assertTrue(waiting.isEmpty());
    }

    @Test
    void a_waiting_trigger_whose_version_never_comes_is_dropped_when_the_watermark_reaches_its_time()
            throws Exception {
        trigger(2_500, "t1", 1_500L);
        // WHEN the watermark passes 1999 without the version
        advanceWatermark(2_000);
        // THEN the trigger is gone: a version arriving now (it cannot in the job) joins nothing
        assertTrue(waiting.isEmpty());
        version(2_000, "b,1.0", 2_000L);
        assertTrue(out.isEmpty());
    }

    @Test
    void a_version_is_kept_until_the_last_millisecond_it_serves() throws Exception {
        // GIVEN the version ending at 2000 (serves 2000..2999)
        version(2_000, "b,1.0", 1_000L);
        // WHEN the watermark reaches 2998, then 2999
        advanceWatermark(2_998);
        assertEquals(1, count(versions));
        advanceWatermark(2_999);
        // THEN it is removed at 2999 and nothing else is left
        assertEquals(0, count(versions));
        assertTrue(ctx.timers.isEmpty());
    }

    @Test
    void the_update_interval_must_be_positive() {
        assertThrows(IllegalArgumentException.class, () -> ModelSlices.servingVersion(10, 0));
        assertThrows(IllegalArgumentException.class, () -> ModelSlices.expiry(10, -1));
    }

    @Test
    void the_serving_version_is_the_interval_joins_for_negative_times_too() {
        // version_time < t <= version_time + update, version ends on multiples of the update
        assertEquals(0, ModelSlices.servingVersion(0, UPDATE));
        assertEquals(0, ModelSlices.servingVersion(999, UPDATE));
        assertEquals(-1_000, ModelSlices.servingVersion(-1, UPDATE));
        assertEquals(-1_000, ModelSlices.servingVersion(-1_000, UPDATE));
    }

    private static int count(MapView<Long, ?> view) throws Exception {
        int count = 0;
        for (Long ignored : view.keys()) {
            count++;
        }
        return count;
    }
}
