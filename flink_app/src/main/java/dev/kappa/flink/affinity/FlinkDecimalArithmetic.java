package dev.kappa.flink.affinity;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The arithmetic of the affinity model's former SQL, done the way Flink 2.2.1's generated code does it, so the
 * Java model's digits are those of the SQL it replaced.
 *
 * <p>The SQL was {@code SUM(CAST(weight * POWER(2.0, -CAST(TIMESTAMPDIFF(SECOND, slice_time, window_time) AS
 * DOUBLE) / half_life_s) AS DECIMAL(20, 6)))} over slice sums {@code weight} of type DECIMAL(38, 4) (the SUM of
 * DECIMAL(12, 4): {@code LogicalTypeMerging.findSumAggType}). Flink evaluates it as:
 *
 * <ul>
 *   <li>{@code DECIMAL * DOUBLE} is a DOUBLE: the decimal operand is converted by {@code
 *       DecimalDataUtils.doubleValue} ({@code BigDecimal.doubleValue()} for a non-compact DECIMAL(38, 4); every
 *       path of it is correctly rounded, so it is the double nearest the decimal);
 *   <li>{@code POWER(DECIMAL(2, 1), DOUBLE)} is {@code SqlFunctionUtils.power(DecimalData, double)}: {@code
 *       Math.pow(2.0, exponent)} (the literal 2.0 converts exactly);
 *   <li>{@code -CAST(age AS DOUBLE) / 14400}: the INT divisor is widened to DOUBLE, one IEEE division;
 *   <li>{@code CAST(DOUBLE AS DECIMAL(20, 6))} is {@code DecimalDataUtils.castFrom(double, 20, 6)}: {@code
 *       BigDecimal.valueOf(d)} (the decimal of {@code Double.toString(d)}, NOT the double's exact binary value),
 *       then {@code DecimalData.fromBigDecimal}: {@code setScale(6, HALF_UP)}, and null when more than 20 digits;
 *   <li>SUM of DECIMAL(20, 6) is a DECIMAL(38, 6), nulls skipped, null when every term is null; decimal addition
 *       is exact ({@code DecimalDataUtils.add}), so the order of the terms cannot change a digit;
 *   <li>{@code CAST(DECIMAL AS STRING)} is {@code DecimalData.toString()}: {@code toPlainString()} at scale 6.
 * </ul>
 *
 * <p>{@code Math.pow} and {@code Double.toString} are called here exactly as Flink calls them, in the same JVM, so
 * whatever the JVM's implementation of them, the result is the same as the SQL's.
 */
public final class FlinkDecimalArithmetic {

    /** Scale of the slice sums: DECIMAL(12, 4) weights summed into DECIMAL(38, 4). */
    public static final int WEIGHT_SCALE = 4;
    /** Precision of the SQL's per-term cast: DECIMAL(20, 6). */
    public static final int TERM_PRECISION = 20;
    /** Scale of a term and of a score. */
    public static final int SCORE_SCALE = 6;
    /** Precision of the SUM of DECIMAL(20, 6) terms: DECIMAL(38, 6). */
    public static final int SCORE_PRECISION = 38;

    private FlinkDecimalArithmetic() {}

    /**
     * {@code DecimalData.fromBigDecimal(value, precision, scale)}: HALF_UP to the scale, null when the result
     * needs more digits than the precision.
     */
    public static BigDecimal toDecimal(BigDecimal value, int precision, int scale) {
        BigDecimal scaled = value.setScale(scale, RoundingMode.HALF_UP);
        return scaled.precision() > precision ? null : scaled;
    }

    /** {@code CAST(value AS DECIMAL(precision, scale))} of a DOUBLE ({@code DecimalDataUtils.castFrom(double)}). */
    public static BigDecimal castDouble(double value, int precision, int scale) {
        return toDecimal(BigDecimal.valueOf(value), precision, scale);
    }

    /**
     * The decay exponent {@code -CAST(age_seconds AS DOUBLE) / half_life_seconds}, then {@code POWER(2.0, it)}.
     */
    public static double decayFactor(long ageSeconds, int halfLifeSeconds) {
        double exponent = -((double) ageSeconds) / (double) halfLifeSeconds;
        return Math.pow(2.0, exponent);
    }

    /**
     * One slice's term of a score: {@code CAST(weight * POWER(2.0, ...) AS DECIMAL(20, 6))}; null when the cast
     * overflows (as in SQL, a null term is skipped by the SUM).
     */
    public static BigDecimal decayedTerm(BigDecimal sliceWeight, long ageSeconds, int halfLifeSeconds) {
        double product = sliceWeight.doubleValue() * decayFactor(ageSeconds, halfLifeSeconds);
        return castDouble(product, TERM_PRECISION, SCORE_SCALE);
    }

    /** SUM's step: a null sum takes the term, a null term leaves the sum (DECIMAL(38, 6), exact). */
    public static BigDecimal addTerm(BigDecimal sum, BigDecimal term) {
        if (term == null) {
            return sum;
        }
        BigDecimal next = sum == null ? term : sum.add(term);
        return toDecimal(next, SCORE_PRECISION, SCORE_SCALE);
    }

    /** A DECIMAL(38, 4) slice sum plus a DECIMAL(12, 4) weight. */
    public static BigDecimal addWeight(BigDecimal sliceSum, BigDecimal weight) {
        BigDecimal next = sliceSum == null ? weight : sliceSum.add(weight);
        return next.setScale(WEIGHT_SCALE, RoundingMode.HALF_UP);
    }

    /** {@code CAST(score AS STRING)} of a DECIMAL(38, 6): plain notation, always six decimals. */
    public static String scoreText(BigDecimal score) {
        return score.setScale(SCORE_SCALE, RoundingMode.HALF_UP).toPlainString();
    }
}
