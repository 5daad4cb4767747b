package dev.kappa.flink.affinity;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.types.Row;

/**
 * The affinity model as one keyed operator: SQL function {@code affinity_versions} (flink_app/java_functions.py),
 * partitioned by product, whose rows are the view {@code affinity_model}.
 *
 * <pre>{@code
 * SELECT a AS product_id, rowtime AS version_time, version_ms, neighbors
 * FROM affinity_versions(input => TABLE affinity_pairs PARTITION BY a, on_time => DESCRIPTOR(at),
 *   update_minutes => 60, horizon_minutes => 720, half_life_minutes => 240,
 *   min_support => CAST(1.0 AS DECIMAL(20, 6)), candidates => 10)
 * }</pre>
 *
 * <p>It replaces the views {@code affinity_slices} (TUMBLE), {@code affinity_scores} (HOP) and {@code
 * affinity_model} (window Top-N + LISTAGG) and emits exactly their rows: one per product and version, at the
 * version's {@code window_time} (its end - 1 ms, the rowtime of a row collected on the timer), {@code version_ms}
 * = the version's end, {@code neighbors} = {@code b,score;...}. The rule is {@link AffinityRule}; this class only
 * holds the state and the timers:
 *
 * <ul>
 *   <li>{@code sums}: neighbor → (slice end → DECIMAL(38, 4) sum of the pairs' weights);
 *   <li>{@code model}: the call's arguments (a timer has no access to them) and the slices whose version timers
 *       are registered;
 *   <li>a pair at or behind the watermark never reaches eval() (Flink's {@code ProcessTableRunner.processEval}
 *       drops it), where the TUMBLE dropped only a row of an already fired slice ({@code
 *       TimeWindowUtil.isWindowFired}); no pair of the job is at or behind the watermark (docs/flink-job.md), so
 *       both keep every pair;
 *   <li>the first pair of a slice registers one event-time timer per version holding it ({@code end - 1}); a timer
 *       fires when the watermark passes the version's end - 1, as the HOP window did, and at the end of a bounded
 *       input every pending timer fires in time order, as every pending window did. Timers are registered ahead
 *       because a timer can only emit at its own time and a timer at or behind the watermark is not registered.
 * </ul>
 *
 * <p>State is kept without TTL ({@code ttl = "0"}, not the job's {@code table.exec.state.ttl}): like the window
 * operators it replaces, it is cleaned by event time (a slice is removed after the last version holding it).
 */
@DataTypeHint("ROW<version_ms BIGINT, neighbors STRING>")
public class AffinityModelFunction extends ProcessTableFunction<Row> {

    private static final long serialVersionUID = 1L;

    /** The call's arguments and the slices with registered timers. */
    public static class ModelState {
        public Integer updateMinutes;
        public Integer horizonMinutes;
        public Integer halfLifeMinutes;
        public Integer candidates;

        @DataTypeHint("DECIMAL(20, 6)")
        public BigDecimal minSupport;

        /** Ends of the slices whose versions have timers (those no later version holds are removed). */
        public Long[] slices;
    }

    private transient AffinityRule rule;
    private transient ModelState ruleOf;

    public void eval(
            Context ctx,
            @StateHint(ttl = "0") ModelState model,
            @StateHint(ttl = "0", type = @DataTypeHint("MAP<STRING, MAP<BIGINT, DECIMAL(38, 4)>>"))
                    MapView<String, Map<Long, BigDecimal>> sums,
            @ArgumentHint({ArgumentTrait.SET_SEMANTIC_TABLE, ArgumentTrait.REQUIRE_ON_TIME}) Row input,
            @ArgumentHint(name = "update_minutes") Integer updateMinutes,
            @ArgumentHint(name = "horizon_minutes") Integer horizonMinutes,
            @ArgumentHint(name = "half_life_minutes") Integer halfLifeMinutes,
            @ArgumentHint(name = "min_support", type = @DataTypeHint("DECIMAL(20, 6)")) BigDecimal minSupport,
            @ArgumentHint(name = "candidates") Integer candidates)
            throws Exception {
        model.updateMinutes = updateMinutes;
        model.horizonMinutes = horizonMinutes;
        model.halfLifeMinutes = halfLifeMinutes;
        model.minSupport = minSupport;
        model.candidates = candidates;
        AffinityRule rule = ruleFor(model);

        // Flink calls eval() only for a row ahead of the watermark (ProcessTableRunner.processEval drops the
        // others), so the row's slice has not fired: end - 1 >= rowtime > watermark.
        TimeContext<Long> time = ctx.timeContext(Long.class);
        long sliceEnd = rule.sliceEnd(time.time());
        String neighbor = input.getFieldAs("b");
        BigDecimal weight = input.getFieldAs("weight");
        Map<Long, BigDecimal> slices = sums.get(neighbor);
        if (slices == null) {
            slices = new HashMap<>();
        }
        slices.put(sliceEnd, FlinkDecimalArithmetic.addWeight(slices.get(sliceEnd), weight));
        sums.put(neighbor, slices);

        if (!contains(model.slices, sliceEnd)) {
            model.slices = append(model.slices, sliceEnd);
            for (long versionEnd : rule.versionEnds(sliceEnd)) {
                time.registerOnTime(versionEnd - 1);
            }
        }
    }

