package dev.kappa.flink;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * The rule of a shopper's recommendation triggers, without Flink: what two SQL OVER windows computed.
 *
 * <ol>
 *   <li>first views: {@code COUNT(*) OVER (PARTITION BY session_id ORDER BY ts ROWS UNBOUNDED PRECEDING) = 1}
 *       over product views (Flink 2.2 RowTimeRowsUnboundedPrecedingFunction): a view is buffered until the
 *       watermark passes its time, then views are counted in time order, views of the same millisecond in
 *       arrival order; the first one of its session is a trigger;
 *   <li>the cart history: {@code LISTAGG(cart_line) OVER (PARTITION BY user_id ORDER BY ts RANGE BETWEEN
 *       history PRECEDING AND CURRENT ROW)} over cart changes and first views (RowTimeRangeBoundedPrecedingFunction):
 *       rows are processed per millisecond in time order once the watermark passes it; the frame of a row at t
 *       holds the changes at [t - history, t], its peers (same millisecond) included.
 * </ol>
 *
 * Triggers are the add_to_cart changes and the first views. Late rows, at or behind the watermark, are dropped
 * (the ROWS function's rule; the RANGE function's own rule, at or behind the last processed millisecond of
 * the key, drops a subset of those). In the job no row is late here: the input is on_time_events, already
 * ahead of the watermark of the operator that filtered it, which is never behind this one's.
 *
 * <p>Which sessions were viewed is kept by the caller ({@link SessionViews}), so that its state can expire as
 * the OVER window's did.
 */
public final class RecommendationTriggers {
    /** The shopper's viewed sessions. */
    public interface SessionViews {
        /** Records a view of the session; true when it is the session's first one. */
        boolean firstView(String sessionId) throws Exception;
    }

    private static final Comparator<ShopperEvent> BY_TIME = Comparator.comparingLong(e -> e.atMs);

    private final long historyMs;

    public RecommendationTriggers(long historyMs) {
        if (historyMs < 0) {
            throw new IllegalArgumentException("the cart history must not be negative, got " + historyMs + " ms");
        }
        this.historyMs = historyMs;
    }

    /** Buffers a cart change or view until the watermark passes it; false (dropped) when it is late. */
    public boolean buffer(List<ShopperEvent> pending, ShopperEvent event, long watermark) {
        if (!inTime(event, watermark)) {
            return false;
        }
        pending.add(event);
        return true;
    }

    /** False for a late row: at or behind the watermark. */
    public static boolean inTime(ShopperEvent event, long watermark) {
        return event.atMs > watermark;
    }

    /**
     * Processes the buffered rows at or before {@code time} (the watermark has reached it), in time order,
     * and returns the triggers among them. {@code history} (sorted by time) keeps the processed cart changes
     * that a later frame can still hold.
     */
    public List<Trigger> process(
            List<ShopperEvent> pending, List<CartLine> history, long time, SessionViews views) throws Exception {
        List<ShopperEvent> due = new ArrayList<>();
        Iterator<ShopperEvent> it = pending.iterator();
        while (it.hasNext()) {
            ShopperEvent event = it.next();
            if (event.atMs <= time) {
                due.add(event);
                it.remove();
            }
        }
        due.sort(BY_TIME); // stable: arrival order within a millisecond
        List<Trigger> triggers = new ArrayList<>();
        int from = 0;
        while (from < due.size()) {
            long at = due.get(from).atMs;
            int to = from;
            while (to < due.size() && due.get(to).atMs == at) {
                to++;
            }
            processPeers(due.subList(from, to), at, history, views, triggers);
            from = to;
        }
        forgetBefore(history, time - historyMs);
        return triggers;
    }

    /** The earliest time a processed change leaves every future frame (a cleanup is due then), or null. */
    public Long nextExpiry(List<CartLine> history) {
        return history.isEmpty() ? null : history.get(0).atMs + historyMs + 1;
    }

    private void processPeers(
            List<ShopperEvent> peers, long at, List<CartLine> history, SessionViews views, List<Trigger> out)
            throws Exception {
        forgetBefore(history, at - historyMs);
        List<ShopperEvent> triggers = new ArrayList<>(peers.size());
        for (ShopperEvent event : peers) {
            if (event.isView()) {
                if (views.firstView(event.sessionId)) {
                    triggers.add(event);
                }
            } else {
                if (event.line != null) {
                    history.add(new CartLine(at, event.line));
                }
                if ("add_to_cart".equals(event.eventType)) {
                    triggers.add(event);
                }
            }
        }
        if (triggers.isEmpty()) {
            return;
        }
        String cartHistory = history.isEmpty() ? null : joinLines(history);
        for (ShopperEvent event : triggers) {
            out.add(new Trigger(event, cartHistory));
        }
    }

    private static String joinLines(List<CartLine> history) {
        StringBuilder text = new StringBuilder();
        for (CartLine line : history) {
            if (text.length() > 0) {
                text.append(';');
            }
            text.append(line.line);
        }
        return text.toString();
    }

    /** Drops the changes before {@code start} (RANGE: a row more than history before the current one). */
    private static void forgetBefore(List<CartLine> history, long start) {
        int keep = 0;
        while (keep < history.size() && history.get(keep).atMs < start) {
            keep++;
        }
        if (keep > 0) {
            history.subList(0, keep).clear();
        }
    }
}
