package dev.kappa.flink.affinity;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The item-to-item affinity model's rule: which update slice a co-occurrence counts in, which model versions a
 * slice belongs to, a neighbor's decayed score in a version, and the ranked neighbors a version lists.
 *
 * <p>It is the rule of the three SQL views it replaced (flink_app/sql/recommendations.py before issue 15):
 *
 * <ol>
 *   <li>{@code affinity_slices}: {@code TUMBLE(at, update)}, {@code SUM(weight)} per (a, b, slice). A slice is
 *       {@code [end - update, end)}, aligned to the epoch ({@code TimeWindow.getWindowStartWithOffset}, offset 0;
 *       the job's session time zone is UTC, so no shift). Its rows carry {@code slice_time = end - 1}.
 *   <li>{@code affinity_scores}: {@code HOP(slice_time, update, horizon)}: the version ending at {@code E} (a
 *       multiple of update) holds the slices whose end is in {@code (E - horizon, E]}; a version exists for a
 *       pair when at least one of its slices is in it (a HOP window aggregate emits non-empty windows only). The
 *       score is the SUM over those slices of {@code CAST(weight * 2^(-age / half_life) AS DECIMAL(20, 6))} with
 *       {@code age = E - slice end} in whole seconds ({@link FlinkDecimalArithmetic}); kept when {@code >=
 *       min_support}.
 *   <li>{@code affinity_model}: window Top-N, {@code ROW_NUMBER() OVER (PARTITION BY window, a ORDER BY score
 *       DESC, b ASC) <= candidates}, listed by {@code LISTAGG(CONCAT(b, ',', CAST(score AS STRING)), ';')}; a
 *       product has no version when none of its neighbors reaches min_support.
 * </ol>
 *
 * <p>Ties in score are broken by the neighbor id in Flink's STRING order ({@code BinaryStringData.compareTo}:
 * unsigned UTF-8 bytes). The neighbors are listed best first; the Python reader sorts them again anyway.
 */
public final class AffinityRule {

    private static final Comparator<ScoredNeighbor> BEST_FIRST =
            Comparator.comparing(ScoredNeighbor::score)
                    .reversed()
                    .thenComparing(ScoredNeighbor::neighborUtf8, AffinityRule::compareUnsignedBytes);

    private final long updateMillis;
    private final long horizonMillis;
    private final int halfLifeSeconds;
    private final BigDecimal minSupport;
    private final int candidates;

    /**
     * @param updateMinutes the slice and the model's update period
     * @param horizonMinutes the span of slices a version holds: a positive multiple of updateMinutes
     * @param halfLifeMinutes the decay's half life
     * @param minSupport the least score a neighbor is listed with, a DECIMAL(20, 6)
     * @param candidates the most neighbors a version lists
     */
    public AffinityRule(
            int updateMinutes, int horizonMinutes, int halfLifeMinutes, BigDecimal minSupport, int candidates) {
        if (updateMinutes <= 0 || horizonMinutes <= 0 || horizonMinutes % updateMinutes != 0) {
            throw new IllegalArgumentException(
                    "affinity model: horizon_minutes ("
                            + horizonMinutes
                            + ") must be a positive multiple of update_minutes ("
                            + updateMinutes
                            + ")");
        }
        if (halfLifeMinutes <= 0 || candidates <= 0 || minSupport == null) {
            throw new IllegalArgumentException(
                    "affinity model: half_life_minutes and candidates must be positive and min_support set, got "
                            + halfLifeMinutes
                            + ", "
                            + candidates
                            + ", "
                            + minSupport);
        }
        this.updateMillis = updateMinutes * 60_000L;
        this.horizonMillis = horizonMinutes * 60_000L;
        this.halfLifeSeconds = halfLifeMinutes * 60;
        this.minSupport = minSupport;
        this.candidates = candidates;
    }

    public long updateMillis() {
        return updateMillis;
    }

