package dev.kappa.flink.trending;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The cases of tests/flink_app/rules/test_trending.py (the Python reference), in Java. */
class TrendingRuleTest {
    private static final TrendingRule RULE = new TrendingRule(10, 60, 3.0, 20, 30);

    @ParameterizedTest(name = "{4}")
    @CsvSource({
        "60, 110, 60, true, 6x the baseline rate with enough views",
        "25, 75, 60, false, 2.5x the baseline is not enough",
        "15, 15, 60, false, below min_views even with no baseline",
        "40, 40, 20, false, not enough history (cold start)",
        "40, 40, 40, true, new product bursting after the warm-up",
        "500, 3000, 60, false, a best seller at its usual rate",
    })
    void decides_as_the_python_rule(long recent, long baselineTotal, double history, boolean trending, String why) {
        assertEquals(trending, RULE.trending(recent, baselineTotal, history), why);
    }

    @Test
    void expected_views_use_only_the_history_the_product_has() {
        // 40 minutes of history: 30 of baseline beside the window, 30 views there: 10 expected, score 31 / 11
        TrendingRule strict = new TrendingRule(10, 60, 31.0 / 11, 20, 30);
        assertEquals(true, strict.trending(30, 60, 40));
        assertEquals(false, new TrendingRule(10, 60, Math.nextUp(31.0 / 11), 20, 30).trending(30, 60, 40));
    }

    @Test
    void min_history_is_at_least_the_window() {
        // min_history 0 is raised to the window (10): 9.99 minutes of history is not enough
        TrendingRule rule = new TrendingRule(10, 60, 1.0, 1, 0);
        assertEquals(false, rule.trending(50, 50, 9.99));
    }

    @Test
    void baseline_must_be_longer_than_window() {
        assertThrows(IllegalArgumentException.class, () -> new TrendingRule(10, 10, 3.0, 20, 30));
    }
}
