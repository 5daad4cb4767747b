package dev.kappa.flink.insights;

import dev.kappa.flink.CodePoints;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One add_to_cart ({@code a}), remove_from_cart ({@code r}) or purchase ({@code p}) as the cart rules need it,
 * decoded from the compact lines SQL lists, as {@code rules.lines.decode_cart_changes} and {@code sort_changes}
 * read them.
 *
 * <p>Text: {@code at_ms,kind,event_id,session_id,product_id,quantity,price_cents,currency;...}; empty records are
 * skipped, an empty quantity or price is 0, a record that is not exactly 8 fields with kind a / r / p fails (as
 * Python's unpacking and kind lookup do). Numbers are read as SQL writes them ({@code CAST(BIGINT AS STRING)}):
 * Python's {@code int} would also take spaces or underscores, which no SQL cast writes.
 */
final class CartChange {
    /** Event-time order; at the same millisecond a purchase settles the cart before adds, adds before removes. */
    static final Comparator<CartChange> EVENT_TIME_ORDER = (a, b) -> a.atMs != b.atMs
            ? Long.compare(a.atMs, b.atMs)
            : a.rank != b.rank ? Integer.compare(a.rank, b.rank) : CodePoints.compare(a.eventId, b.eventId);

    final long atMs;
    final char kind;
    final int rank;
    final String eventId;
    final String sessionId;
    final String productId;
    final long quantity;
    final long priceCents;
    final String currency;

    CartChange(
            long atMs,
            char kind,
            String eventId,
            String sessionId,
            String productId,
            long quantity,
            long priceCents,
            String currency) {
        this.atMs = atMs;
        this.kind = kind;
        this.rank = kind == 'p' ? 0 : kind == 'a' ? 1 : 2;
        this.eventId = eventId;
        this.sessionId = sessionId;
        this.productId = productId;
        this.quantity = quantity;
        this.priceCents = priceCents;
        this.currency = currency;
    }

    /** The changes of {@code text} in event-time order (a stable sort: equal keys keep their listed order). */
    static List<CartChange> decodeSorted(String text) {
        List<CartChange> changes = new ArrayList<>();
        if (text == null || text.isEmpty()) {
            return changes;
        }
        for (String record : InsightEnvelope.split(text, ';')) {
            if (record.isEmpty()) {
                continue;
            }
            String[] fields = InsightEnvelope.split(record, ',');
            if (fields.length != 8 || fields[1].length() != 1 || "arp".indexOf(fields[1].charAt(0)) < 0) {
                throw new IllegalArgumentException("cart change '" + record
                        + "' is not 'at_ms,a|r|p,event_id,session_id,product_id,quantity,price_cents,currency'"
                        + " (flink_app/rules/lines.py)");
            }
            changes.add(new CartChange(
                    Long.parseLong(fields[0]),
                    fields[1].charAt(0),
                    fields[2],
                    fields[3],
                    fields[4],
                    fields[5].isEmpty() ? 0 : Long.parseLong(fields[5]),
                    fields[6].isEmpty() ? 0 : Long.parseLong(fields[6]),
                    fields[7]));
        }
        changes.sort(EVENT_TIME_ORDER);
        return changes;
    }
}
