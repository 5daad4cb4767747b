package dev.kappa.flink.insights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The session_summary insight against the Python reference (rules.insights.session_insight, see {@link Goldens}). */
class SessionSummaryInsightTest {
    private static final String EMITTED_AT = "2026-12-07T00:00:00.000Z";

    @Test
    void theInsightIsByteForByteThePythonReferences() {
        // GIVEN 200 random sessions: several currencies in any order, no orders (None or ""), no cart currency
        SessionSummaryInsight insight = new SessionSummaryInsight();
        for (String[] row : Goldens.rows("sessions.tsv")) {
            SessionSummaryInsight.Session session = new SessionSummaryInsight.Session();
            session.userId = row[0];
            session.sessionId = row[1];
            session.startedAtMs = Long.parseLong(row[2]);
            session.endedAtMs = Long.parseLong(row[3]);
            session.events = Long.parseLong(row[4]);
            session.pageViews = Long.parseLong(row[5]);
            session.productViews = Long.parseLong(row[6]);
            session.searches = Long.parseLong(row[7]);
            session.cartAdds = Long.parseLong(row[8]);
            session.cartValueCents = Long.parseLong(row[9]);
            session.cartCurrency = Goldens.nullable(row[10]);
            session.checkouts = Long.parseLong(row[11]);
            session.orderAmounts = Goldens.nullable(row[12]);
            // THEN the same JSON text
            assertEquals(row[13], insight.json(session, "v-golden", EMITTED_AT));
        }
    }

    @Test
    void aSessionWithoutUserIdHasNoUserIdMemberAndNoneInItsKey() {
        SessionSummaryInsight.Session session = new SessionSummaryInsight.Session();
        session.sessionId = "s-1";
        String json = new SessionSummaryInsight().json(session, "v1", EMITTED_AT);
        // the Python reference: make_insight_id("session_summary", None, "s-1", "1970-01-01T00:00:00.000Z")
        assertEquals(
                "{\"insight_id\":\"session_summary:4546db288311d9282f2c0819\"",
                json.substring(0, json.indexOf(',')));
    }

    @Test
    void orderAmountsAreSummedPerCurrencyInCodePointOrder() {
        var totals = SessionSummaryInsight.orderTotals("USD,100;;EUR,5;USD,-20;");
        assertEquals("[EUR, USD]", totals.keySet().toString());
        assertEquals(80, totals.get("USD")[0]);
        assertEquals(2, totals.get("USD")[1]);
    }

    @Test
    void aMalformedOrderAmountFailsAsPythonsUnpackingDoes() {
        assertThrows(IllegalArgumentException.class, () -> SessionSummaryInsight.orderTotals("USD,1,2"));
        assertThrows(IllegalArgumentException.class, () -> SessionSummaryInsight.orderTotals("USD"));
    }
}
