package dev.kappa.flink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How long a shopper's session stays marked as viewed: the expiry Flink's state TTL gave the first-view OVER
 * window's count ({@code table.exec.state.ttl}: processing time, refreshed by every write, an expired entry
 * never returned; Flink's {@code TtlUtils.expired}), applied by hand so that the state itself needs no TTL.
 *
 * <p>Why by hand: on the heap state backend a map view under a TTL runs the TTL's incremental cleanup on every
 * access, which copies a whole map (every entry through its serializer) for each entry it visits; it was a
 * fifth of {@code shopper_activity}'s CPU. Here an entry's value is the processing time it was last written
 * and visibility is decided on read, as the TTL decided it. Memory is reclaimed by removing the {@link #expired} entries, which the
 * function does on an event-time timer about a TTL after a session's first view (and again while entries stay
 * visible), instead of by the backend's cleanup; reclaiming earlier or later changes no result, since an entry
 * is only ever read through {@link #marked}.
 */
public final class ViewedSessionExpiry {
    private final long ttlMs;

    /** {@code ttlMs} as {@code table.exec.state.ttl}: 0 (or less) never expires. */
    public ViewedSessionExpiry(long ttlMs) {
        this.ttlMs = ttlMs;
    }

    /** True when entries expire (a TTL is set): the function then needs cleanup timers. */
    public boolean expires() {
        return ttlMs > 0;
    }

    /** True when a session last written at {@code lastWriteMs} (null: never) is still marked at {@code nowMs}. */
    public boolean marked(Long lastWriteMs, long nowMs) {
        return lastWriteMs != null && (!expires() || expiration(lastWriteMs) > nowMs);
    }

    /** When an entry written at {@code lastWriteMs} expires: + TTL, saturating at Long.MAX_VALUE (Flink's rule). */
    public long expiration(long lastWriteMs) {
        long ttlWithoutOverflow = lastWriteMs > 0 ? Math.min(Long.MAX_VALUE - lastWriteMs, ttlMs) : ttlMs;
        return lastWriteMs + ttlWithoutOverflow;
    }

    /** The sessions of {@code entries} (session → last write) that have expired at {@code nowMs}. */
    public List<String> expired(Iterable<Map.Entry<String, Long>> entries, long nowMs) {
        List<String> expired = new ArrayList<>();
        if (entries != null) {
            for (Map.Entry<String, Long> entry : entries) {
                if (!marked(entry.getValue(), nowMs)) {
                    expired.add(entry.getKey());
                }
            }
        }
        return expired;
    }

    /**
     * The event time of a cleanup one TTL after {@code eventTimeMs}, or null when there is none to set: no TTL,
     * or past the end of event time (the bounded job's final watermark fires every timer; nothing follows it).
     */
    public Long cleanupAfter(long eventTimeMs) {
        if (!expires() || eventTimeMs > Long.MAX_VALUE - ttlMs - 1) {
            return null;
        }
        return eventTimeMs + ttlMs;
    }
}
