package dev.kappa.flink.trending;

import java.util.Arrays;

/**
 * One product's slides as the trend statistic reads them, kept as process-table-function state (public fields:
 * a structured type): the slides of the baseline range (their end, views and carts), the end of the first slide
 * the product ever had, and whether its last slide trended.
 *
 * <p>{@link #add} is what the SQL chain it replaced computed per slide (flink_app/sql/trending.py before it: four
 * OVER windows per product): the views and carts of the slides in the trend window, the views in the baseline
 * range, the history since the first slide, the rule's decision, and whether this slide starts a trend (it trends
 * and the slide before it did not; a product's first slide starts nothing).
 */
public class TrendHistory {
    public long firstSlideEndMs;
    public boolean lastTrending;
    /**
     * The slides in the baseline range, oldest first: end (ms), views, carts. Empty only for a product without a
     * slide yet (new, or its state expired under the job's state TTL): the latest slide is always in range.
     */
    public long[] slideEnds = new long[0];

    public int[] views = new int[0];
    public int[] carts = new int[0];

    public TrendHistory() {}

    /** A slide's figures, and whether it starts a trend. */
    public static final class Slide {
        public final long slideEndMs;
        public final int recent;
        public final int recentCarts;
        public final int baselineTotal;
        public final long historyMs;
        public final boolean trending;
        public final boolean startsTrend;

        Slide(long slideEndMs, int recent, int recentCarts, int baselineTotal, long historyMs, boolean trending,
                boolean startsTrend) {
            this.slideEndMs = slideEndMs;
            this.recent = recent;
            this.recentCarts = recentCarts;
            this.baselineTotal = baselineTotal;
            this.historyMs = historyMs;
            this.trending = trending;
            this.startsTrend = startsTrend;
        }
    }

    /** The frames, in milliseconds of slide end: the slides within {@code windowMs} and {@code baselineMs}. */
    public static final class Frames {
        final long windowMs;
        final long slideMs;
        final long baselineMs;

        public Frames(long windowMs, long slideMs, long baselineMs) {
            if (slideMs <= 0 || windowMs < slideMs || baselineMs < windowMs) {
                throw new IllegalArgumentException(
                        "trend frames need 0 < slide <= window <= baseline, got slide " + slideMs + " window "
                                + windowMs + " baseline " + baselineMs);
            }
            this.windowMs = windowMs;
            this.slideMs = slideMs;
            this.baselineMs = baselineMs;
        }
    }

    /**
     * Adds the product's next slide (slides arrive in time order: a window's results, per product, as the
     * watermark passes them) and evaluates it. A slide's frame holds the slides whose end is at most
     * {@code window - slide} (trend window) or {@code baseline - slide} (baseline) before its own, itself
     * included: SQL's {@code RANGE BETWEEN ... PRECEDING AND CURRENT ROW}.
     */
    public Slide add(long slideEndMs, int slideViews, int slideCarts, Frames frames, TrendingRule rule) {
        boolean first = slideEnds.length == 0;
        if (first) {
            firstSlideEndMs = slideEndMs;
        }
        keepSince(slideEndMs - (frames.baselineMs - frames.slideMs));
        append(slideEndMs, slideViews, slideCarts);
        long recentFrom = slideEndMs - (frames.windowMs - frames.slideMs);
        int recent = 0;
        int recentCarts = 0;
        int baselineTotal = 0;
        for (int i = 0; i < slideEnds.length; i++) {
            baselineTotal += views[i];
            if (slideEnds[i] >= recentFrom) {
                recent += views[i];
                recentCarts += carts[i];
            }
        }
        long historyMs = slideEndMs - firstSlideEndMs + frames.slideMs;
        boolean trending = rule.trending(recent, baselineTotal, historyMs / 60_000.0);
        boolean startsTrend = trending && !first && !lastTrending;
        lastTrending = trending;
        return new Slide(slideEndMs, recent, recentCarts, baselineTotal, historyMs, trending, startsTrend);
    }

    private void keepSince(long fromMs) {
        int drop = 0;
        while (drop < slideEnds.length && slideEnds[drop] < fromMs) {
            drop++;
        }
        if (drop > 0) {
            slideEnds = Arrays.copyOfRange(slideEnds, drop, slideEnds.length);
            views = Arrays.copyOfRange(views, drop, views.length);
            carts = Arrays.copyOfRange(carts, drop, carts.length);
        }
    }

    private void append(long slideEndMs, int slideViews, int slideCarts) {
        int n = slideEnds.length;
        slideEnds = Arrays.copyOf(slideEnds, n + 1);
        views = Arrays.copyOf(views, n + 1);
        carts = Arrays.copyOf(carts, n + 1);
        slideEnds[n] = slideEndMs;
        views[n] = slideViews;
        carts[n] = slideCarts;
    }
}
