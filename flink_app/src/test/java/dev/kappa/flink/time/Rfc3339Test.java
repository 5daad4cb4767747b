package dev.kappa.flink.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Rfc3339Test {

    @Test
    void readsTheContractsShapesAsJavaTimeDoes() {
        // GIVEN calendar edge cases, offsets and 0-9 fraction digits; WHEN read; THEN java.time's instant,
        // truncated to the millisecond
        String[] cases = {
            "1970-01-01T00:00:00Z",
            "1999-12-31T23:59:59.999Z",
            "2000-02-29T12:30:45.1+05:30",
            "2000-03-01T00:00:00Z",
            "2024-02-29T23:59:59-08:00",
            "2026-01-01T01:00:00.5+01:00",
            "2025-12-31T19:00:02.25-05:00",
            "2026-11-25T12:00:00.123456789Z",
            "2100-02-28T23:59:59Z",
            "2100-03-01t00:00:00z",
            "2400-02-29T06:07:08.009Z",
            "9999-12-31T23:59:59.999+14:00",
            "0001-01-01T00:00:00Z",
        };
        for (String text : cases) {
            assertEquals(javaTime(text), Rfc3339.epochMillis(text), text);
        }
    }

    @Test
    void agreesWithJavaTimeOnRandomInstantsAndOffsets() {
        SplittableRandom random = new SplittableRandom(15);
        for (int i = 0; i < 200_000; i++) {
            long millis = random.nextLong(-62_135_596_800_000L, 253_402_300_799_999L);
            int offsetMinutes = (random.nextInt(2 * 14 * 60 + 1) - 14 * 60);
            ZoneOffset offset = ZoneOffset.ofTotalSeconds(offsetMinutes * 60);
            OffsetDateTime moment = java.time.Instant.ofEpochMilli(millis).atOffset(offset);
            if (moment.getYear() < 1 || moment.getYear() > 9999) {
                continue;
            }
            String text = format(moment, random.nextInt(10));
            assertEquals(javaTime(text), Rfc3339.epochMillis(text), text);
        }
    }

    @Test
    void refusesWhatTheContractDoesNotAllowNamingTheValue() {
        for (String text : new String[] {"garbage", "", "2026-11-25 12:00:00Z", "2026-11-25T12:00:00",
                "2026-11-25T12:00:00.Z", "2026-11-25T12:00:0aZ", "2026-11-25T12:00:00+0100",
                "2026-11-25T12:00:00.1234567890Z"}) {
            IllegalArgumentException error =
                    assertThrows(IllegalArgumentException.class, () -> Rfc3339.epochMillis(text), text);
            assertEquals(true, error.getMessage().contains("'" + text + "'"), error.getMessage());
        }
    }

    @Test
    void aNullOccurredAtGivesNullAsTheSqlExpressionDid() {
        assertEquals(null, new EpochMillis().eval(null));
    }

    private static String format(OffsetDateTime moment, int fractionDigits) {
        StringBuilder text = new StringBuilder(String.format("%04d-%02d-%02dT%02d:%02d:%02d",
                moment.getYear(), moment.getMonthValue(), moment.getDayOfMonth(),
                moment.getHour(), moment.getMinute(), moment.getSecond()));
        if (fractionDigits > 0) {
            text.append('.').append(String.format("%09d", moment.getNano()), 0, fractionDigits);
        }
        int seconds = moment.getOffset().getTotalSeconds();
        if (seconds == 0 && fractionDigits % 2 == 0) {
            return text.append('Z').toString();
        }
        return text.append(String.format("%s%02d:%02d", seconds < 0 ? "-" : "+",
                Math.abs(seconds) / 3600, Math.abs(seconds) / 60 % 60)).toString();
    }

    /** java.time's reading, truncated to milliseconds (fraction digits past the third are dropped). */
    private static long javaTime(String text) {
        OffsetDateTime parsed = OffsetDateTime.parse(text.replace('t', 'T').replace('z', 'Z'));
        return parsed.toInstant().getEpochSecond() * 1000 + parsed.getNano() / 1_000_000;
    }
}