    public void onTimer(OnTimerContext ctx, ModelState model, MapView<String, Map<Long, BigDecimal>> sums)
            throws Exception {
        AffinityRule rule = ruleFor(model);
        long versionEnd = ctx.timeContext(Long.class).time() + 1;

        List<AffinityRule.ScoredNeighbor> supported = new ArrayList<>();
        Map<String, Map<Long, BigDecimal>> pruned = new HashMap<>();
        for (Map.Entry<String, Map<Long, BigDecimal>> entry : sums.entries()) {
            Map<Long, BigDecimal> slices = entry.getValue();
            BigDecimal score = rule.score(slices, versionEnd);
            if (rule.supported(score)) {
                supported.add(new AffinityRule.ScoredNeighbor(entry.getKey(), score));
            }
            if (slices.keySet().stream().anyMatch(end -> rule.expiresWith(end, versionEnd))) {
                Map<Long, BigDecimal> kept = new HashMap<>(slices);
                kept.keySet().removeIf(end -> rule.expiresWith(end, versionEnd));
                pruned.put(entry.getKey(), kept);
            }
        }
        for (Map.Entry<String, Map<Long, BigDecimal>> entry : pruned.entrySet()) {
            if (entry.getValue().isEmpty()) {
                sums.remove(entry.getKey());
            } else {
                sums.put(entry.getKey(), entry.getValue());
            }
        }
        model.slices = withoutExpired(model.slices, rule, versionEnd);

        String neighbors = rule.neighborsText(supported);
        if (neighbors != null) {
            collect(Row.of(versionEnd, neighbors));
        }
        if (model.slices == null) {
            ctx.clearAllState();
        }
    }

    private AffinityRule ruleFor(ModelState model) {
        if (rule == null
                || !model.updateMinutes.equals(ruleOf.updateMinutes)
                || !model.horizonMinutes.equals(ruleOf.horizonMinutes)
                || !model.halfLifeMinutes.equals(ruleOf.halfLifeMinutes)
                || !model.candidates.equals(ruleOf.candidates)
                || model.minSupport.compareTo(ruleOf.minSupport) != 0) {
            rule = new AffinityRule(
                    model.updateMinutes,
                    model.horizonMinutes,
                    model.halfLifeMinutes,
                    model.minSupport,
                    model.candidates);
            ruleOf = new ModelState();
            ruleOf.updateMinutes = model.updateMinutes;
            ruleOf.horizonMinutes = model.horizonMinutes;
            ruleOf.halfLifeMinutes = model.halfLifeMinutes;
            ruleOf.candidates = model.candidates;
            ruleOf.minSupport = model.minSupport;
        }
        return rule;
    }

    private static boolean contains(Long[] slices, long sliceEnd) {
        if (slices != null) {
            for (Long slice : slices) {
                if (slice == sliceEnd) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Long[] append(Long[] slices, long sliceEnd) {
        int length = slices == null ? 0 : slices.length;
        Long[] grown = new Long[length + 1];
        if (slices != null) {
            System.arraycopy(slices, 0, grown, 0, length);
        }
        grown[length] = sliceEnd;
        return grown;
    }

    /** The slices a later version still holds; null when none. */
    private static Long[] withoutExpired(Long[] slices, AffinityRule rule, long versionEnd) {
        if (slices == null) {
            return null;
        }
        List<Long> kept = new ArrayList<>(slices.length);
        for (Long slice : slices) {
            if (!rule.expiresWith(slice, versionEnd)) {
                kept.add(slice);
            }
        }
        return kept.isEmpty() ? null : kept.toArray(new Long[0]);
    }
}
