package dev.kappa.flink.affinity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class FlinkDecimalArithmeticTest {

    @Test
    void castOfADoubleRoundsItsShortestDecimalHalfUpNotItsBinaryValue() {
        // GIVEN 0.0000005: its binary value is 4.99999999999999977e-7, Double.toString gives "5.0E-7"
        double value = 0.0000005;
        assertEquals(-1, new BigDecimal(value).compareTo(new BigDecimal("0.0000005")));
        // WHEN cast to DECIMAL(20, 6) the way Flink's DecimalDataUtils.castFrom(double) does
        // THEN the decimal "5.0E-7" is rounded HALF_UP: up to 0.000001, where the exact binary value would give 0
        assertEquals(new BigDecimal("0.000001"), FlinkDecimalArithmetic.castDouble(value, 20, 6));
    }

    @Test
    void castRoundsHalfUpAtTheSixthDecimal() {
        assertEquals(new BigDecimal("1.234568"), FlinkDecimalArithmetic.castDouble(1.2345675, 20, 6));
        assertEquals(new BigDecimal("2.500000"), FlinkDecimalArithmetic.castDouble(2.5, 20, 6));
        assertEquals(new BigDecimal("0.000000"), FlinkDecimalArithmetic.castDouble(4.9e-7, 20, 6));
    }

    @Test
    void castOverflowingTheTwentyDigitsIsNull() {
        assertNull(FlinkDecimalArithmetic.castDouble(1e14, 20, 6));
        assertEquals(new BigDecimal("99999999999999.000000"), FlinkDecimalArithmetic.castDouble(99999999999999.0, 20, 6));
    }

    @Test
    void decayedTermIsTheWeightTimesTwoToTheMinusAgeOverHalfLife() {
        // GIVEN a slice sum of 3.0000, 4 hours old, half life 4 hours
        BigDecimal weight = new BigDecimal("3.0000");
        // THEN 3 * 2^-1 = 1.5, and 8 hours later 0.75
        assertEquals(new BigDecimal("1.500000"), FlinkDecimalArithmetic.decayedTerm(weight, 14_400, 14_400));
        assertEquals(new BigDecimal("0.750000"), FlinkDecimalArithmetic.decayedTerm(weight, 28_800, 14_400));
        assertEquals(new BigDecimal("3.000000"), FlinkDecimalArithmetic.decayedTerm(weight, 0, 14_400));
    }

    @Test
    void decayedTermRoundsTheDoubleProduct() {
        // 1 * 2^(-3600/14400) = 2^-0.25 = 0.8408964152537145...
        assertEquals(
                new BigDecimal("0.840896"), FlinkDecimalArithmetic.decayedTerm(new BigDecimal("1.0000"), 3_600, 14_400));
        // the exponent is (-age) / half_life in double, the base the exact 2.0
        assertEquals(Math.pow(2.0, -3600.0 / 14400.0), FlinkDecimalArithmetic.decayFactor(3_600, 14_400));
    }

    @Test
    void sumSkipsNullTermsAndKeepsScaleSix() {
        BigDecimal sum = FlinkDecimalArithmetic.addTerm(null, null);
        assertNull(sum);
        sum = FlinkDecimalArithmetic.addTerm(sum, new BigDecimal("1.500000"));
        sum = FlinkDecimalArithmetic.addTerm(sum, null);
        sum = FlinkDecimalArithmetic.addTerm(sum, new BigDecimal("0.750000"));
        assertEquals("2.250000", FlinkDecimalArithmetic.scoreText(sum));
    }

    @Test
    void scoreTextIsPlainWithSixDecimals() {
        assertEquals("3.000000", FlinkDecimalArithmetic.scoreText(new BigDecimal("3.000000")));
        assertEquals("0.000010", FlinkDecimalArithmetic.scoreText(new BigDecimal("1.0E-5").setScale(6)));
        assertEquals("12345678901234.500000", FlinkDecimalArithmetic.scoreText(new BigDecimal("12345678901234.5")));
    }

    @Test
    void sliceSumsAreExactDecimals() {
        BigDecimal sum = null;
        for (int i = 0; i < 10; i++) {
            sum = FlinkDecimalArithmetic.addWeight(sum, new BigDecimal("0.1000"));
        }
        assertEquals(new BigDecimal("1.0000"), sum);
    }
}
