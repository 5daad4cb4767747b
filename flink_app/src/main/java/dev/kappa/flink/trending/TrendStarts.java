package dev.kappa.flink.trending;

import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.types.Row;

/**
 * {@code trend_starts}: per product (PARTITION BY product_id), its slides' trend statistic and the slides that
 * start a trend, which {@code trending_insight} turns into a {@code trending_product} insight.
 *
 * <pre>
 *   SELECT ... FROM trend_starts(
 *     input => TABLE product_slides PARTITION BY product_id,
 *     window_minutes => 10, slide_minutes => 5, baseline_minutes => 120, threshold => 3.0, min_views => 20,
 *     min_history_minutes => 30)
 * </pre>
 *
 * <p>Input: one row per product and slide with views (slide_end_ms, views, carts), from the slides' window
 * aggregate. Output (after product_id): the slides that start a trend, with the figures the insight reports.
 * It replaces four OVER windows per product, each behind its own shuffle (the first slide, the trend window's
 * sums, the baseline's sum, the row before for the run start) and a Python call per slide that can trend: one
 * keyed state read and write per slide ({@link TrendHistory}, the rule in {@link TrendingRule}).
 *
 * <p>State: a value state with the job's state TTL ({@code table.exec.state.ttl}, processing time), as the OVER
 * windows' state had: a product without a slide for that long starts again (no first slide, no slide before).
 * Rows are used as they arrive: a window aggregate emits a product's slides in time order, so there is no
 * event time to wait for.
 */
@DataTypeHint(
        "ROW<slide_end_ms BIGINT, recent INT, recent_carts INT, baseline_total INT, history_ms BIGINT>")
public class TrendStarts extends ProcessTableFunction<Row> {
    private static final long serialVersionUID = 1L;
    private static final long MINUTE_MS = 60_000;

    private transient TrendHistory.Frames frames;
    private transient TrendingRule rule;

    public void eval(
            @StateHint TrendHistory history,
            @ArgumentHint(ArgumentTrait.SET_SEMANTIC_TABLE) Row input,
            @ArgumentHint(name = "window_minutes") Long windowMinutes,
            @ArgumentHint(name = "slide_minutes") Long slideMinutes,
            @ArgumentHint(name = "baseline_minutes") Long baselineMinutes,
            @ArgumentHint(name = "threshold") Double threshold,
            @ArgumentHint(name = "min_views") Long minViews,
            @ArgumentHint(name = "min_history_minutes") Long minHistoryMinutes) {
        if (rule == null) { // the arguments are the call's constants: the same on every call
            frames = new TrendHistory.Frames(windowMinutes * MINUTE_MS, slideMinutes * MINUTE_MS,
                    baselineMinutes * MINUTE_MS);
            rule = new TrendingRule(windowMinutes, baselineMinutes, threshold, minViews, minHistoryMinutes);
        }
        TrendHistory.Slide slide =
                history.add(
                        input.<Long>getFieldAs("slide_end_ms"),
                        orZero(input.getFieldAs("views")),
                        orZero(input.getFieldAs("carts")),
                        frames,
                        rule);
        if (slide.startsTrend) {
            collect(Row.of(slide.slideEndMs, slide.recent, slide.recentCarts, slide.baselineTotal, slide.historyMs));
        }
    }

    private static int orZero(Integer value) {
        return value == null ? 0 : value;
    }
}
