package dev.kappa.flink.insights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cart_abandoned insights against the Python reference (rules.insights.abandoned_cart_insights, see {@link
 * Goldens}).
 */
class AbandonedCartInsightTest {
    private static final String EMITTED_AT = "2026-12-07T00:00:00.000Z";
    private static final long T0 = 1_767_225_600_000L;
    private static final long MINUTE = 60_000L;

    private static String add(long atMs, String eventId, String productId, long quantity, long priceCents) {
        return atMs + ",a," + eventId + ",s-" + eventId + "," + productId + "," + quantity + "," + priceCents + ",EUR";
    }

    @Test
    void theInsightsAreByteForByteThePythonReferencesInTheSameOrder() {
        // GIVEN 900 random cart windows over abandon_after 30 min, 1 min and a week: changes in any order, carts
        // abandoned inside the text, same-millisecond ties, odd quantities and prices, empty fields and records
        int insights = 0;
        int windowsWithSeveral = 0;
        for (String[] row : Goldens.rows("abandoned_carts.tsv")) {
            AbandonedCartInsight rule = new AbandonedCartInsight(Integer.parseInt(row[0]));
            List<String> expected = Arrays.asList(row).subList(3, row.length);
            // WHEN the Java rule writes the window's insights
            List<String> json = rule.json(Goldens.nullable(row[1]), Goldens.nullable(row[2]), "v-golden", EMITTED_AT);
            // THEN the same texts in the same order
            assertEquals(expected, json, () -> String.join(" ", row[0], row[1], row[2]));
            insights += expected.size();
            windowsWithSeveral += expected.size() > 1 ? 1 : 0;
        }
        assertTrue(insights > 500, insights + " insights: the goldens must exercise the output");
        assertTrue(windowsWithSeveral > 50, windowsWithSeveral + " windows with several abandoned carts");
    }

    @Test
    void aCartLeftAloneIsAbandonedAfterTheGapWithItsItemsByProductId() {
        // GIVEN p-b, then p-a twice (the later price wins), listed out of order
        String changes = add(T0 + 2 * MINUTE, "e3", "p-a", 2, 250) + ";" + add(T0, "e1", "p-b", 1, 1999) + ";"
                + add(T0 + MINUTE, "e2", "p-a", 1, 300);
        List<String> json = new AbandonedCartInsight(30).json("u-1", changes, "v1", EMITTED_AT);
        assertEquals(1, json.size());
        assertTrue(json.get(0).contains("\"occurred_at\":\"2026-01-01T00:32:00.000Z\""), json.get(0));
        assertTrue(json.get(0).contains("\"payload\":{\"session_id\":\"s-e3\",\"items\":["
                + "{\"product_id\":\"p-a\",\"quantity\":3,\"price\":2.5},"
                + "{\"product_id\":\"p-b\",\"quantity\":1,\"price\":19.99}],\"value\":27.49,\"currency\":\"EUR\","
                + "\"last_cart_change_at\":\"2026-01-01T00:02:00.000Z\",\"abandon_after_minutes\":30},"
                + "\"user_id\":\"u-1\"}"), json.get(0));
    }

    @Test
    void aChangeExactlyTheGapLaterKeepsTheCartAliveOneMillisecondMoreAbandonsIt() {
        String alive = add(T0, "e1", "p-a", 1, 100) + ";" + add(T0 + 30 * MINUTE, "e2", "p-b", 1, 100);
        String abandoned = add(T0, "e1", "p-a", 1, 100) + ";" + add(T0 + 30 * MINUTE + 1, "e2", "p-b", 1, 100);
        assertEquals(1, new AbandonedCartInsight(30).json("u", alive, "v", EMITTED_AT).size());
        assertEquals(2, new AbandonedCartInsight(30).json("u", abandoned, "v", EMITTED_AT).size());
    }

    @Test
    void aBoughtCartOrNoChangesGiveNothing() {
        String bought = add(T0, "e1", "p-a", 1, 100) + ";" + (T0 + 1) + ",p,e2,s1,,0,0,EUR";
        AbandonedCartInsight rule = new AbandonedCartInsight(30);
        assertEquals(List.of(), rule.json("u", bought, "v", EMITTED_AT));
        // a purchase in the same millisecond settles the cart before the add: the added cart is left
        String sameMillisecond = add(T0, "e1", "p-a", 1, 100) + ";" + T0 + ",p,e2,s1,,0,0,EUR";
        assertEquals(1, rule.json("u", sameMillisecond, "v", EMITTED_AT).size());
        assertEquals(List.of(), rule.json("u", null, "v", EMITTED_AT));
        assertEquals(List.of(), rule.json("u", ";", "v", EMITTED_AT));
    }

    @Test
    void aValueBeyond64BitsIsExact() {
        // 2 × (2^63 - 1) cents: Python's ints do not wrap; from_cents gives the nearest float of the exact sum
        assertEquals("1.8446744073709552e+17",
                AbandonedCartInsight.value(List.of(new Cart.Line("p", 2, Long.MAX_VALUE))));
        assertEquals("-1.0",
                AbandonedCartInsight.value(List.of(new Cart.Line("p", -1, 100))));
    }

    @Test
    void malformedChangesAndSettingsFailWithWhatToFix() {
        AbandonedCartInsight rule = new AbandonedCartInsight(30);
        assertThrows(IllegalArgumentException.class, () -> rule.json("u", T0 + ",x,e,s,p,1,1,EUR", "v", EMITTED_AT));
        assertThrows(IllegalArgumentException.class, () -> rule.json("u", T0 + ",a,e,s,p,1,1", "v", EMITTED_AT));
        assertThrows(IllegalArgumentException.class, () -> new AbandonedCartInsight(0));
    }
}
