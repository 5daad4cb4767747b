package dev.kappa.flink.sessions;

import dev.kappa.flink.time.Watermarks;
import java.util.List;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.types.Row;

/**
 * `session_summaries`: the per-session aggregates `session_insight` turns into a `session_summary` insight.
 *
 * <pre>
 *   SELECT ... FROM session_summaries(
 *     input => TABLE session_events PARTITION BY (user_id, session_id), on_time => DESCRIPTOR(ts), gap_ms => 1800000)
 * </pre>
 *
 * <p>Replaces Flink SQL's legacy group window {@code GROUP BY user_id, session_id, SESSION(ts, gap)} (see
 * {@link SessionWindows} for the rule and the Flink classes whose behaviour it copies, {@link Session} for the
 * aggregates). Output: the partition keys, the columns below, then `rowtime` (the firing time).
 *
 * <p>It owns, per (user_id, session_id), the open sessions ({@link OpenSessions}: a map view by position, no value
 * state), and event-time timers. A timer is set when a
 * session starts, at the max timestamp of its window then; events that extend the session do not move it (the
 * merging window deletes and adds a timer per event, most of its cost). When a timer fires, the watermark has
 * reached it: the sessions whose max timestamp the watermark has reached are emitted, and every other open
 * session gets a timer at its window's current max timestamp (a no-op when it has one there). Every open session
 * therefore always has a timer at or before its max timestamp, and is emitted while the watermark that reaches
 * its max timestamp is processed: when the window would fire. (Flink 2.2's PTF ignores a timer registered at or
 * behind the current watermark, so firing by the timer's own time would miss sessions the same watermark
 * reached.)
 *
 * <p>Flink 2.2's PTF runtime drops a late row (behind the operator's watermark) before eval(), where the window
 * would still merge one into an open session (later versions pass late rows to eval(): SessionWindows.add then
 * applies the window's own rule to them). Its input here is `on_time_events`, which has only rows ahead of the
 * watermark of the operator before it, and this operator's watermark is never ahead of that one, so no row is
 * lost and the two agree.
 */
@DataTypeHint(
        "ROW<started_at_ms BIGINT, ended_at_ms BIGINT, events BIGINT, page_views BIGINT, product_views BIGINT,"
                + " searches BIGINT, cart_adds BIGINT, cart_value_cents BIGINT, cart_currency STRING,"
                + " checkouts BIGINT, order_amounts STRING>")
public class SessionSummaries extends ProcessTableFunction<Row> {
    private static final long serialVersionUID = 1L;

    // No state TTL ("0" disables it): every session ends with its timer. Without a TTL here the job-wide
    // table.exec.state.ttl (the dedupe's, job.dedupe.ttl_minutes) would apply, costing CPU on every access and
    // dropping a session whose events are further apart (in processing time) than that TTL.
    public void eval(
            Context ctx,
            @StateHint(ttl = "0") MapView<Integer, Session> sessions,
            @ArgumentHint({ArgumentTrait.SET_SEMANTIC_TABLE, ArgumentTrait.REQUIRE_ON_TIME}) Row input,
            @ArgumentHint(name = "gap_ms") Long gapMs)
            throws Exception {
        TimeContext<Long> time = ctx.timeContext(Long.class);
        List<Session> open = OpenSessions.load(sessions);
        int openBefore = open.size();
        SessionWindows windows = new SessionWindows(gapMs, open);
        Session session = windows.add(event(input, time.time()), Watermarks.current(time));
        if (session != null && open.size() > openBefore) {
            time.registerOnTime(session.maxTimestamp());
        }
        OpenSessions.store(sessions, openBefore, open);
    }

    public void onTimer(OnTimerContext ctx, @StateHint(ttl = "0") MapView<Integer, Session> sessions)
            throws Exception {
        List<Session> open = OpenSessions.load(sessions);
        if (open.isEmpty()) {
            return;
        }
        int openBefore = open.size();
        TimeContext<Long> time = ctx.timeContext(Long.class);
        List<Session> fired = SessionWindows.fire(open, Watermarks.current(time));
        for (Session session : fired) {
            collect(row(session));
        }
        for (Session session : open) {
            time.registerOnTime(session.maxTimestamp());
        }
        if (!fired.isEmpty()) {
            // firing only removes sessions; the others are as loaded (a write each would be wasted on RocksDB)
            OpenSessions.store(sessions, openBefore, open);
        }
    }

    private static SessionEvent event(Row input, long timestampMs) {
        return new SessionEvent(
                input.getFieldAs("event_type"),
                timestampMs,
                input.getFieldAs("quantity"),
                input.getFieldAs("price_cents"),
                input.getFieldAs("product_currency"),
                input.getFieldAs("order_currency"),
                input.getFieldAs("order_total_cents"));
    }

    private static Row row(Session session) {
        return Row.of(
                session.startedAtMs,
                session.endedAtMs,
                session.events,
                session.pageViews,
                session.productViews,
                session.searches,
                session.cartAdds,
                session.cartValueCents,
                session.cartCurrency,
                session.checkouts,
                session.orderAmounts);
    }
}