    /** The end of the update slice holding {@code rowtime} (Flink's tumbling slice assignment, offset 0). */
    public long sliceEnd(long rowtime) {
        long start = rowtime - (rowtime + updateMillis) % updateMillis;
        return start + updateMillis;
    }

    /** The ends of every version holding the slice: {@code sliceEnd, sliceEnd + update, ...}, horizon / update. */
    public long[] versionEnds(long sliceEnd) {
        int count = (int) (horizonMillis / updateMillis);
        long[] ends = new long[count];
        for (int i = 0; i < count; i++) {
            ends[i] = sliceEnd + i * updateMillis;
        }
        return ends;
    }

    /** Whether the version ending at {@code versionEnd} holds the slice ending at {@code sliceEnd}. */
    public boolean inVersion(long sliceEnd, long versionEnd) {
        return sliceEnd <= versionEnd && sliceEnd > versionEnd - horizonMillis;
    }

    /** Whether no version after the one ending at {@code versionEnd} holds the slice. */
    public boolean expiresWith(long sliceEnd, long versionEnd) {
        return sliceEnd <= versionEnd + updateMillis - horizonMillis;
    }

    /**
     * A neighbor's score in a version from its slice sums (slice end → DECIMAL(38, 4) sum); null when none of
     * its slices is in the version, or every term is null.
     */
    public BigDecimal score(Map<Long, BigDecimal> sliceSums, long versionEnd) {
        BigDecimal score = null;
        for (Map.Entry<Long, BigDecimal> slice : sliceSums.entrySet()) {
            long sliceEnd = slice.getKey();
            if (!inVersion(sliceEnd, versionEnd)) {
                continue;
            }
            // TIMESTAMPDIFF(SECOND, slice_time, window_time): both are "end - 1 ms", whole updates apart.
            long ageSeconds = (versionEnd - sliceEnd) / 1000;
            score = FlinkDecimalArithmetic.addTerm(
                    score, FlinkDecimalArithmetic.decayedTerm(slice.getValue(), ageSeconds, halfLifeSeconds));
        }
        return score;
    }

    /** Whether a score is listed: {@code score >= min_support} (a null score never is). */
    public boolean supported(BigDecimal score) {
        return score != null && score.compareTo(minSupport) >= 0;
    }

    /**
     * The version's {@code neighbors} text, {@code b,score;b,score...} best first, at most {@code candidates}
     * entries; null when no neighbor is listed (the product then has no row for this version).
     */
    public String neighborsText(List<ScoredNeighbor> supported) {
        if (supported.isEmpty()) {
            return null;
        }
        List<ScoredNeighbor> ranked = new ArrayList<>(supported);
        ranked.sort(BEST_FIRST);
        StringBuilder text = new StringBuilder();
        int listed = Math.min(candidates, ranked.size());
        for (int i = 0; i < listed; i++) {
            ScoredNeighbor neighbor = ranked.get(i);
            if (i > 0) {
                text.append(';');
            }
            text.append(neighbor.neighbor()).append(',').append(FlinkDecimalArithmetic.scoreText(neighbor.score()));
        }
        return text.toString();
    }

    static int compareUnsignedBytes(byte[] left, byte[] right) {
        int common = Math.min(left.length, right.length);
        for (int i = 0; i < common; i++) {
            int difference = (left[i] & 0xFF) - (right[i] & 0xFF);
            if (difference != 0) {
                return difference;
            }
        }
        return left.length - right.length;
    }

    /** A neighbor and its score in one version. */
    public static final class ScoredNeighbor {
        private final String neighbor;
        private final BigDecimal score;
        private byte[] neighborUtf8;

        public ScoredNeighbor(String neighbor, BigDecimal score) {
            this.neighbor = neighbor;
            this.score = score;
        }

        public String neighbor() {
            return neighbor;
        }

        public BigDecimal score() {
            return score;
        }

        byte[] neighborUtf8() {
            if (neighborUtf8 == null) {
                neighborUtf8 = neighbor.getBytes(StandardCharsets.UTF_8);
            }
            return neighborUtf8;
        }
    }
}
