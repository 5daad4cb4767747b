package dev.kappa.flink.trending;

import java.io.Serializable;

/**
 * Whether a product's recent views make it trend: the decision of {@code flink_app/rules/trending.py}
 * ({@code TrendingRule.evaluate(...).trending}), the reference, in the same double arithmetic in the same order
 * (so the same inputs give the same answer: {@code TrendingRuleTest} has the Python rule tests' cases, and
 * tests/flink_app/sql/test_trending.py compares {@code trend_starts} with the Python rule on random slides).
 *
 * <p>expected = the baseline's view rate over the history it has (at most the baseline, minus the recent
 * window) times the window; trending when the product has {@code min_history} minutes of history, at least
 * {@code min_views} recent views, and (recent + 1) / (expected + 1) reaches the threshold.
 */
public final class TrendingRule implements Serializable {
    private static final long serialVersionUID = 1L;

    private final long windowMinutes;
    private final long baselineMinutes;
    private final double threshold;
    private final long minViews;
    private final long minHistoryMinutes;

    public TrendingRule(
            long windowMinutes, long baselineMinutes, double threshold, long minViews, long minHistoryMinutes) {
        if (baselineMinutes <= windowMinutes) {
            throw new IllegalArgumentException("baseline_minutes must be longer than window_minutes");
        }
        this.windowMinutes = windowMinutes;
        this.baselineMinutes = baselineMinutes;
        this.threshold = threshold;
        this.minViews = minViews;
        this.minHistoryMinutes = Math.max(minHistoryMinutes, windowMinutes);
    }

    /** {@code baselineTotal}: the views over the whole baseline range, the recent window included. */
    public boolean trending(long recent, long baselineTotal, double historyMinutes) {
        double observed = Math.min(historyMinutes, (double) baselineMinutes) - windowMinutes;
        double expected = observed <= 0 ? 0.0 : Math.max(baselineTotal - recent, 0) / observed * windowMinutes;
        double score = (recent + 1) / (expected + 1);
        return historyMinutes >= minHistoryMinutes && observed > 0 && recent >= minViews && score >= threshold;
    }
}
