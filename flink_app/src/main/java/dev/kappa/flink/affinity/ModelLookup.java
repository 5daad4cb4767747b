package dev.kappa.flink.affinity;

import dev.kappa.flink.time.Watermarks;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.types.Row;

/**
 * {@code model_lookup}: each recommendation trigger joined with the model version of its update slice, per
 * product (both tables PARTITION BY product_id). It replaces the interval join
 * {@code t.ts > m.version_time AND t.ts <= m.version_time + update} of the same two tables, with the same
 * matches ({@link ModelSlices}: one version serves a trigger, found by a point lookup).
 *
 * <p>The interval join kept both sides in map states keyed by time and, for every row, iterated the other side's
 * map and the expired rows of its own; on RocksDB (what Managed Flink runs) each iteration opens an iterator and
 * seeks. Here a trigger costs one lookup: {@code versions} holds a product's versions keyed by their expiry (the
 * last millisecond they serve), written once per version and removed by the event-time timer at that key. A
 * trigger whose version has not arrived yet waits in {@code waiting} (keyed by the version's time) while the
 * watermark is before that time; a version never arrives after the watermark passed its time (its row is emitted
 * by {@code affinity_versions} on a timer at that time, ahead of the watermark), so the timer at that key drops
 * the trigger then, as the interval join found no match for it. Both inputs' rows are on time here (each is
 * emitted on its upstream operator's timer ahead of the watermark that fired it); a late trigger would still
 * join a version in state, as the interval join joined a late row with what it still held.
 *
 * <p>The update interval is a column of both inputs ({@code update_ms}, a constant of the SQL), not a scalar
 * argument: Flink 2.2 refuses scalar arguments beside several table arguments. Keying both states by their
 * timer's time lets onTimer, which receives no row, remove them without it.
 */
@DataTypeHint(
        "ROW<user_id STRING, session_id STRING, event_id STRING, event_type STRING, ts_ms BIGINT, "
                + "cart_history STRING, neighbors STRING, version_ms BIGINT>")
public class ModelLookup extends ProcessTableFunction<Row> {
    private static final long serialVersionUID = 1L;

    /** A trigger's columns the insight function reads (the product is the partition key). */
    public static class TriggerRow {
        public String userId;
        public String sessionId;
        public String eventId;
        public String eventType;
        public long tsMs;
        public String cartHistory;

        public TriggerRow() {}

        static TriggerRow of(Row trigger) {
            TriggerRow row = new TriggerRow();
            row.userId = trigger.getFieldAs("user_id");
            row.sessionId = trigger.getFieldAs("session_id");
            row.eventId = trigger.getFieldAs("event_id");
            row.eventType = trigger.getFieldAs("event_type");
            row.tsMs = trigger.<Long>getFieldAs("ts_ms");
            row.cartHistory = trigger.getFieldAs("cart_history");
            return row;
        }
    }

    public void eval(
            Context ctx,
            @StateHint(ttl = "0") MapView<Long, ModelVersion> versions,
            @StateHint(ttl = "0") MapView<Long, WaitingTriggers> waiting,
            @ArgumentHint({ArgumentTrait.SET_SEMANTIC_TABLE, ArgumentTrait.REQUIRE_ON_TIME}) Row triggers,
            @ArgumentHint({ArgumentTrait.SET_SEMANTIC_TABLE, ArgumentTrait.REQUIRE_ON_TIME}) Row model)
            throws Exception {
        TimeContext<Long> time = ctx.timeContext(Long.class);
        if (triggers != null) {
            long updateMs = triggers.<Long>getFieldAs("update_ms");
            long versionMs = ModelSlices.servingVersion(time.time(), updateMs);
            ModelVersion version = versions.get(ModelSlices.expiry(versionMs, updateMs));
            TriggerRow trigger = TriggerRow.of(triggers);
            if (version != null) {
                emit(trigger, version);
            } else {
                long versionTime = ModelSlices.versionTime(versionMs);
                // Behind the watermark, no version comes for the trigger any more: it has none (as in a join).
                if (versionTime > Watermarks.current(time)) {
                    WaitingTriggers waitingForVersion = waiting.get(versionTime);
                    if (waitingForVersion == null) {
                        waitingForVersion = new WaitingTriggers();
                    }
                    waitingForVersion.triggers.add(trigger);
                    waiting.put(versionTime, waitingForVersion);
                    time.registerOnTime(versionTime);
                }
            }
        }
        if (model != null) {
            ModelVersion version =
                    new ModelVersion(model.<Long>getFieldAs("version_ms"), model.getFieldAs("neighbors"));
            long versionTime = ModelSlices.versionTime(version.versionMs);
            WaitingTriggers waitingForVersion = waiting.get(versionTime);
            if (waitingForVersion != null) {
                for (TriggerRow trigger : waitingForVersion.triggers) {
                    emit(trigger, version);
                }
                waiting.remove(versionTime);
            }
            long expiry = ModelSlices.expiry(version.versionMs, model.<Long>getFieldAs("update_ms"));
            versions.put(expiry, version);
            time.registerOnTime(expiry);
        }
    }

    /**
     * A version's expiry and, at a version's time, the end of the wait of the triggers it did not arrive for:
     * both states are keyed by their timer's time (one timer may be both: a version expires at the next one's
     * time), so each is a point removal.
     */
    public void onTimer(
            OnTimerContext ctx, MapView<Long, ModelVersion> versions, MapView<Long, WaitingTriggers> waiting)
            throws Exception {
        long now = ctx.timeContext(Long.class).time();
        versions.remove(now);
        waiting.remove(now);
    }

    private void emit(TriggerRow trigger, ModelVersion version) {
        collect(
                Row.of(trigger.userId, trigger.sessionId, trigger.eventId, trigger.eventType, trigger.tsMs,
                        trigger.cartHistory, version.neighbors, version.versionMs));
    }

}
