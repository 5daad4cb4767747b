package dev.kappa.flink.insights;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Python floats as the insight JSON carries them: Python's arithmetic ({@code round}, int / int) and the text
 * {@code orjson.dumps} writes for the result.
 *
 * <p><b>orjson's text of a float</b> (3.13): the shortest digits that read back as the same double (as Python's
 * {@code repr}), laid out positionally when the decimal exponent e (value = d.ddd × 10^e) is in [-5, 15]
 * ({@code 0.00001}, {@code 123.0}, {@code 1000000000000000.0}) and as {@code d.ddde-6} / {@code de+16} outside
 * (no zero padding, unlike repr's {@code 1e-06}); NaN and ±inf as {@code null}; {@code -0.0} keeps its sign.
 * Java 17's {@code Double.toString} is not the shortest form (it is from JDK 19), so {@link #format} searches
 * the shortest with BigDecimal; the callers below take a faster exact path for the values the insights hold.
 *
 * <p><b>The fast path, and why it is exact</b>: a decimal with at most 15 significant digits (C's
 * {@code DBL_DIG} = 15: every such decimal survives decimal → double → decimal rounded to 15 digits) is the
 * shortest text of its nearest double: a different decimal of at most as many digits mapping to the same double
 * would also survive the round trip, so it would equal the first. So when Python's value is the nearest double to
 * a known decimal {@code unscaled × 10^-scale} with {@code |unscaled| < 10^15} and scale ≤ 5, orjson writes that
 * decimal (positional, as 10^-5 ≤ |value| < 10^15), trailing zeros stripped, at least one fraction digit.
 * Larger values go through the general path, exactly as Python computes them.
 */
public final class OrjsonFloats {
    /** Unscaled values below this have at most 15 significant digits (DBL_DIG). */
    static final long FAST_LIMIT = 1_000_000_000_000_000L;

    private static final MathContext[] PRECISIONS = new MathContext[18];
    private static final double[] POWERS_OF_TEN = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5};

    static {
        for (int digits = 1; digits <= 17; digits++) {
            PRECISIONS[digits] = new MathContext(digits, RoundingMode.HALF_EVEN);
        }
    }

    private OrjsonFloats() {}

    /** Python {@code round(cents / 100, 2)} (flink_app/rules/money.py from_cents) as orjson writes it. */
    public static String fromCents(long cents) {
        if (isFast(cents)) {
            // cents / 100 is within half an ulp (< 0.001 below 10^13) of the 2-decimal value: round() keeps it.
            return decimal(cents, 2);
        }
        return round(trueDivide(cents, 100), 2);
    }

    /**
     * {@link #fromCents(long)} of an integer of any size: Python's int / int is the double nearest to the exact
     * quotient (and an OverflowError beyond the largest double, an IllegalArgumentException here).
     */
    public static String fromCents(BigInteger cents) {
        if (cents.bitLength() < Long.SIZE) {
            return fromCents(cents.longValue());
        }
        double quotient = Double.parseDouble(new BigDecimal(cents).divide(BigDecimal.valueOf(100)).toString());
        if (Double.isInfinite(quotient)) {
            throw new IllegalArgumentException("an amount of " + cents + " cents is beyond a float: Python's "
                    + "from_cents fails on it too (integer division result too large for a float)");
        }
        return round(quotient, 2);
    }

    /** Python {@code millis / 1000} (a session's duration_seconds) as orjson writes it. */
    public static String seconds(long millis) {
        if (isFast(millis)) {
            return decimal(millis, 3);
        }
        return format(trueDivide(millis, 1000));
    }

    /**
     * Python {@code round(value, digits)} as orjson writes it, null for NaN and ±inf (rules/insights.py
     * {@code _round}). Python rounds the double's exact binary value half-even to {@code digits} decimals
     * ({@code _Py_dg_dtoa} mode 3), then reads that decimal back as a double: exactly {@code new
     * BigDecimal(value).setScale(digits, HALF_EVEN)}. A result of zero keeps the value's sign ({@code
     * round(-0.00001, 4)} is {@code -0.0}).
     */
    public static String round(double value, int digits) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return null;
        }
        if (digits < 0 || digits > 5) {
            throw new IllegalArgumentException("round to 0..5 decimals, got " + digits);
        }
        // Fast and exact: fl(value × 10^digits) is within half an ulp of the exact product (10^digits ≤ 10^5 is a
        // double), so when it is more than an ulp away from the midpoints around its nearest integer r, the exact
        // product's nearest integer is r too: no tie, and r × 10^-digits is Python's decimal.
        if (Math.abs(value) < 1e9) {
            double scaled = value * POWERS_OF_TEN[digits];
            double nearest = Math.rint(scaled);
            if (Math.abs(scaled - nearest) < 0.5 - Math.ulp(scaled)) {
                long unscaled = (long) nearest;
                if (unscaled == 0) {
                    return isNegative(value) ? "-0.0" : "0.0";
                }
                return decimal(unscaled, digits);
            }
        }
        BigDecimal rounded = new BigDecimal(value).setScale(digits, RoundingMode.HALF_EVEN);
        if (rounded.signum() == 0) {
            return isNegative(value) ? "-0.0" : "0.0";
        }
        if (rounded.precision() <= 15) {
            return decimal(rounded.unscaledValue().longValueExact(), digits);
        }
        return format(Double.parseDouble(rounded.toString()));
    }

    /** orjson's text of any double (the general, slower path). */
    public static String format(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return null;
        }
        if (value == 0) {
            return isNegative(value) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(value);
        BigDecimal shortest = null;
        // The nearest decimal of p digits is the one that reads back if any of p digits does; 17 always do.
        for (int digits = 1; digits <= 17 && shortest == null; digits++) {
            BigDecimal candidate = exact.round(PRECISIONS[digits]);
            if (Double.parseDouble(candidate.toString()) == value) {
                shortest = candidate.stripTrailingZeros();
            }
        }
        String significand = shortest.unscaledValue().abs().toString();
        int exponent = significand.length() - 1 - shortest.scale();
        return layout(value < 0, significand, exponent);
    }

    /** {@code unscaled × 10^-scale}, |unscaled| < 10^15, 0 ≤ scale ≤ 5, positionally (see the class comment). */
    static String decimal(long unscaled, int scale) {
        if (!isFast(unscaled) || scale < 0 || scale > 5) {
            throw new IllegalArgumentException("not a fast-path decimal: " + unscaled + "e-" + scale);
        }
        StringBuilder text = new StringBuilder(24);
        if (unscaled < 0) {
            text.append('-');
        }
        long magnitude = Math.abs(unscaled);
        long power = 1;
        for (int i = 0; i < scale; i++) {
            power *= 10;
        }
        text.append(magnitude / power).append('.');
        long fraction = magnitude % power;
        if (fraction == 0) {
            return text.append('0').toString();
        }
        int digits = scale;
        while (fraction % 10 == 0) {
            fraction /= 10;
            digits--;
        }
        String fractionText = Long.toString(fraction);
        for (int i = fractionText.length(); i < digits; i++) {
            text.append('0');
        }
        return text.append(fractionText).toString();
    }

    /** Python int / int: the double nearest to the exact quotient. */
    static double trueDivide(long dividend, long divisor) {
        return Double.parseDouble(BigDecimal.valueOf(dividend).divide(BigDecimal.valueOf(divisor)).toString());
    }

    private static boolean isFast(long unscaled) {
        return unscaled > -FAST_LIMIT && unscaled < FAST_LIMIT;
    }

    private static boolean isNegative(double value) {
        return value < 0 || (value == 0 && 1 / value < 0);
    }

    private static String layout(boolean negative, String significand, int exponent) {
        StringBuilder text = new StringBuilder(significand.length() + 8);
        if (negative) {
            text.append('-');
        }
        if (exponent < -5 || exponent > 15) {
            text.append(significand.charAt(0));
            if (significand.length() > 1) {
                text.append('.').append(significand, 1, significand.length());
            }
            return text.append('e').append(exponent < 0 ? '-' : '+').append(Math.abs(exponent)).toString();
        }
        if (exponent < 0) {
            text.append("0.");
            for (int i = -1; i > exponent; i--) {
                text.append('0');
            }
            return text.append(significand).toString();
        }
        int integerDigits = exponent + 1;
        if (significand.length() <= integerDigits) {
            text.append(significand);
            for (int i = significand.length(); i < integerDigits; i++) {
                text.append('0');
            }
            return text.append(".0").toString();
        }
        return text.append(significand, 0, integerDigits)
                .append('.')
                .append(significand, integerDigits, significand.length())
                .toString();
    }
}
