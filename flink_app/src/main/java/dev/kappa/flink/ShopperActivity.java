package dev.kappa.flink;

import java.util.List;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.types.Row;

/**
 * {@code shopper_activity}: one keyed operator per shopper (PARTITION BY user_id) for the cart session
 * windows ({@link CartSessionWindows}) and the recommendation triggers ({@link RecommendationTriggers}).
 *
 * <p>It replaces three SQL operators, each behind its own shuffle: the {@code cart_windows} group window
 * (SESSION per user_id), the {@code first_views} OVER window (per session_id) and the
 * {@code recommendation_triggers} OVER window (per user_id). A session belongs to one shopper in every log,
 * so counting a session's views per user_id is counting them per session_id.
 *
 * <p>Input: cart changes (add_to_cart, remove_from_cart, purchase, with their line) and, when views trigger,
 * product views, on time {@code ts}. Output rows of two kinds, with the function's rowtime:
 *
 * <ul>
 *   <li>{@code window}: a cart window, emitted on its timer at end - 1 (= SESSION_ROWTIME);
 *   <li>{@code trigger}: an add_to_cart or a session's first view with its cart history, emitted when the
 *       watermark passes its time (rowtime = its ts, as the OVER window emitted it).
 * </ul>
 *
 * <p>State: the windows, the rows waiting for the watermark and the history are cleared by event time as
 * Flink's operators clear theirs (no TTL); the viewed sessions expire after the job's state TTL
 * ({@code table.exec.state.ttl}, processing time) as the first-view OVER window's count did.
 */
@DataTypeHint(
        "ROW<kind STRING, session_id STRING, event_id STRING, event_type STRING, product_id STRING, "
                + "ts_ms BIGINT, cart_history STRING, last_change_ms BIGINT, changes STRING, carted STRING, "
                + "last_add_ms BIGINT, last_purchase_ms BIGINT>")
public class ShopperActivity extends ProcessTableFunction<Row> {
    private static final long serialVersionUID = 1L;

    public static final String WINDOW = "window";
    public static final String TRIGGER = "trigger";

    public void eval(
            Context ctx,
            @StateHint(ttl = "0") ShopperState state,
            @StateHint MapView<String, Boolean> viewedSessions,
            @ArgumentHint({ArgumentTrait.SET_SEMANTIC_TABLE, ArgumentTrait.REQUIRE_ON_TIME}) Row input,
            @ArgumentHint(name = "abandon_after_ms") Long abandonAfterMs,
            @ArgumentHint(name = "cart_history_ms") Long cartHistoryMs)
            throws Exception {
        TimeContext<Long> time = ctx.timeContext(Long.class);
        long watermark = watermark(time);
        state.abandonAfterMs = abandonAfterMs;
        state.cartHistoryMs = cartHistoryMs;
        long at = time.time();
        String eventType = input.getFieldAs("event_type");
        String productId = input.getFieldAs("product_id");
        String line = input.getFieldAs("line");
        if (CartChange.isCartChange(eventType)) {
            CartChange change = new CartChange(at, eventType, productId, line);
            CartWindow window = new CartSessionWindows(abandonAfterMs).add(state.windows, change, watermark);
            if (window != null) {
                time.registerOnTime(window.maxTimestamp());
            }
        }
        ShopperEvent event =
                new ShopperEvent(
                        at, eventType, input.getFieldAs("session_id"), input.getFieldAs("event_id"), productId, line);
        if (new RecommendationTriggers(cartHistoryMs).buffer(state.pending, event, watermark)) {
            time.registerOnTime(at);
        }
        if (state.isEmpty()) {
            ctx.clearState("state");
        }
    }

    public void onTimer(OnTimerContext ctx, ShopperState state, MapView<String, Boolean> viewedSessions)
            throws Exception {
        TimeContext<Long> time = ctx.timeContext(Long.class);
        long now = time.time();
        RecommendationTriggers triggers = new RecommendationTriggers(state.cartHistoryMs);
        List<Trigger> due =
                triggers.process(
                        state.pending,
                        state.history,
                        now,
                        sessionId -> {
                            boolean first = !viewedSessions.contains(sessionId);
                            viewedSessions.put(sessionId, Boolean.TRUE); // every view refreshes the TTL
                            return first;
                        });
        for (Trigger trigger : due) {
            ShopperEvent e = trigger.event;
            collect(
                    Row.of(TRIGGER, e.sessionId, e.eventId, e.eventType, e.productId, e.atMs,
                            trigger.cartHistory, null, null, null, null, null));
        }
        for (CartWindow window : new CartSessionWindows(state.abandonAfterMs).fire(state.windows, now)) {
            collect(
                    Row.of(WINDOW, null, null, null, null, null, null, window.lastChangeMs, window.changesText(),
                            window.cartedText(), window.lastAddMs, window.lastPurchaseMs));
        }
        Long expiry = triggers.nextExpiry(state.history);
        if (expiry != null) {
            time.registerOnTime(expiry);
        }
        if (state.isEmpty()) {
            ctx.clearState("state");
        }
    }

    private static long watermark(TimeContext<Long> time) {
        Long watermark = time.currentWatermark();
        return watermark == null ? Long.MIN_VALUE : watermark;
    }
}
