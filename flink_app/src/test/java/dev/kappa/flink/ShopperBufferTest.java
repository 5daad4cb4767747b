package dev.kappa.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShopperBufferTest {
    private static ShopperEvent view(long at, String id) {
        return new ShopperEvent(at, "product_view", "s1", id, "p1", null);
    }

    private static List<String> ids(List<ShopperEvent> events) {
        List<String> ids = new ArrayList<>();
        for (ShopperEvent event : events) {
            ids.add(event.eventId);
        }
        return ids;
    }

    @Test
    void no_entries_is_an_empty_buffer() {
        ShopperBuffer buffer = ShopperBuffer.read(null);
        assertTrue(buffer.waiting.isEmpty());
        assertTrue(buffer.history.isEmpty());
        assertTrue(buffer.entries().isEmpty());
    }

    @Test
    void stored_entries_read_back_as_the_history_and_the_waiting_rows_in_their_orders() {
        // GIVEN a buffer with two history lines and two waiting rows (the later one first: arrival order)
        ShopperBuffer buffer = new ShopperBuffer();
        buffer.history.add(new CartLine(10, "10,a"));
        buffer.history.add(new CartLine(20, "20,b"));
        buffer.waiting.add(view(40, "v2"));
        buffer.waiting.add(view(30, "v1"));
        // WHEN it is stored and a row buffered later is appended to the list view
        List<ShopperEvent> entries = buffer.entries();
        entries.add(view(35, "v3"));
        ShopperBuffer read = ShopperBuffer.read(entries);
        // THEN the history keeps its lines by time and the waiting rows their arrival order
        assertEquals(2, read.history.size());
        assertEquals(10, read.history.get(0).atMs);
        assertEquals("10,a", read.history.get(0).line);
        assertEquals("20,b", read.history.get(1).line);
        assertEquals(List.of("v2", "v1", "v3"), ids(read.waiting));
    }

    @Test
    void window_due_times_are_kept_until_taken_at_or_after_them() {
        // GIVEN windows marked due at 100 and 200, stored, and a row buffered after them
        ShopperBuffer buffer = new ShopperBuffer();
        buffer.windowDues.add(100L);
        List<ShopperEvent> entries = buffer.entries();
        entries.add(ShopperBuffer.windowDue(200));
        entries.add(view(150, "v1"));
        ShopperBuffer read = ShopperBuffer.read(entries);
        assertEquals(List.of(100L, 200L), read.windowDues);
        assertEquals(List.of("v1"), ids(read.waiting));
        // WHEN the timers at 99, 150 and 200 take what is due
        assertFalse(read.takeWindowsDue(99));
        assertTrue(read.takeWindowsDue(150));
        // THEN 100 was due at 150 and 200 stays until 200
        assertEquals(List.of(200L), read.windowDues);
        assertTrue(read.takeWindowsDue(200));
        assertTrue(ShopperBuffer.read(read.entries()).windowDues.isEmpty());
    }

    @Test
    void a_history_line_is_stored_with_its_time_and_line_only() {
        ShopperBuffer buffer = new ShopperBuffer();
        buffer.history.add(new CartLine(10, "10,a"));
        ShopperEvent stored = buffer.entries().get(0);
        assertEquals(ShopperBuffer.HISTORY_LINE, stored.eventType);
        assertEquals(10, stored.atMs);
        assertEquals("10,a", stored.line);
        assertNull(stored.sessionId);
        assertNull(stored.eventId);
        assertNull(stored.productId);
    }
}
