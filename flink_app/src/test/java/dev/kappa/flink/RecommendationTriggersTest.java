package dev.kappa.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RecommendationTriggersTest {
    private static final long HISTORY = 100;
    private final RecommendationTriggers rule = new RecommendationTriggers(HISTORY);
    private final List<ShopperEvent> pending = new ArrayList<>();
    private final List<CartLine> history = new ArrayList<>();
    private final Set<String> viewed = new HashSet<>();
    private final RecommendationTriggers.SessionViews views = viewed::add;

    private static ShopperEvent change(long at, String type, String id) {
        return new ShopperEvent(at, type, "s1", id, "p", at + "," + id);
    }

    private static ShopperEvent view(long at, String session, String id) {
        return new ShopperEvent(at, "product_view", session, id, "p", null);
    }

    private void buffer(ShopperEvent... events) {
        for (ShopperEvent event : events) {
            assertTrue(rule.buffer(pending, event, Long.MIN_VALUE));
        }
    }

    private static List<String> ids(List<Trigger> triggers) {
        List<String> ids = new ArrayList<>();
        for (Trigger trigger : triggers) {
            ids.add(trigger.event.eventId);
        }
        return ids;
    }

    @Test
    void rows_wait_for_the_watermark_and_are_processed_in_time_order() throws Exception {
        // GIVEN an add at 200 that arrived before an add at 100
        buffer(change(200, "add_to_cart", "a2"), change(100, "add_to_cart", "a1"));
        // WHEN the watermark reaches 150 THEN only the add at 100 triggers, with its own line
        List<Trigger> first = rule.process(pending, history, 150, views);
        assertEquals(List.of("a1"), ids(first));
        assertEquals("100,a1", first.get(0).cartHistory);
        // WHEN it reaches 200 THEN the add at 200 sees both
        List<Trigger> second = rule.process(pending, history, 200, views);
        assertEquals("100,a1;200,a2", second.get(0).cartHistory);
        assertTrue(pending.isEmpty());
    }

    @Test
    void the_frame_holds_changes_from_history_before_up_to_the_row_and_its_peers() throws Exception {
        // GIVEN changes at 0, 99, 100 (a remove) and an add and a purchase at 199
        buffer(
                change(0, "add_to_cart", "a0"),
                change(99, "add_to_cart", "a99"),
                change(100, "remove_from_cart", "r100"),
                change(199, "add_to_cart", "a199"),
                change(199, "purchase", "p199"));
        // WHEN all are processed
        List<Trigger> triggers = rule.process(pending, history, 300, views);
        // THEN removes and purchases are not triggers, and the add at 199 sees [99, 199] with its peer
        assertEquals(List.of("a0", "a99", "a199"), ids(triggers));
        assertEquals("99,a99;100,r100;199,a199;199,p199", triggers.get(2).cartHistory);
        assertEquals("0,a0;99,a99", triggers.get(1).cartHistory);
    }

    @Test
    void only_the_first_view_of_a_session_in_event_time_triggers() throws Exception {
        // GIVEN views of session s1 arriving out of order, and one of s2
        buffer(view(50, "s1", "v50"), view(20, "s1", "v20"), view(60, "s2", "v60"));
        // WHEN processed THEN the earliest s1 view and the s2 view trigger, with no cart history
        List<Trigger> triggers = rule.process(pending, history, 100, views);
        assertEquals(List.of("v20", "v60"), ids(triggers));
        assertNull(triggers.get(0).cartHistory);
        // AND a later view of s1 does not trigger
        buffer(view(150, "s1", "v150"));
        assertTrue(rule.process(pending, history, 200, views).isEmpty());
    }

    @Test
    void views_of_the_same_millisecond_count_in_arrival_order() throws Exception {
        buffer(view(10, "s1", "first"), view(10, "s1", "second"));
        assertEquals(List.of("first"), ids(rule.process(pending, history, 10, views)));
    }

    @Test
    void a_first_view_sees_the_cart_history() throws Exception {
        buffer(change(10, "add_to_cart", "a10"), view(20, "s1", "v20"));
        List<Trigger> triggers = rule.process(pending, history, 20, views);
        assertEquals("10,a10", triggers.get(1).cartHistory);
    }

    @Test
    void late_rows_are_dropped() throws Exception {
        assertFalse(rule.buffer(pending, view(100, "s1", "v"), 100));
        assertTrue(rule.buffer(pending, view(101, "s1", "v"), 100));
    }

    @Test
    void changes_older_than_the_history_are_forgotten_when_no_frame_can_hold_them() throws Exception {
        buffer(change(10, "remove_from_cart", "r10"));
        rule.process(pending, history, 10, views);
        assertEquals(111L, rule.nextExpiry(history));
        rule.process(pending, history, 110, views);
        assertEquals(1, history.size());
        rule.process(pending, history, 111, views);
        assertTrue(history.isEmpty());
        assertNull(rule.nextExpiry(history));
    }
}
