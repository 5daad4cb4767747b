package dev.kappa.flink.time;

import org.apache.flink.table.functions.ProcessTableFunction.TimeContext;

/** The watermark a process table function compares event times with. */
public final class Watermarks {
    private Watermarks() {}

    /**
     * The operator's current watermark, {@code Long.MIN_VALUE} before the first one (Flink reports none as null):
     * every event time is ahead of it then.
     */
    public static long current(TimeContext<Long> time) {
        Long watermark = time.currentWatermark();
        return watermark == null ? Long.MIN_VALUE : watermark;
    }
}
