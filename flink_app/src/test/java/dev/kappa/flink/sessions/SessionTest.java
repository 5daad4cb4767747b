package dev.kappa.flink.sessions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** A session's aggregates: the SQL aggregates of the window the function replaces, nulls included. */
class SessionTest {
    private static final long GAP = 60_000;

    @Test
    void counts_each_event_type_and_every_event() {
        // GIVEN a session with one event of each type and an unknown type
        Session session = Session.of(SessionEvent.of(SessionEvent.PAGE_VIEW, 0), GAP);
        session.add(SessionEvent.of(SessionEvent.PRODUCT_VIEW, 1), GAP);
        session.add(SessionEvent.of(SessionEvent.SEARCH, 2), GAP);
        session.add(SessionEvent.cartAdd(3, 2, 1_999, "USD"), GAP);
        session.add(SessionEvent.of("remove_from_cart", 4), GAP);
        session.add(SessionEvent.of(SessionEvent.CHECKOUT_STARTED, 5), GAP);
        session.add(SessionEvent.purchase(6, "USD", 3_998), GAP);
        // THEN COUNT(*) and the per-type SUM(CASE ...) columns
        assertEquals(7, session.events);
        assertEquals(1, session.pageViews);
        assertEquals(1, session.productViews);
        assertEquals(1, session.searches);
        assertEquals(1, session.cartAdds);
        assertEquals(1, session.checkouts);
        assertEquals(3_998, session.cartValueCents);
        assertEquals("USD", session.cartCurrency);
        assertEquals("USD,3998", session.orderAmounts);
        assertEquals(0, session.startedAtMs);
        assertEquals(6, session.endedAtMs);
    }

    @Test
    void a_session_without_cart_adds_or_purchases_has_null_currency_and_amounts() {
        Session session = Session.of(SessionEvent.of(SessionEvent.PAGE_VIEW, 0), GAP);
        assertEquals(0, session.cartValueCents);
        assertNull(session.cartCurrency);
        assertNull(session.orderAmounts);
    }

    @Test
    void nulls_are_skipped_as_sql_sum_max_and_listagg_skip_them() {
        // GIVEN a cart add without a price, one without a currency, and a purchase without a currency
        Session session = Session.of(new SessionEvent(SessionEvent.ADD_TO_CART, 0, 3, null, null, null, null), GAP);
        session.add(new SessionEvent(SessionEvent.ADD_TO_CART, 1, 1, 500L, null, null, null), GAP);
        session.add(new SessionEvent(SessionEvent.PURCHASE, 2, null, null, null, null, 700L), GAP);
        session.add(SessionEvent.purchase(3, "EUR", 100), GAP);
        // THEN both adds are counted, only the priced one in the value, no currency, one order amount
        assertEquals(2, session.cartAdds);
        assertEquals(500, session.cartValueCents);
        assertNull(session.cartCurrency);
        assertEquals("EUR,100", session.orderAmounts);
    }

    @Test
    void the_cart_currency_is_the_greatest_of_the_sessions_cart_add_currencies() {
        Session session = Session.of(SessionEvent.cartAdd(0, 1, 100, "EUR"), GAP);
        session.add(SessionEvent.cartAdd(1, 1, 100, "USD"), GAP);
        session.add(SessionEvent.cartAdd(2, 1, 100, "GBP"), GAP);
        assertEquals("USD", session.cartCurrency);
    }

    @Test
    void strings_compare_by_code_point_as_flink_compares_utf8_bytes() {
        // U+FF21 (one UTF-16 unit) sorts below U+1F600 (a surrogate pair) by code point, above it by UTF-16 unit.
        String fullwidthA = "\uFF21";
        String emoji = new String(Character.toChars(0x1F600));
        assertEquals(emoji, Session.max(fullwidthA, emoji));
        assertEquals(emoji, Session.max(emoji, fullwidthA));
        assertEquals("AB", Session.max("A", "AB"));
        assertEquals("A", Session.max(null, "A"));
        assertEquals("A", Session.max("A", null));
    }

    @Test
    void absorbing_a_session_merges_window_and_aggregates() {
        // GIVEN sessions [0, 60000) and [50000, 110000)
        Session early = Session.of(SessionEvent.cartAdd(0, 1, 250, "EUR"), GAP);
        Session later = Session.of(SessionEvent.purchase(50_000, "USD", 900), GAP);
        later.add(SessionEvent.cartAdd(50_001, 2, 100, "USD"), GAP);
        // WHEN the early one absorbs the later one
        early.absorb(later);
        // THEN the cover and the summed / max / concatenated aggregates
        assertEquals(0, early.startedAtMs);
        assertEquals(50_001, early.endedAtMs);
        assertEquals(110_001, early.windowEndMs);
        assertEquals(3, early.events);
        assertEquals(2, early.cartAdds);
        assertEquals(450, early.cartValueCents);
        assertEquals("USD", early.cartCurrency);
        assertEquals("USD,900", early.orderAmounts);
    }
}
