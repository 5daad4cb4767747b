package dev.kappa.flink;

import dev.kappa.flink.time.Watermarks;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.ListView;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.table.functions.SpecializedFunction;
import org.apache.flink.table.functions.UserDefinedFunction;
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
 * <p>State: list and map views only (read entry by entry from the state backend when a call uses them; a
 * value state would be read, converted and compared by the PTF runtime on every call). The three arguments,
 * which onTimer needs and does not receive, are constants of the SQL call: {@link #specialize} copies them
 * into the function when the job is planned. The windows (one list view) and the rows waiting for the
 * watermark, the history and the windows' due times (one list view together, {@link ShopperBuffer}: a timer reads
 * it, and the windows only when one is due) are cleared by event time as Flink's operators cleared theirs (no
 * TTL); the viewed sessions expire after {@code viewed_ttl_ms} (the job's {@code table.exec.state.ttl}:
 * processing time, refreshed by every view) as the first-view OVER window's count did under that TTL. The
 * expiry is applied by {@link ViewedSessionExpiry} on read, not by a state TTL (whose incremental cleanup on the
 * heap backend copied whole maps on every access); a named event-time timer {@value #VIEWED_CLEANUP}, set a
 * TTL after the first mark of a map that keeps none (one is pending while it keeps any), removes the expired
 * entries and sets the next while some stay (later and later while sweeps find none: a replay runs event time
 * ahead of the TTL's clock). A view of a session already seen is not
 * buffered: it cannot be the session's first (that one is at or behind the watermark, this one ahead of it); it
 * only refreshes the session's mark.
 */
@DataTypeHint(
        "ROW<kind STRING, session_id STRING, event_id STRING, event_type STRING, product_id STRING, "
                + "ts_ms BIGINT, cart_history STRING, last_change_ms BIGINT, changes STRING, carted STRING, "
                + "last_add_ms BIGINT, last_purchase_ms BIGINT>")
public class ShopperActivity extends ProcessTableFunction<Row> implements SpecializedFunction {
    private static final long serialVersionUID = 1L;

    public static final String WINDOW = "window";
    public static final String TRIGGER = "trigger";

    private static final String ABANDON_AFTER_MS = "abandon_after_ms";
    private static final String CART_HISTORY_MS = "cart_history_ms";
    private static final String VIEWED_TTL_MS = "viewed_ttl_ms";

    /** The named timer that removes the expired viewed sessions (every other timer is unnamed). */
    public static final String VIEWED_CLEANUP = "viewed_sessions_cleanup";

    /**
     * The call's arguments, for onTimer (which does not receive them): set by {@link #specialize} from the SQL
     * call's literals when the job is planned, so they travel with the function rather than in per-key state
     * (a value state is read, converted and compared by the PTF runtime on every call).
     */
    private Long abandonAfterMs;

    private Long cartHistoryMs;

    private Long viewedTtlMs;

    private transient ViewedSessionExpiry expiry;

    /** A copy of this function holding the call's literal arguments (the planner calls it for the runtime). */
    @Override
    public UserDefinedFunction specialize(SpecializedContext context) {
        return withArguments(
                literal(context, ABANDON_AFTER_MS), literal(context, CART_HISTORY_MS), literal(context, VIEWED_TTL_MS));
    }

    /** The function with the call's arguments, as {@link #specialize} makes it (and unit tests do). */
    static ShopperActivity withArguments(long abandonAfterMs, long cartHistoryMs, long viewedTtlMs) {
        ShopperActivity specialized = new ShopperActivity();
        specialized.abandonAfterMs = abandonAfterMs;
        specialized.cartHistoryMs = cartHistoryMs;
        specialized.viewedTtlMs = viewedTtlMs;
        return specialized;
    }

    private Long literal(SpecializedContext specialized, String name) {
        return CallLiterals.bigint(this, specialized, "shopper_activity", name);
    }

    public void eval(
            Context ctx,
            @StateHint(ttl = "0") ListView<CartWindow> windows,
            @StateHint(ttl = "0") ListView<ShopperEvent> buffered,
            @StateHint(ttl = "0") MapView<String, Long> viewedSessions,
            @ArgumentHint({ArgumentTrait.SET_SEMANTIC_TABLE, ArgumentTrait.REQUIRE_ON_TIME}) Row input,
            @ArgumentHint(name = ABANDON_AFTER_MS) Long abandonAfterMs,
            @ArgumentHint(name = CART_HISTORY_MS) Long cartHistoryMs,
            @ArgumentHint(name = VIEWED_TTL_MS) Long viewedTtlMs)
            throws Exception {
        TimeContext<Long> time = ctx.timeContext(Long.class);
        long watermark = Watermarks.current(time);
        long at = time.time();
        String eventType = input.getFieldAs("event_type");
        String sessionId = input.getFieldAs("session_id");
        if (!CartChange.isCartChange(eventType)) {
            long nowMs = System.currentTimeMillis(); // processing time, the TTL's clock
            if (expiry().marked(viewedSessions.get(sessionId), nowMs)) {
                viewedSessions.put(sessionId, nowMs); // refreshes the mark, as every view refreshed the TTL
                return;
            }
        }
        String productId = input.getFieldAs("product_id");
        String line = input.getFieldAs("line");
        if (CartChange.isCartChange(eventType)) {
            List<CartWindow> open = copy(windows.get());
            CartChange change = new CartChange(at, eventType, productId, line);
            long[] dueBefore = CartSessionWindows.dueTimes(open);
            CartWindow window = new CartSessionWindows(abandonAfterMs).add(open, change, watermark);
            if (window != null) {
                replace(windows, open);
                if (!CartSessionWindows.contains(dueBefore, window.maxTimestamp())) {
                    // a window is now due at its end - 1: the timer, and a mark in the buffer so that the timer
                    // knows to read the windows (no mark, no windows read)
                    buffered.add(ShopperBuffer.windowDue(window.maxTimestamp()));
                    time.registerOnTime(window.maxTimestamp());
                }
            }
        }
        ShopperEvent event = new ShopperEvent(at, eventType, sessionId, input.getFieldAs("event_id"), productId, line);
        if (RecommendationTriggers.inTime(event, watermark)) {
            buffered.add(event);
            time.registerOnTime(at);
        }
    }

    public void onTimer(
            OnTimerContext ctx,
            ListView<CartWindow> windows,
            ListView<ShopperEvent> buffered,
            MapView<String, Long> viewedSessions)
            throws Exception {
        if (cartHistoryMs == null || abandonAfterMs == null || viewedTtlMs == null) {
            throw new IllegalStateException(
                    "shopper_activity has no arguments in onTimer: it runs only as specialized by the planner");
        }
        TimeContext<Long> time = ctx.timeContext(Long.class);
        if (VIEWED_CLEANUP.equals(ctx.currentTimer())) {
            removeExpiredViews(time, viewedSessions);
            return;
        }
        long now = time.time();
        RecommendationTriggers triggers = new RecommendationTriggers(cartHistoryMs);
        ShopperBuffer buffer = ShopperBuffer.read(buffered.get());
        int waitingBefore = buffer.waiting.size();
        List<CartLine> linesBefore = new ArrayList<>(buffer.history);
        List<Trigger> due =
                triggers.process(
                        buffer.waiting,
                        buffer.history,
                        now,
                        sessionId -> {
                            long nowMs = System.currentTimeMillis();
                            Long mark = viewedSessions.get(sessionId);
                            boolean first = !expiry().marked(mark, nowMs);
                            // a sweep is pending while the map keeps any mark: set one for the first mark only
                            boolean sweepPending = mark != null || (first && !viewedSessions.isEmpty());
                            viewedSessions.put(sessionId, nowMs); // every view refreshes the mark
                            if (!sweepPending) {
                                scheduleViewCleanup(time);
                            }
                            return first;
                        });
        boolean windowsDue = buffer.takeWindowsDue(now);
        if (windowsDue || buffer.waiting.size() != waitingBefore || !buffer.history.equals(linesBefore)) {
            replace(buffered, buffer.entries());
        }
        for (Trigger trigger : due) {
            ShopperEvent e = trigger.event;
            collect(
                    Row.of(TRIGGER, e.sessionId, e.eventId, e.eventType, e.productId, e.atMs,
                            trigger.cartHistory, null, null, null, null, null));
        }
        if (windowsDue) {
            fireWindows(now, windows);
        }
        Long expiry = triggers.nextExpiry(buffer.history);
        if (expiry != null) {
            time.registerOnTime(expiry);
        }
    }

    /** Emits the windows due at {@code now} (their end - 1); a window a change extended since is not due yet. */
    private void fireWindows(long now, ListView<CartWindow> windows) throws Exception {
        List<CartWindow> open = copy(windows.get());
        List<CartWindow> fired = new CartSessionWindows(abandonAfterMs).fire(open, now);
        if (!fired.isEmpty()) {
            replace(windows, open);
        }
        for (CartWindow window : fired) {
            collect(
                    Row.of(WINDOW, null, null, null, null, null, null, window.lastChangeMs, window.changesText(),
                            window.cartedText(), window.lastAddMs, window.lastPurchaseMs));
        }
    }

    private ViewedSessionExpiry expiry() {
        if (expiry == null) {
            if (viewedTtlMs == null) {
                throw new IllegalStateException(
                        "shopper_activity has no viewed_ttl_ms: it runs only as specialized by the planner");
            }
            expiry = new ViewedSessionExpiry(viewedTtlMs);
        }
        return expiry;
    }

    /** Sets the sweep a TTL after now or the watermark, whichever is later (none without a TTL or time left). */
    private void scheduleViewCleanup(TimeContext<Long> time) {
        Long cleanup = expiry().cleanupAfter(Math.max(time.time(), Watermarks.current(time)));
        if (cleanup != null) {
            time.registerOnTime(VIEWED_CLEANUP, cleanup);
        }
    }

    /**
     * Removes the expired viewed sessions; while some stay marked, another sweep follows (one TTL later, or
     * later after sweeps that removed nothing: {@link ViewedSessionExpiry#cleanupAfterSweep}).
     */
    private void removeExpiredViews(TimeContext<Long> time, MapView<String, Long> viewedSessions) throws Exception {
        ViewedSessionExpiry.Sweep sweep = expiry().sweep(viewedSessions.entries(), System.currentTimeMillis());
        for (String sessionId : sweep.expired()) {
            viewedSessions.remove(sessionId);
        }
        long sweptAt = time.time();
        Long next =
                sweep.anyMarked()
                        ? expiry().cleanupAfterSweep(
                                sweptAt, Math.max(sweptAt, Watermarks.current(time)), !sweep.expired().isEmpty())
                        : null;
        if (next == null) {
            // Flink 2.2 keeps a fired named timer's entry in the operator's timer state until it is cleared
            time.clearTimer(VIEWED_CLEANUP);
        } else {
            time.registerOnTime(VIEWED_CLEANUP, next);
        }
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
