package dev.kappa.flink.time;

/**
 * Epoch milliseconds of an event's {@code occurred_at}: RFC 3339 as the event contract allows it
 * ({@code YYYY-MM-DD(T|t)hh:mm:ss[.f{1,9}](Z|z|(+|-)hh:mm)}, events/schemas/event.schema.json), read by integer
 * arithmetic on its digits.
 *
 * <p>It gives what the job's SQL expression for it gave ({@code flink_app.connectors.epoch_millis_sql}: the
 * date-time part read as UTC, plus the first three fraction digits, minus the offset; fraction digits beyond
 * the millisecond are truncated), without its {@code SimpleDateFormat} parse and the dozen strings the SQL
 * builds per event. The ingestion API only logs strings of that shape whose date is real; anything else is
 * refused here with an error naming the value, as the SQL expression failed the job on it.
 */
public final class Rfc3339 {

    private Rfc3339() {}

    /** The instant of {@code text} in epoch milliseconds. */
    public static long epochMillis(String text) {
        int length = text.length();
        if (length < 20
                || text.charAt(4) != '-'
                || text.charAt(7) != '-'
                || (text.charAt(10) != 'T' && text.charAt(10) != 't')
                || text.charAt(13) != ':'
                || text.charAt(16) != ':') {
            throw malformed(text);
        }
        long year = digits(text, 0, 4);
        long month = digits(text, 5, 2);
        long day = digits(text, 8, 2);
        long hour = digits(text, 11, 2);
        long minute = digits(text, 14, 2);
        long second = digits(text, 17, 2);
        int zoneAt = zoneStart(text);
        long millis = 0;
        if (zoneAt > 19) {
            if (text.charAt(19) != '.' || zoneAt == 20 || zoneAt - 20 > 9) {
                throw malformed(text);
            }
            int fractionDigits = zoneAt - 20;
            millis = digits(text, 20, Math.min(fractionDigits, 3));
            for (int i = fractionDigits; i < 3; i++) {
                millis *= 10;
            }
            if (fractionDigits > 3) {
                digits(text, 23, fractionDigits - 3); // only digits may follow the millisecond
            }
        }
        long offsetSeconds = offsetSeconds(text, zoneAt);
        long seconds = daysFromCivil(year, month, day) * 86_400L + hour * 3600 + minute * 60 + second;
        return (seconds - offsetSeconds) * 1000 + millis;
    }

    /** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil; a day or month past
     * its end rolls over, as the lenient parse it replaces did). */
    static long daysFromCivil(long year, long month, long day) {
        long y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400);
        long yearOfEra = y - era * 400;
        long dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097 + dayOfEra - 719_468;
    }

    private static int zoneStart(String text) {
        int length = text.length();
        char last = text.charAt(length - 1);
        if (last == 'Z' || last == 'z') {
            return length - 1;
        }
        if (length < 25 || text.charAt(length - 3) != ':') {
            throw malformed(text);
        }
        char sign = text.charAt(length - 6);
        if (sign != '+' && sign != '-') {
            throw malformed(text);
        }
        return length - 6;
    }

    private static long offsetSeconds(String text, int zoneAt) {
        char sign = text.charAt(zoneAt);
        if (sign == 'Z' || sign == 'z') {
            return 0;
        }
        long seconds = digits(text, zoneAt + 1, 2) * 3600 + digits(text, zoneAt + 4, 2) * 60;
        return sign == '-' ? -seconds : seconds;
    }

    private static long digits(String text, int from, int count) {
        long value = 0;
        for (int i = from; i < from + count; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw malformed(text);
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static IllegalArgumentException malformed(String text) {
        return new IllegalArgumentException(
                "occurred_at is not an RFC 3339 timestamp of the event contract"
                        + " (YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)): '" + text + "'");
    }
}
