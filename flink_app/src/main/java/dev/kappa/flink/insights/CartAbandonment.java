package dev.kappa.flink.insights;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Cart abandonment over one cart window's changes: {@code rules.abandonment.abandoned_carts} (the {@code
 * CartAbandonment} aggregator over {@link CartChange#decodeSorted}), line for line.
 *
 * <p>A non-empty cart with no cart change or purchase within {@code abandon_after} of its last change is
 * abandoned (inclusive: a change exactly {@code abandon_after} later keeps it alive) at last change + {@code
 * abandon_after}, and resets to empty (items, currency, time, session). The end of the changes counts as "nothing
 * followed": a non-empty cart there is abandoned too. In the job each window holds one cart's changes, so at
 * most the last cart is; any text gives what the Python reference gives.
 */
final class CartAbandonment {
    private final long abandonAfterMs;

    /** A cart as it was abandoned. */
    static final class AbandonedCart {
        final List<Cart.Line> lines;
        final String currency;
        final String sessionId;
        final long lastChangeAtMs;
        final long abandonedAtMs;

        AbandonedCart(Cart cart, long abandonedAtMs) {
            this.lines = cart.lines();
            this.currency = cart.currency();
            this.sessionId = cart.sessionId();
            this.lastChangeAtMs = cart.lastChangeAtMs();
            this.abandonedAtMs = abandonedAtMs;
        }
    }

    CartAbandonment(long abandonAfterMs) {
        if (abandonAfterMs <= 0) {
            throw new IllegalArgumentException("abandon_after must be positive, got " + abandonAfterMs + " ms");
        }
        this.abandonAfterMs = abandonAfterMs;
    }

    long abandonAfterMs() {
        return abandonAfterMs;
    }

    /** Every cart abandoned in {@code changes} ({@code rules.lines} text, any order; null or empty: none). */
    List<AbandonedCart> abandonedCarts(String changes) {
        List<AbandonedCart> abandoned = new ArrayList<>(1);
        Cart cart = new Cart();
        for (CartChange change : CartChange.decodeSorted(changes)) {
            if (isAbandonedBefore(cart, change.atMs)) {
                abandoned.add(new AbandonedCart(cart, abandonedAt(cart)));
                cart.clear();
            }
            cart.apply(change);
        }
        if (!cart.isEmpty() && cart.hasLastChange()) {
            abandoned.add(new AbandonedCart(cart, abandonedAt(cart)));
        }
        return abandoned;
    }

    /**
     * The products in the cart at {@code atMs}: the changes up to then replayed as {@link #abandonedCarts} does (a
     * cart abandoned before a change is emptied first), none when the cart is abandoned by {@code atMs} itself
     * ({@code CartAbandonment.add} over the changes at or before the time, then {@code current_cart}).
     */
    Set<String> productsInCartAt(String changes, long atMs) {
        Cart cart = new Cart();
        for (CartChange change : CartChange.decodeSorted(changes)) {
            if (change.atMs > atMs) {
                continue;
            }
            if (isAbandonedBefore(cart, change.atMs)) {
                cart.clear();
            }
            cart.apply(change);
        }
        return cart.isEmpty() || !cart.hasLastChange() || isLaterThanAbandon(atMs, cart.lastChangeAtMs())
                ? Set.of()
                : cart.productIds();
    }

    /** True when {@code cart} holds items that no change followed within abandon_after by {@code atMs}. */
    private boolean isAbandonedBefore(Cart cart, long atMs) {
        return !cart.isEmpty() && cart.hasLastChange() && isLaterThanAbandon(atMs, cart.lastChangeAtMs());
    }

    /** {@code at - last > abandon_after} on the exact difference (Python's ints do not wrap). */
    private boolean isLaterThanAbandon(long atMs, long lastChangeAtMs) {
        long difference = atMs - lastChangeAtMs;
        boolean overflowed = ((atMs ^ lastChangeAtMs) & (atMs ^ difference)) < 0;
        return overflowed ? atMs > lastChangeAtMs : difference > abandonAfterMs;
    }

    private long abandonedAt(Cart cart) {
        try {
            return Math.addExact(cart.lastChangeAtMs(), abandonAfterMs);
        } catch (ArithmeticException e) {
            // Python gets there and fails on formatting the year; fail with the same cause.
            throw new IllegalArgumentException("cart change time " + cart.lastChangeAtMs()
                    + " ms + abandon_after is after 9999-12-31: Python's datetime cannot format it", e);
        }
    }
}
