package dev.kappa.flink.time;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code epoch_millis(occurred_at)}: the source's event time ({@code ts_ms}, and {@code ts} from it) in the
 * source table's computed columns (flink_app/connectors.py). The rule is {@link Rfc3339}.
 */
public class EpochMillis extends ScalarFunction {
    private static final long serialVersionUID = 1L;

    /** Null for a null {@code occurred_at} (JSON without the field), as the SQL expression gave. */
    public @DataTypeHint("BIGINT") Long eval(String occurredAt) {
        return occurredAt == null ? null : Rfc3339.epochMillis(occurredAt);
    }
}
