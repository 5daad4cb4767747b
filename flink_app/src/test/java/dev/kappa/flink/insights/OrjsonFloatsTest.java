package dev.kappa.flink.insights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** orjson's text of Python floats, against the Python reference's goldens (see {@link Goldens}). */
class OrjsonFloatsTest {

    @Test
    void anyDoubleIsWrittenAsOrjsonWritesIt() {
        // GIVEN 4,000 doubles of every magnitude (random bits, around 1e-5 and 1e16, short decimals) and the edges
        int checked = 0;
        for (String[] row : Goldens.rows("floats.tsv")) {
            double value = Goldens.doubleOfBits(row[0]);
            // THEN the shortest round-trip digits in orjson's layout
            assertEquals(row[1], OrjsonFloats.format(value), () -> "format(" + value + ")");
            checked++;
        }
        assertEquals(4042, checked);
    }

    @Test
    void theLayoutSwitchesToExponentsBelow1e5AndFrom1e16() {
        assertEquals("0.00001", OrjsonFloats.format(1e-5));
        assertEquals("0.0001", OrjsonFloats.format(1e-4));
        assertEquals("9.999999999999999e-6", OrjsonFloats.format(9.999999999999999e-6));
        assertEquals("1e-6", OrjsonFloats.format(1e-6));
        assertEquals("9999999999999998.0", OrjsonFloats.format(9999999999999998.0));
        assertEquals("1e+16", OrjsonFloats.format(1e16));
        assertEquals("-1.5e+16", OrjsonFloats.format(-1.5e16));
        assertEquals("-0.0", OrjsonFloats.format(-0.0));
        assertNull(OrjsonFloats.format(Double.NaN));
        assertNull(OrjsonFloats.format(Double.NEGATIVE_INFINITY));
    }

    @Test
    void pythonRoundToTwoThreeAndFourDecimals() {
        // GIVEN doubles of every magnitude, decimal halves of the last digit and tiny negatives (→ -0.0)
        for (String[] row : Goldens.rows("rounded.tsv")) {
            int digits = Integer.parseInt(row[0]);
            double value = Goldens.doubleOfBits(row[1]);
            assertEquals(row[2], String.valueOf(OrjsonFloats.round(value, digits)), () -> "round(" + value + ")");
        }
    }

    @Test
    void roundingKeepsTheSignOfZeroAndGivesNullForNanAndInfinity() {
        assertEquals("-0.0", OrjsonFloats.round(-0.00001, 4));
        assertEquals("0.0", OrjsonFloats.round(0.00004, 4));
        assertEquals("0.0001", OrjsonFloats.round(0.00005, 4));
        assertNull(OrjsonFloats.round(Double.POSITIVE_INFINITY, 4));
        assertNull(OrjsonFloats.round(Double.NaN, 4));
    }

    @Test
    void centsAndMillisecondsAsPythonDividesThem() {
        // GIVEN cents and milliseconds up to the long range (the fast path ends at 10^15)
        for (String[] row : Goldens.rows("integers.tsv")) {
            long value = Long.parseLong(row[1]);
            String text = "cents".equals(row[0]) ? OrjsonFloats.fromCents(value) : OrjsonFloats.seconds(value);
            assertEquals(row[2], text, () -> row[0] + "(" + value + ")");
        }
    }

    @Test
    void theFastDecimalStripsTrailingZerosButKeepsOneFractionDigit() {
        assertEquals("19.99", OrjsonFloats.fromCents(1999));
        assertEquals("20.0", OrjsonFloats.fromCents(2000));
        assertEquals("-3.5", OrjsonFloats.fromCents(-350));
        assertEquals("0.0", OrjsonFloats.fromCents(0));
        assertEquals("0.05", OrjsonFloats.fromCents(5));
        assertEquals("60.0", OrjsonFloats.seconds(60_000));
        assertEquals("0.001", OrjsonFloats.seconds(1));
    }
}
