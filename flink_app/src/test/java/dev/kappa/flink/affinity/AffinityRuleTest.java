package dev.kappa.flink.affinity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AffinityRuleTest {

    private static final long HOUR = 3_600_000L;

    /** update 60 min, horizon 3 h, half life 60 min, min support 1.0, at most 2 neighbors. */
    private static AffinityRule rule() {
        return new AffinityRule(60, 180, 60, new BigDecimal("1.000000"), 2);
    }

    @Test
    void aRowCountsInTheSliceEndingAtTheNextUpdateBoundary() {
        AffinityRule rule = rule();
        assertEquals(HOUR, rule.sliceEnd(0));
        assertEquals(HOUR, rule.sliceEnd(HOUR - 1));
        assertEquals(2 * HOUR, rule.sliceEnd(HOUR));
    }

    @Test
    void aSliceBelongsToTheVersionsOfTheHorizonStartingAtItsOwnEnd() {
        AffinityRule rule = rule();
        assertArrayEquals(new long[] {HOUR, 2 * HOUR, 3 * HOUR}, rule.versionEnds(HOUR));
        assertTrue(rule.inVersion(HOUR, HOUR));
        assertTrue(rule.inVersion(HOUR, 3 * HOUR));
        assertFalse(rule.inVersion(HOUR, 4 * HOUR));
        assertFalse(rule.inVersion(2 * HOUR, HOUR));
        assertTrue(rule.expiresWith(HOUR, 3 * HOUR));
        assertFalse(rule.expiresWith(HOUR, 2 * HOUR));
    }

    @Test
    void aScoreSumsTheDecayedTermsOfTheVersionsSlicesOnly() {
        // GIVEN sums of 4.0 in slice 1 and 2.0 in slice 2 (and 8.0 in slice 5, after the version)
        Map<Long, BigDecimal> sums = new TreeMap<>();
        sums.put(HOUR, new BigDecimal("4.0000"));
        sums.put(2 * HOUR, new BigDecimal("2.0000"));
        sums.put(5 * HOUR, new BigDecimal("8.0000"));
        // WHEN scored in the version ending at 3 h (half life 1 h)
        // THEN 4 * 2^-2 + 2 * 2^-1 = 2.0, with the DECIMAL(38, 6) scale
        assertEquals("2.000000", FlinkDecimalArithmetic.scoreText(rule().score(sums, 3 * HOUR)));
        // AND a version holding none of its slices gives no score
        assertNull(rule().score(Map.of(HOUR, new BigDecimal("4.0000")), 4 * HOUR));
    }

    @Test
    void minSupportIsInclusiveAndNullNeverPasses() {
        AffinityRule rule = rule();
        assertTrue(rule.supported(new BigDecimal("1.000000")));
        assertFalse(rule.supported(new BigDecimal("0.999999")));
        assertFalse(rule.supported(null));
    }

    @Test
    void neighborsAreListedBestFirstTiesByIdAndCutAtTheCandidates() {
        // GIVEN three neighbors, two tied
        List<AffinityRule.ScoredNeighbor> supported =
                List.of(
                        new AffinityRule.ScoredNeighbor("p-2", new BigDecimal("1.500000")),
                        new AffinityRule.ScoredNeighbor("p-3", new BigDecimal("2.000000")),
                        new AffinityRule.ScoredNeighbor("p-1", new BigDecimal("1.500000")));
        // THEN the best, then the tie's smaller id; the third is beyond the 2 candidates
        assertEquals("p-3,2.000000;p-1,1.500000", rule().neighborsText(supported));
        assertNull(rule().neighborsText(List.of()));
    }

    @Test
    void idsCompareAsUnsignedUtf8Bytes() {
        // Flink's STRING order: "Z" (0x5A) < "a" (0x61) < "é" (0xC3 0xA9)
        byte[] upper = "Z".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] lower = "a".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] accented = "é".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(AffinityRule.compareUnsignedBytes(upper, lower) < 0);
        assertTrue(AffinityRule.compareUnsignedBytes(lower, accented) < 0);
        assertTrue(AffinityRule.compareUnsignedBytes(lower, "ab".getBytes(java.nio.charset.StandardCharsets.UTF_8)) < 0);
    }

    @Test
    void aHorizonThatIsNotAMultipleOfTheUpdateIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new AffinityRule(60, 90, 60, BigDecimal.ONE, 2));
    }
}
