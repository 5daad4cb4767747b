package dev.kappa.flink.insights;

import dev.kappa.flink.CodePoints;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The products in a shopper's cart at a trigger's time, replayed from the trigger's cart history as the Python
 * reference does ({@code rules.recommendations.recommend_for_trigger}: {@code rules.lines decode_cart_changes} /
 * {@code sort_changes}, {@code rules.abandonment.CartAbandonment.add} / {@code current_cart}, {@code
 * rules.cart.Cart.apply}).
 *
 * <p>History: {@code at_ms,kind,event_id,session_id,product_id,quantity,price_cents,currency;...} (kind a / r /
 * p). Changes are replayed in (at_ms, purchase before add before remove, event_id) order up to the trigger's
 * time; a cart with no change for more than {@code abandon_after} is abandoned (emptied) before the next change;
 * a purchase empties the items only (the last change time stays); an add keeps a product even at quantity 0 or
 * below, only a remove takes it out at 0 or below. The cart counts at the trigger unless its last change is more
 * than {@code abandon_after} before it.
 */
final class CartReplay {
    private CartReplay() {}

    private static final class Change {
        final long atMs;
        final int rank;
        final char kind;
        final String eventId;
        final String productId;
        final long quantity;

        Change(long atMs, char kind, String eventId, String productId, long quantity) {
            this.atMs = atMs;
            this.kind = kind;
            this.rank = kind == 'p' ? 0 : kind == 'a' ? 1 : 2;
            this.eventId = eventId;
            this.productId = productId;
            this.quantity = quantity;
        }
    }

    /** The product ids in the cart at {@code atMs} (empty when there is no history). */
    static Set<String> productsInCart(String history, long atMs, long abandonAfterMs) {
        if (history == null || history.isEmpty()) {
            return Collections.emptySet();
        }
        List<Change> changes = decode(history);
        changes.sort((a, b) -> a.atMs != b.atMs
                ? Long.compare(a.atMs, b.atMs)
                : a.rank != b.rank
                        ? Integer.compare(a.rank, b.rank)
                        : CodePoints.compare(a.eventId, b.eventId));
        Map<String, long[]> items = new HashMap<>();
        Long lastChangeMs = null;
        for (Change change : changes) {
            if (change.atMs > atMs) {
                continue;
            }
            if (!items.isEmpty() && lastChangeMs != null && change.atMs - lastChangeMs > abandonAfterMs) {
                items.clear();
                lastChangeMs = null;
            }
            if (change.kind == 'p') {
                items.clear();
                continue;
            }
            lastChangeMs = change.atMs;
            long[] quantity = items.get(change.productId);
            if (change.kind == 'a') {
                if (quantity == null) {
                    items.put(change.productId, new long[] {change.quantity});
                } else {
                    quantity[0] += change.quantity;
                }
            } else if (quantity != null) {
                quantity[0] -= change.quantity;
                if (quantity[0] <= 0) {
                    items.remove(change.productId);
                }
            }
        }
        if (items.isEmpty() || lastChangeMs == null || atMs - lastChangeMs > abandonAfterMs) {
            return Collections.emptySet();
        }
        return items.keySet();
    }

    private static List<Change> decode(String history) {
        List<Change> changes = new ArrayList<>();
        for (String record : InsightEnvelope.split(history, ';')) {
            if (record.isEmpty()) {
                continue;
            }
            String[] fields = InsightEnvelope.split(record, ',');
            if (fields.length != 8 || fields[1].length() != 1 || "arp".indexOf(fields[1].charAt(0)) < 0) {
                throw new IllegalArgumentException("cart change '" + record
                        + "' is not 'at_ms,a|r|p,event_id,session_id,product_id,quantity,price_cents,currency'"
                        + " (flink_app/rules/lines.py)");
            }
            long quantity = fields[5].isEmpty() ? 0 : Long.parseLong(fields[5]);
            if (!fields[6].isEmpty()) {
                Long.parseLong(fields[6]); // Python's int() fails on a malformed price even though it is not used
            }
            changes.add(new Change(Long.parseLong(fields[0]), fields[1].charAt(0), fields[2], fields[4], quantity));
        }
        return changes;
    }
}
