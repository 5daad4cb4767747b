package dev.kappa.flink.insights;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * The recommendation scores' decay {@code math.pow(2.0, -age_ms / half_life_ms)}
 * (flink_app/rules/recommendations.py {@code decay_factor}), and what it can differ by from CPython's.
 *
 * <p>CPython calls C's {@code pow}; glibc's is not correctly rounded (its documented bound is about 0.52 ulp),
 * and which variant runs depends on the CPU (with or without FMA). Measured against Python here over 2,000,000
 * random (age, half life) pairs: Java's {@code Math.pow} differed in 1,950 (one ulp), {@code StrictMath.pow}
 * (fdlibm) in 110,041, and the correctly rounded 2^y computed below in 1,693: the cases where the exact value lies
 * within a few hundredths of an ulp of the midpoint between two doubles and glibc picks the farther one. No
 * Java function can follow glibc there short of copying its algorithm. What every {@code pow} with an error
 * below one ulp (glibc's included) returns is one of the two doubles bracketing the exact value; {@link
 * #bracket} gives both (the nearest first), so a caller can check that its output is the same with either: then
 * it is certainly Python's (ProductRecommendationInsight does; DecayTest replays the hard pairs).
 *
 * <p>2^y: y = k + f (k an integer, |f| ≤ 1/2, both exact), 2^f = e^(f ln 2) by its Taylor series in
 * double-double arithmetic (~105 bits), rounded once to a double, then scaled by 2^k (exact while the result is a
 * normal double). Below 2^-1022 (over 1,022 half lives) the scaling may round twice and a subnormal's ulp is
 * large: such a factor leaves scores below 1e-290, which fail any positive min_support and print 0.0 at 4
 * decimals; only with min_support 0 can the order of such candidates (ties or not) depend on the last bit.
 */
public final class Decay {
    /** ln 2 as a double-double (hi + lo). */
    private static final double LN2_HI = 0.6931471805599453;

    private static final double LN2_LO = 2.3190468138462996e-17;
    private static final int TERMS = 23;
    /** 1/n! for n = 0 .. TERMS as double-doubles. */
    private static final double[] INVERSE_FACTORIAL_HI = new double[TERMS + 1];

    private static final double[] INVERSE_FACTORIAL_LO = new double[TERMS + 1];
    /** 2^27 + 1: Dekker's split of a double into two 26-bit halves. */
    private static final double SPLIT = 134_217_729.0;

    static {
        MathContext precision = new MathContext(60);
        BigDecimal factorial = BigDecimal.ONE;
        for (int n = 0; n <= TERMS; n++) {
            if (n > 0) {
                factorial = factorial.multiply(BigDecimal.valueOf(n));
            }
            BigDecimal inverse = BigDecimal.ONE.divide(factorial, precision);
            double hi = inverse.doubleValue();
            INVERSE_FACTORIAL_HI[n] = hi;
            INVERSE_FACTORIAL_LO[n] = inverse.subtract(new BigDecimal(hi)).doubleValue();
        }
    }

    private Decay() {}

    /**
     * The two doubles bracketing the exact {@code 2^(-age_ms / half_life_ms)}: {@code [nearest, other]} (equal when
     * the exact value is a double). Python's {@code math.pow} is one of them.
     */
    public static double[] bracket(long ageMs, long halfLifeMs) {
        if (halfLifeMs <= 0) {
            throw new IllegalArgumentException("half life must be positive, got " + halfLifeMs + " ms");
        }
        // Python's int / int is the correctly rounded quotient: one IEEE division while both are exact doubles.
        double exponent = Math.abs(ageMs) < (1L << 53)
                ? (double) -ageMs / (double) halfLifeMs
                : -OrjsonFloats.trueDivide(ageMs, halfLifeMs);
        return exp2(exponent);
    }

    /** 2^y as {@code [nearest, other bracketing double]} (y ≤ 0 finite; see the class comment below 2^-1022). */
    static double[] exp2(double y) {
        if (Double.isNaN(y) || y > 0) {
            throw new IllegalArgumentException("decay exponent must be zero or negative, got " + y);
        }
        if (y < -1075) {
            return new double[] {0.0, Double.MIN_VALUE};
        }
        double k = Math.rint(y);
        double f = y - k;
        if (f == 0) {
            double exact = Math.scalb(1.0, (int) k);
            return new double[] {exact, exact};
        }
        // x = f × ln 2 as a double-double
        double[] x = twoProduct(f, LN2_HI);
        x[1] += f * LN2_LO;
        normalize(x);
        // e^x = Σ x^n / n! by Horner's rule, in double-double
        double hi = INVERSE_FACTORIAL_HI[TERMS];
        double lo = INVERSE_FACTORIAL_LO[TERMS];
        for (int n = TERMS - 1; n >= 0; n--) {
            // (hi, lo) = (hi, lo) × x + 1/n!
            double[] product = twoProduct(hi, x[0]);
            product[1] += hi * x[1] + lo * x[0];
            normalize(product);
            double sum = product[0] + INVERSE_FACTORIAL_HI[n];
            double error = twoSumError(product[0], INVERSE_FACTORIAL_HI[n], sum);
            error += product[1] + INVERSE_FACTORIAL_LO[n];
            hi = sum + error;
            lo = error - (hi - sum);
        }
        // hi = fl(hi + lo): the value rounded once to the nearest double; lo's sign: the side of the exact value
        double other = lo > 0 ? Math.nextUp(hi) : lo < 0 ? Math.nextDown(hi) : hi;
        return new double[] {Math.scalb(hi, (int) k), Math.scalb(other, (int) k)};
    }

    /** a × b exactly as hi + lo (Dekker). */
    private static double[] twoProduct(double a, double b) {
        double product = a * b;
        double aSplit = SPLIT * a;
        double aHi = aSplit - (aSplit - a);
        double aLo = a - aHi;
        double bSplit = SPLIT * b;
        double bHi = bSplit - (bSplit - b);
        double bLo = b - bHi;
        double error = ((aHi * bHi - product) + aHi * bLo + aLo * bHi) + aLo * bLo;
        return new double[] {product, error};
    }

    private static double twoSumError(double a, double b, double sum) {
        double bVirtual = sum - a;
        return (a - (sum - bVirtual)) + (b - bVirtual);
    }

    private static void normalize(double[] pair) {
        double sum = pair[0] + pair[1];
        pair[1] = pair[1] - (sum - pair[0]);
        pair[0] = sum;
    }
}
