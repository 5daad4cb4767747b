package dev.kappa.flink.insights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The product_recommendation insight against the Python reference (rules.recommendations, see {@link Goldens}). */
class ProductRecommendationInsightTest {
    private static final String EMITTED_AT = "2026-12-07T00:00:00.000Z";
    private static final long T0 = 1_767_225_600_000L;
    private static final long MINUTE = 60_000L;
    /** RECOMMENDATION_OPTIONS of tests/flink_app/java_insight_goldens.py. */
    private static final ProductRecommendationInsight[] OPTIONS = {
        new ProductRecommendationInsight(5, 1.0, 240 * MINUTE, 30 * MINUTE),
        new ProductRecommendationInsight(2, 0.3, 120 * MINUTE, MINUTE),
        new ProductRecommendationInsight(1, 0.0, 7 * MINUTE, 5 * MINUTE),
    };

    private static ProductRecommendationInsight.Trigger trigger(
            String productId, long tsMs, String cartHistory, String neighbors, long versionMs) {
        ProductRecommendationInsight.Trigger trigger = new ProductRecommendationInsight.Trigger();
        trigger.userId = "u-1";
        trigger.sessionId = "s1";
        trigger.eventId = "e1";
        trigger.eventType = "product_view";
        trigger.productId = productId;
        trigger.tsMs = tsMs;
        trigger.cartHistory = cartHistory;
        trigger.neighbors = neighbors;
        trigger.versionMs = versionMs;
        return trigger;
    }

    @Test
    void theInsightsAreByteForByteThePythonReferences() {
        // GIVEN 900 random triggers over three configurations: ties, exact min_support scores, the trigger among
        // the neighbors, same-millisecond cart changes, changes after the trigger, abandoned carts, None and ""
        int insights = 0;
        for (String[] row : Goldens.rows("recommendations.tsv")) {
            ProductRecommendationInsight rule = OPTIONS[Integer.parseInt(row[0])];
            ProductRecommendationInsight.Trigger trigger = trigger(
                    row[5], Long.parseLong(row[6]), Goldens.nullable(row[7]), Goldens.nullable(row[8]),
                    Long.parseLong(row[9]));
            trigger.userId = row[1];
            trigger.sessionId = row[2];
            trigger.eventId = row[3];
            trigger.eventType = row[4];
            // THEN the same insight, or none when Python wrote none
            String json = rule.json(trigger, "v-golden", EMITTED_AT);
            assertEquals(Goldens.nullable(row[10]), json, () -> String.join(" ", row));
            insights += row[10].equals("\\N") ? 0 : 1;
        }
        assertTrue(insights > 300, insights + " insights: the goldens must exercise the output");
        // AND no text hung on the last bit of the decay factor, but with min_support 0 and factors below 2^-1022
        // (the third configuration: 7-minute half life, ages up to 10^9 ms), see ProductRecommendationInsight
        assertEquals(0, OPTIONS[0].ambiguousPayloads());
        assertEquals(0, OPTIONS[1].ambiguousPayloads());
    }

    @Test
    void whatIsInTheCartIsLeftOutAndScoresFadeWithTheModelAge() {
        // GIVEN top 2, min support 1.0, half life 6 h; the cart holds p-b
        ProductRecommendationInsight rule = new ProductRecommendationInsight(2, 1.0, 360 * MINUTE, 30 * MINUTE);
        String history = (T0 - MINUTE) + ",a,e0,s1,p-b,1,100,EUR";
        String json = rule.json(trigger("p-a", T0, history, "p-b,9.0;p-c,4.0;p-d,2.0;p-e,1.5", T0), "v9", EMITTED_AT);
        assertTrue(json.contains("\"recommendations\":[{\"product_id\":\"p-c\",\"score\":4.0},"
                + "{\"product_id\":\"p-d\",\"score\":2.0}]"), json);
        // WHEN six hours pass: 1.5 → 0.75 < min support
        assertNull(rule.json(trigger("p-a", T0 + 360 * MINUTE, null, "p-e,1.5", T0), "v9", EMITTED_AT));
    }

    @Test
    void aSameMillisecondPurchaseSettlesTheCartBeforeAnAdd() {
        ProductRecommendationInsight rule = new ProductRecommendationInsight(5, 1.0, 60 * MINUTE, 30 * MINUTE);
        // the add is listed first but the purchase (same ms) comes first: p-b stays in the cart
        String history = T0 + ",a,e2,s1,p-b,1,100,EUR;" + T0 + ",p,e1,s1,,0,0,";
        String json = rule.json(trigger("p-a", T0, history, "p-b,9.0;p-c,2.0", T0), "v1", EMITTED_AT);
        assertTrue(json.contains("\"recommendations\":[{\"product_id\":\"p-c\",\"score\":2.0}]"), json);
    }

    @Test
    void aPayloadThatHangsOnTheLastBitOfTheDecayIsCounted() {
        // GIVEN min support 0 and a factor of 2^-1100 (0 or the least subnormal: Python's pow may give either)
        ProductRecommendationInsight rule = new ProductRecommendationInsight(5, 0.0, MINUTE, 30 * MINUTE);
        String json = rule.json(trigger("p-a", T0 + 1_100 * MINUTE, null, "p-c,2.0;p-b,1.0", T0), "v1", EMITTED_AT);
        // THEN with 0 both score 0.0 and tie (order by id), with the subnormal p-c comes first: counted
        assertTrue(json.contains("[{\"product_id\":\"p-b\",\"score\":0.0},{\"product_id\":\"p-c\""), json);
        assertEquals(1, rule.ambiguousPayloads());
    }

    @Test
    void malformedLinesFailAsPythonsDecodingDoes() {
        ProductRecommendationInsight rule = new ProductRecommendationInsight(5, 1.0, 60 * MINUTE, 30 * MINUTE);
        assertThrows(IllegalArgumentException.class,
                () -> rule.json(trigger("p-a", T0, null, "p-b,1.0,2", T0), "v1", EMITTED_AT));
        assertThrows(IllegalArgumentException.class,
                () -> rule.json(trigger("p-a", T0, T0 + ",x,e,s,p,1,1,EUR", "p-b,9.0", T0), "v1", EMITTED_AT));
    }
}
