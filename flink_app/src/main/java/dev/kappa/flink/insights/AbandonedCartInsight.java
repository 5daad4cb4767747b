package dev.kappa.flink.insights;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code cart_abandoned} insights of one cart window, byte for byte what the Python reference writes ({@code
 * rules.insights.abandoned_cart_insights}: {@code rules.abandonment.abandoned_carts} and {@code
 * abandoned_cart_insight}, serialized by orjson; the UDF {@code udfs.AbandonedCartInsights} before Java), in the
 * same order, {@code emitted_at} given by the caller.
 *
 * <p>Key: (user_id, last cart change); occurred_at = last change + abandon_after. Payload: session_id (of the last
 * change), items ({@code product_id}, {@code quantity}, {@code price} = {@code from_cents}) by product id, value =
 * {@code from_cents(Σ quantity × price_cents)}, currency, last_cart_change_at, abandon_after_minutes. The value is
 * exact whatever the size (Python's ints do not wrap; beyond 64 bits it is summed as a BigInteger).
 */
public final class AbandonedCartInsight {
    public static final String TYPE = "cart_abandoned";

    private final int abandonAfterMinutes;
    private final CartAbandonment rule;
    private final InsightIds ids = new InsightIds();

    public AbandonedCartInsight(int abandonAfterMinutes) {
        this.abandonAfterMinutes = abandonAfterMinutes;
        this.rule = new CartAbandonment(abandonAfterMinutes * 60_000L);
    }

    public boolean hasSettings(int abandonAfterMinutes) {
        return this.abandonAfterMinutes == abandonAfterMinutes;
    }

    /** The insights' JSON, one per abandoned cart in event-time order (none for null, empty or a bought cart). */
    public List<String> json(String userId, String changes, String jobVersion, String emittedAt) {
        List<CartAbandonment.AbandonedCart> carts = rule.abandonedCarts(changes);
        List<String> insights = new ArrayList<>(carts.size());
        for (CartAbandonment.AbandonedCart cart : carts) {
            insights.add(json(userId, cart, jobVersion, emittedAt));
        }
        return insights;
    }

    private String json(String userId, CartAbandonment.AbandonedCart cart, String jobVersion, String emittedAt) {
        String lastChange = Rfc3339.format(cart.lastChangeAtMs);
        String insightId = ids.id(TYPE, userId, lastChange);
        JsonWriter json = InsightEnvelope.open(
                        insightId, TYPE, Rfc3339.format(cart.abandonedAtMs), emittedAt, jobVersion)
                .beginObject()
                .name("session_id")
                .value(cart.sessionId)
                .name("items")
                .beginArray();
        for (Cart.Line line : cart.lines) {
            json.beginObject()
                    .name("product_id")
                    .value(line.productId)
                    .name("quantity")
                    .value(line.quantity)
                    .name("price")
                    .number(OrjsonFloats.fromCents(line.priceCents))
                    .endObject();
        }
        json.endArray()
                .name("value")
                .number(value(cart.lines))
                .name("currency")
                .value(cart.currency)
                .name("last_cart_change_at")
                .value(lastChange)
                .name("abandon_after_minutes")
                .value(abandonAfterMinutes)
                .endObject();
        return InsightEnvelope.close(json, userId);
    }

    /** {@code from_cents(Σ quantity × price_cents)}: in longs while they hold it, else as a BigInteger. */
    static String value(List<Cart.Line> lines) {
        long cents = 0;
        try {
            for (Cart.Line line : lines) {
                cents = Math.addExact(cents, Math.multiplyExact(line.quantity, line.priceCents));
            }
            return OrjsonFloats.fromCents(cents);
        } catch (ArithmeticException overflow) {
            BigInteger exact = BigInteger.ZERO;
            for (Cart.Line line : lines) {
                exact = exact.add(BigInteger.valueOf(line.quantity).multiply(BigInteger.valueOf(line.priceCents)));
            }
            return OrjsonFloats.fromCents(exact);
        }
    }
}
