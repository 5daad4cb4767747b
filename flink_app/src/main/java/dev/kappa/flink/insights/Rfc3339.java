package dev.kappa.flink.insights;

import java.time.LocalDate;

/**
 * Epoch milliseconds as {@code events.format_rfc3339} writes them: {@code YYYY-MM-DDTHH:MM:SS.mmmZ} (UTC).
 *
 * <p>1970 to 9999 is integer arithmetic in both. Before 1970 Python goes through {@code
 * datetime.fromtimestamp(ms / 1000)}: a double of seconds, rounded half-even to microseconds (CPython's {@code
 * _PyTime_DoubleToDenominator}), which far in the past can be a millisecond off the exact value; and {@code
 * strftime("%Y")} does not pad years below 1000. Both are reproduced. Python refuses years before 1 and after
 * 9999 (ValueError, the job fails); so does this.
 */
public final class Rfc3339 {
    private static final long MILLIS_PER_DAY = 86_400_000L;
    /** 10000-01-01T00:00:00Z. */
    private static final long END_MS = 253_402_300_800_000L;

    private Rfc3339() {}

    public static String format(long epochMillis) {
        if (epochMillis >= 0) {
            if (epochMillis >= END_MS) {
                throw new IllegalArgumentException(
                        "timestamp " + epochMillis + " ms is after 9999-12-31: Python's datetime cannot format it");
            }
            long day = epochMillis / MILLIS_PER_DAY;
            return text(LocalDate.ofEpochDay(day), epochMillis % MILLIS_PER_DAY, true);
        }
        // datetime.fromtimestamp(ms / 1000, tz=UTC): modf, × 1e6, round half-even, carry into the seconds.
        double seconds = (double) epochMillis / 1000.0;
        double whole = seconds < 0 ? Math.ceil(seconds) : Math.floor(seconds);
        double micros = Math.rint((seconds - whole) * 1e6);
        if (micros >= 1e6) {
            micros -= 1e6;
            whole += 1.0;
        } else if (micros < 0) {
            micros += 1e6;
            whole -= 1.0;
        }
        long wholeSeconds = (long) whole;
        long day = Math.floorDiv(wholeSeconds, 86_400L);
        LocalDate date = LocalDate.ofEpochDay(day);
        if (date.getYear() < 1) {
            throw new IllegalArgumentException(
                    "timestamp " + epochMillis + " ms is before 0001-01-01: Python's datetime cannot format it");
        }
        long millisOfDay = Math.floorMod(wholeSeconds, 86_400L) * 1000L + (long) micros / 1000L;
        return text(date, millisOfDay, false);
    }

    private static String text(LocalDate date, long millisOfDay, boolean padYear) {
        StringBuilder out = new StringBuilder(24);
        String year = Integer.toString(date.getYear());
        if (padYear) {
            for (int i = year.length(); i < 4; i++) {
                out.append('0');
            }
        }
        out.append(year).append('-');
        two(out, date.getMonthValue()).append('-');
        two(out, date.getDayOfMonth()).append('T');
        long seconds = millisOfDay / 1000;
        two(out, (int) (seconds / 3600)).append(':');
        two(out, (int) (seconds / 60 % 60)).append(':');
        two(out, (int) (seconds % 60)).append('.');
        int millis = (int) (millisOfDay % 1000);
        if (millis < 100) {
            out.append('0');
        }
        if (millis < 10) {
            out.append('0');
        }
        return out.append(millis).append('Z').toString();
    }

    private static StringBuilder two(StringBuilder out, int value) {
        if (value < 10) {
            out.append('0');
        }
        return out.append(value);
    }
}
