package dev.kappa.flink.insights;

import dev.kappa.flink.CodePoints;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A shopper's cart as the contract defines it, built from cart changes in event-time order: {@code
 * rules.cart.Cart}, line for line.
 *
 * <ul>
 *   <li>an add adds its quantity to the product's line (a new line even at quantity 0 or below), sets the line's
 *       price to its own and the cart's currency to its own unless that is empty;
 *   <li>a remove subtracts its quantity; a line at 0 or below leaves the cart (a remove of a product not in the
 *       cart changes nothing but the time);
 *   <li>adds and removes set the last change time and the session; a purchase only empties the items (the last
 *       change time, session and currency stay).
 * </ul>
 *
 * Quantities are Python ints in the reference (no limit); here a quantity beyond 64 bits fails the call rather
 * than wrap (an INT per event: out of reach of a real cart).
 */
final class Cart {
    /** Product id → {quantity, price_cents}, in code point order (the snapshot's order). */
    private final TreeMap<String, long[]> items = new TreeMap<>(CodePoints::compare);

    private String currency = "";
    private boolean changed;
    private long lastChangeAtMs;
    private String sessionId = "";

    /** A line of an abandoned cart. */
    static final class Line {
        final String productId;
        final long quantity;
        final long priceCents;

        Line(String productId, long quantity, long priceCents) {
            this.productId = productId;
            this.quantity = quantity;
            this.priceCents = priceCents;
        }
    }

    boolean isEmpty() {
        return items.isEmpty();
    }

    /** Whether an add or remove was applied since the cart was created or cleared (Python: not None). */
    boolean hasLastChange() {
        return changed;
    }

    long lastChangeAtMs() {
        return lastChangeAtMs;
    }

    String currency() {
        return currency;
    }

    String sessionId() {
        return sessionId;
    }

    void apply(CartChange change) {
        if (change.kind == 'p') {
            items.clear();
            return;
        }
        changed = true;
        lastChangeAtMs = change.atMs;
        sessionId = change.sessionId;
        long[] line = items.get(change.productId);
        if (change.kind == 'a') {
            if (line == null) {
                items.put(change.productId, new long[] {change.quantity, change.priceCents});
            } else {
                line[0] = quantity(line[0], 1, change);
                line[1] = change.priceCents;
            }
            if (!change.currency.isEmpty()) {
                currency = change.currency;
            }
        } else if (line != null) {
            line[0] = quantity(line[0], -1, change);
            if (line[0] <= 0) {
                items.remove(change.productId);
            }
        }
    }

    void clear() {
        items.clear();
        currency = "";
        changed = false;
        lastChangeAtMs = 0;
        sessionId = "";
    }

    /** The products in the cart (Python: the snapshot's {@code product_ids}). */
    Set<String> productIds() {
        return Collections.unmodifiableSet(items.keySet());
    }

    /** The lines, sorted by product id (code point order, Python's {@code sorted}). */
    List<Line> lines() {
        List<Line> lines = new ArrayList<>(items.size());
        for (Map.Entry<String, long[]> item : items.entrySet()) {
            lines.add(new Line(item.getKey(), item.getValue()[0], item.getValue()[1]));
        }
        return lines;
    }

    /** {@code quantity + sign × change.quantity}, exactly (Python's ints do not wrap). */
    private static long quantity(long quantity, int sign, CartChange change) {
        try {
            return sign > 0
                    ? Math.addExact(quantity, change.quantity)
                    : Math.subtractExact(quantity, change.quantity);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("the quantity of product '" + change.productId + "' after cart change '"
                    + change.eventId + "' is beyond a 64-bit integer: check the quantities of the user's cart events",
                    e);
        }
    }
}
