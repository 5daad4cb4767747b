package dev.kappa.flink.insights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The decay factor against CPython's math.pow (see {@link Decay} and {@link Goldens}). */
class DecayTest {

    @Test
    void pythonsPowIsAlwaysOneOfTheTwoBracketingDoublesMostlyTheNearest() {
        // GIVEN (age, half life) pairs whose exact 2^y lies within 0.001 ulp of a midpoint between two doubles
        // (where C pow implementations part) and 2,000 ordinary ones, with this machine's Python result
        int pairs = 0;
        int nearest = 0;
        for (String[] row : Goldens.rows("decay.tsv")) {
            double python = Goldens.doubleOfBits(row[2]);
            double[] bracket = Decay.bracket(Long.parseLong(row[0]), Long.parseLong(row[1]));
            // THEN Python's is one of the two, so checking both covers it
            assertTrue(bracket[0] == python || bracket[1] == python, () -> String.join(" ", row));
            assertTrue(Math.abs(bracket[0] - bracket[1]) <= Math.ulp(bracket[0]));
            pairs++;
            nearest += bracket[0] == python ? 1 : 0;
        }
        // AND the nearest is Python's in most cases even among the hard ones
        assertTrue(nearest > pairs / 2, nearest + " of " + pairs);
    }

    @Test
    void exactPowersOfTwoAreExact() {
        double[] one = Decay.bracket(0, 60_000);
        assertEquals(1.0, one[0]);
        assertEquals(1.0, one[1]);
        assertEquals(0.5, Decay.bracket(60_000, 60_000)[0]);
        assertEquals(0.25, Decay.bracket(120_000, 60_000)[1]);
    }
}
