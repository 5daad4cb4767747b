package dev.kappa.flink.insights;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The products in a shopper's cart at a trigger's time, replayed from the trigger's cart history as the Python
 * reference does ({@code rules.recommendations.recommend_for_trigger}: {@code rules.lines decode_cart_changes} /
 * {@code sort_changes}, {@code rules.abandonment.CartAbandonment.add} / {@code current_cart}, {@code
 * rules.cart.Cart.apply}).
 *
 * <p>History: {@code at_ms,kind,event_id,session_id,product_id,quantity,price_cents,currency;...} (kind a / r /
 * p, {@link CartChange}). Changes are replayed in (at_ms, purchase before add before remove, event_id) order up
 * to the trigger's time; a cart with no change for more than {@code abandon_after} is abandoned (emptied) before
 * the next change; a purchase empties the items only (the last change time stays); an add keeps a product even
 * at quantity 0 or below, only a remove takes it out at 0 or below. The cart counts at the trigger unless its last
 * change is more than {@code abandon_after} before it.
 */
final class CartReplay {
    private CartReplay() {}

    /** The product ids in the cart at {@code atMs} (empty when there is no history). */
    static Set<String> productsInCart(String history, long atMs, long abandonAfterMs) {
        if (history == null || history.isEmpty()) {
            return Collections.emptySet();
        }
        Map<String, long[]> items = new HashMap<>();
        Long lastChangeMs = null;
        for (CartChange change : CartChange.decodeSorted(history)) {
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
}
