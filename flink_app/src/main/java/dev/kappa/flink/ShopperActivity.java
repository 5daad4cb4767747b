package dev.kappa.flink;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.ListView;
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
 * <p>State: list and map views (read entry by entry from the state backend, not converted as a whole on
 * every call). The windows, the rows waiting for the watermark and the history are cleared by event time as
 * Flink's operators cleared theirs (no TTL); the viewed sessions expire after the job's state TTL
 * ({@code table.exec.state.ttl}, processing time, refreshed by every view) as the first-view OVER window's
 * count did. A view of a session already seen is not buffered: it cannot be the session's first (that one
 * is at or behind the watermark, this one ahead of it); it only refreshes the session's TTL.
 */
@DataTypeHint(
        "ROW<kind STRING, session_id STRING, event_id STRING, event_type STRING, product_id STRING, "
                + "ts_ms BIGINT, cart_history STRING, last_change_ms BIGINT, changes STRING, carted STRING, "
                + "last_add_ms BIGINT, last_purchase_ms BIGINT>")
public class ShopperActivity extends ProcessTableFunction<Row> {
    private static final long serialVersionUID = 1L;

    public static final String WINDOW = "window";
    public static final String TRIGGER = "trigger";

    /** The function's arguments, kept as state for onTimer (which does not receive them). */
    public static class Settings {
        /** Null when the shopper has no state (nullable fields: an all-null state entry is not stored). */
        public Long abandonAfterMs;

        public Long cartHistoryMs;
    }

    public void eval(
            Context ctx,
            @StateHint(ttl = "0") Settings settings,
            @StateHint(ttl = "0") ListView<CartWindow> windows,
            @StateHint(ttl = "0") ListView<ShopperEvent> pending,
            @StateHint(ttl = "0") ListView<CartLine> history,
            @StateHint MapView<String, Boolean> viewedSessions,
            @ArgumentHint({ArgumentTrait.SET_SEMANTIC_TABLE, ArgumentTrait.REQUIRE_ON_TIME}) Row input,
            @ArgumentHint(name = "abandon_after_ms") Long abandonAfterMs,
            @ArgumentHint(name = "cart_history_ms") Long cartHistoryMs)
            throws Exception {
        TimeContext<Long> time = ctx.timeContext(Long.class);
        long watermark = watermark(time);
        long at = time.time();
        String eventType = input.getFieldAs("event_type");
        String sessionId = input.getFieldAs("session_id");
        if (!CartChange.isCartChange(eventType) && viewedSessions.contains(sessionId)) {
            viewedSessions.put(sessionId, Boolean.TRUE); // refreshes the TTL, as every view did
            return;
        }
        String productId = input.getFieldAs("product_id");
        String line = input.getFieldAs("line");
        boolean timed = false;
        if (CartChange.isCartChange(eventType)) {
            List<CartWindow> open = copy(windows.get());
            CartChange change = new CartChange(at, eventType, productId, line);
            CartWindow window = new CartSessionWindows(abandonAfterMs).add(open, change, watermark);
            if (window != null) {
                replace(windows, open);
                time.registerOnTime(window.maxTimestamp());
                timed = true;
            }
        }
        ShopperEvent event = new ShopperEvent(at, eventType, sessionId, input.getFieldAs("event_id"), productId, line);
        if (RecommendationTriggers.inTime(event, watermark)) {
            pending.add(event);
            time.registerOnTime(at);
            timed = true;
        }
        if (timed) {
            settings.abandonAfterMs = abandonAfterMs;
            settings.cartHistoryMs = cartHistoryMs;
        }
    }

    public void onTimer(
            OnTimerContext ctx,
            Settings settings,
            ListView<CartWindow> windows,
            ListView<ShopperEvent> pending,
            ListView<CartLine> history,
            MapView<String, Boolean> viewedSessions)
            throws Exception {
        if (settings.cartHistoryMs == null) {
            return; // a timer left behind by state already cleared
        }
        TimeContext<Long> time = ctx.timeContext(Long.class);
        long now = time.time();
        RecommendationTriggers triggers = new RecommendationTriggers(settings.cartHistoryMs);
        List<ShopperEvent> waiting = copy(pending.get());
        List<CartLine> lines = copy(history.get());
        int waitingBefore = waiting.size();
        List<CartLine> linesBefore = new ArrayList<>(lines);
        List<Trigger> due =
                triggers.process(
                        waiting,
                        lines,
                        now,
                        sessionId -> {
                            boolean first = !viewedSessions.contains(sessionId);
                            viewedSessions.put(sessionId, Boolean.TRUE); // every view refreshes the TTL
                            return first;
                        });
        if (waiting.size() != waitingBefore) {
            replace(pending, waiting);
        }
        if (!lines.equals(linesBefore)) {
            replace(history, lines);
        }
        for (Trigger trigger : due) {
            ShopperEvent e = trigger.event;
            collect(
                    Row.of(TRIGGER, e.sessionId, e.eventId, e.eventType, e.productId, e.atMs,
                            trigger.cartHistory, null, null, null, null, null));
        }
        List<CartWindow> open = copy(windows.get());
        List<CartWindow> fired = new CartSessionWindows(settings.abandonAfterMs).fire(open, now);
        if (!fired.isEmpty()) {
            replace(windows, open);
        }
        for (CartWindow window : fired) {
            collect(
                    Row.of(WINDOW, null, null, null, null, null, null, window.lastChangeMs, window.changesText(),
                            window.cartedText(), window.lastAddMs, window.lastPurchaseMs));
        }
        Long expiry = triggers.nextExpiry(lines);
        if (expiry != null) {
            time.registerOnTime(expiry);
        }
        if (open.isEmpty() && waiting.isEmpty() && lines.isEmpty()) {
            ctx.clearState("settings");
        }
    }

    private static long watermark(TimeContext<Long> time) {
        Long watermark = time.currentWatermark();
        return watermark == null ? Long.MIN_VALUE : watermark;
    }

    private static <T> List<T> copy(Iterable<T> values) {
        List<T> list = new ArrayList<>();
        if (values != null) {
            for (T value : values) {
                list.add(value);
            }
        }
        return list;
    }

    private static <T> void replace(ListView<T> view, List<T> values) throws Exception {
        view.clear();
        if (!values.isEmpty()) {
            view.addAll(values);
        }
    }
}
