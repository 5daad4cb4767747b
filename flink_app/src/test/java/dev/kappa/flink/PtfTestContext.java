package dev.kappa.flink;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.table.functions.TableSemantics;

/**
 * A process table function's context for unit tests: event time and watermark set by the test, event-time
 * timers recorded as Flink 2.2's PTF runtime keeps them (WritableInternalTimeContext): unnamed timers of one
 * millisecond are one timer, a named timer replaces the one of its name, and a timer at or behind the current
 * watermark is ignored (so a timer set while firing for a time the watermark already passed never fires).
 */
public final class PtfTestContext implements ProcessTableFunction.OnTimerContext {
    public long time;
    public Long watermark;
    public String currentTimer;
    public final TreeSet<Long> timers = new TreeSet<>();
    public final Map<String, Long> namedTimers = new HashMap<>();

    /** A timer to fire: its time, and its name (null: unnamed). */
    public static final class Due {
        private final long time;
        private final String name;

        Due(long time, String name) {
            this.time = time;
            this.name = name;
        }

        public long time() {
            return time;
        }

        public String name() {
            return name;
        }
    }

    /**
     * Removes and returns the earliest timer at or before {@code watermark} (unnamed first at one millisecond),
     * or null; the caller sets {@link #time}, {@link #currentTimer} and calls onTimer, as the runtime does.
     */
    public Due nextDue(long watermark) {
        Long unnamed = timers.isEmpty() ? null : timers.first();
        Map.Entry<String, Long> named = null;
        for (Map.Entry<String, Long> entry : namedTimers.entrySet()) {
            if (named == null || entry.getValue() < named.getValue()) {
                named = entry;
            }
        }
        if (unnamed != null && unnamed <= watermark && (named == null || unnamed <= named.getValue())) {
            timers.pollFirst();
            return new Due(unnamed, null);
        }
        if (named != null && named.getValue() <= watermark) {
            namedTimers.remove(named.getKey());
            return new Due(named.getValue(), named.getKey());
        }
        return null;
    }

    private final ProcessTableFunction.TimeContext<Long> timeContext =
            new ProcessTableFunction.TimeContext<>() {
                @Override
                public Long time() {
                    return time;
                }

                @Override
                public Long currentWatermark() {
                    return watermark;
                }

                @Override
                public void registerOnTime(String name, Long at) {
                    if (!behindWatermark(at)) {
                        namedTimers.put(name, at);
                    }
                }

                @Override
                public void registerOnTime(Long at) {
                    if (!behindWatermark(at)) {
                        timers.add(at);
                    }
                }

                @Override
                public void clearTimer(String name) {
                    namedTimers.remove(name);
                }

                @Override
                public void clearTimer(Long at) {
                    timers.remove(at);
                }

                @Override
                public void clearAllTimers() {
                    timers.clear();
                    namedTimers.clear();
                }
            };

    private boolean behindWatermark(long at) {
        return watermark != null && at <= watermark;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> ProcessTableFunction.TimeContext<T> timeContext(Class<T> conversionClass) {
        if (conversionClass != Long.class) {
            throw new UnsupportedOperationException("tests use Long time");
        }
        return (ProcessTableFunction.TimeContext<T>) timeContext;
    }

    @Override
    public String currentTimer() {
        return currentTimer;
    }

    @Override
    public TableSemantics tableSemanticsFor(String argumentName) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void clearState(String stateName) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void clearAllState() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void clearAllTimers() {
        timers.clear();
        namedTimers.clear();
    }

    @Override
    public void clearAll() {
        throw new UnsupportedOperationException();
    }

    @Override
    public ChangelogMode getChangelogMode() {
        return ChangelogMode.insertOnly();
    }
}
