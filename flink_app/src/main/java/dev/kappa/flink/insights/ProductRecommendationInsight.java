package dev.kappa.flink.insights;

import dev.kappa.flink.CodePoints;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The {@code product_recommendation} insight of one trigger and model version, byte for byte what the Python
 * reference writes ({@code rules.recommendations.recommend_for_trigger} and {@code
 * rules.insights.recommendation_insight}, what the UDF {@code udfs.RecommendationInsights} called before Java), or
 * none.
 *
 * <p>The model's neighbors ({@code product_id,score;...}) decay by {@code 2^(-age / half_life)}, age = trigger
 * time - model version (at least 0); those at or above {@code min_support} that are not the trigger product are
 * candidates; the best {@code top_k} (score descending, product id by code point on ties; ids are ASCII per the
 * event contract, where code point and UTF-16 order agree) not in the cart at the trigger's time ({@link
 * CartAbandonment#productsInCartAt}) are recommended, with the score rounded to 4 decimals. No candidate or nothing chosen: no insight.
 * Key: (user_id, trigger event id); occurred_at = the trigger's time.
 *
 * <p>The decay factor may be one ulp off CPython's {@code math.pow} ({@link Decay}). The payload is built with
 * both doubles that can be Python's; they give the same text but with odds far below one in a billion per score
 * (a 4-decimal midpoint or {@code min_support} within an ulp of a decayed score; scores are 6-decimal numbers, so
 * two distinct ones never tie after a normal decay factor), or when the factor is below 2^-1022 (over 1,022 half
 * lives) and min_support is 0, where the order of candidates that all print 0.0 can hang on the last bit. Where
 * they differ, the nearest double's text is written (what glibc returns in all but ~0.1 % of inputs) and {@link
 * #ambiguousPayloads} counts it.
 */
public final class ProductRecommendationInsight {
    public static final String TYPE = "product_recommendation";

    private static final Comparator<Neighbor> BEST_FIRST = (a, b) -> a.score > b.score
            ? -1
            : a.score < b.score ? 1 : CodePoints.compare(a.productId, b.productId);

    private final int topK;
    private final double minSupport;
    private final long halfLifeMs;
    private final CartAbandonment carts;
    private final InsightIds ids = new InsightIds();
    private long ambiguousPayloads;

    /** The trigger and the model version it met (a row of the interval join, flink_app/sql/recommendations.py). */
    public static final class Trigger {
        public String userId;
        public String sessionId;
        public String eventId;
        public String eventType;
        public String productId;
        public long tsMs;
        public String cartHistory;
        public String neighbors;
        public long versionMs;
    }

    private static final class Neighbor {
        final String productId;
        final double score;

        Neighbor(String productId, double score) {
            this.productId = productId;
            this.score = score;
        }
    }

    public ProductRecommendationInsight(int topK, double minSupport, long halfLifeMs, long abandonAfterMs) {
        this.topK = topK;
        this.minSupport = minSupport;
        this.halfLifeMs = halfLifeMs;
        this.carts = new CartAbandonment(abandonAfterMs);
    }

    public boolean hasSettings(int topK, double minSupport, long halfLifeMs, long abandonAfterMs) {
        return this.topK == topK
                && Double.compare(this.minSupport, minSupport) == 0
                && this.halfLifeMs == halfLifeMs
                && carts.abandonAfterMs() == abandonAfterMs;
    }

    /** Payloads whose text depended on which of the two possible decay factors Python's pow returned. */
    public long ambiguousPayloads() {
        return ambiguousPayloads;
    }

    /** The insight's JSON, or null when nothing is recommended. */
    public String json(Trigger trigger, String jobVersion, String emittedAt) {
        List<Neighbor> neighbors = decodeNeighbors(trigger.neighbors);
        double[] factors = Decay.bracket(Math.max(trigger.tsMs - trigger.versionMs, 0), halfLifeMs);
        List<Neighbor> candidates = candidates(neighbors, trigger.productId, factors[0]);
        if (candidates.isEmpty()) {
            checkSame(true, candidates(neighbors, trigger.productId, factors[1]).isEmpty());
            return null;
        }
        Set<String> inCart = carts.productsInCartAt(trigger.cartHistory, trigger.tsMs);
        String recommendations = recommendations(candidates, trigger.productId, inCart);
        if (factors[1] != factors[0]) {
            List<Neighbor> alternative = candidates(neighbors, trigger.productId, factors[1]);
            checkSame(
                    recommendations,
                    alternative.isEmpty() ? null : recommendations(alternative, trigger.productId, inCart));
        }
        if (recommendations == null) {
            return null;
        }
        String insightId = ids.id(TYPE, trigger.userId, trigger.eventId);
        JsonWriter json = InsightEnvelope.open(insightId, TYPE, Rfc3339.format(trigger.tsMs), emittedAt, jobVersion)
                .beginObject()
                .name("session_id")
                .value(trigger.sessionId)
                .name("trigger_product_id")
                .value(trigger.productId)
                .name("trigger_event_type")
                .value(trigger.eventType)
                .name("model_version")
                .value(Rfc3339.format(trigger.versionMs))
                .name("recommendations")
                .number(recommendations)
                .endObject();
        return InsightEnvelope.close(json, trigger.userId);
    }

    private void checkSame(Object expected, Object alternative) {
        if (expected == null ? alternative != null : !expected.equals(alternative)) {
            ambiguousPayloads++;
        }
    }

    /** Decayed neighbors at or above min_support, not the trigger product, best first. */
    private List<Neighbor> candidates(List<Neighbor> neighbors, String triggerProductId, double factor) {
        List<Neighbor> candidates = new ArrayList<>(neighbors.size());
        for (Neighbor neighbor : neighbors) {
            double score = neighbor.score * factor;
            if (score >= minSupport && !neighbor.productId.equals(triggerProductId)) {
                candidates.add(new Neighbor(neighbor.productId, score));
            }
        }
        candidates.sort(BEST_FIRST);
        return candidates;
    }

    /** The {@code recommendations} array's text, or null when every candidate is the trigger or in the cart. */
    private String recommendations(List<Neighbor> candidates, String triggerProductId, Set<String> inCart) {
        JsonWriter json = new JsonWriter().beginArray();
        int chosen = 0;
        for (Neighbor candidate : candidates) {
            if (candidate.productId.equals(triggerProductId) || inCart.contains(candidate.productId)) {
                continue;
            }
            json.beginObject()
                    .name("product_id")
                    .value(candidate.productId)
                    .name("score")
                    .number(OrjsonFloats.round(candidate.score, 4))
                    .endObject();
            chosen++;
            if (chosen == topK) {
                break;
            }
        }
        return chosen == 0 ? null : json.endArray().toString();
    }

    /** {@code rules.lines.decode_neighbors}: {@code product_id,score;...}, best first. */
    private static List<Neighbor> decodeNeighbors(String text) {
        List<Neighbor> neighbors = new ArrayList<>();
        if (text == null || text.isEmpty()) {
            return neighbors;
        }
        for (String record : InsightEnvelope.split(text, ';')) {
            if (record.isEmpty()) {
                continue;
            }
            String[] fields = InsightEnvelope.split(record, ',');
            if (fields.length != 2) {
                throw new IllegalArgumentException(
                        "neighbor '" + record + "' is not 'product_id,score' (flink_app/sql/recommendations.py)");
            }
            neighbors.add(new Neighbor(fields[0], Double.parseDouble(fields[1])));
        }
        neighbors.sort(BEST_FIRST);
        return neighbors;
    }
}
