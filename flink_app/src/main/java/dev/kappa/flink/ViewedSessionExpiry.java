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
 * and visibility is decided on read, as the TTL decided it. Memory is reclaimed by a {@link #sweep} that removes
 * the expired entries, which the function runs on an event-time timer a TTL after the first mark of a map that
 * keeps none (and again while entries stay marked), instead of by the backend's cleanup; reclaiming earlier or
 * later changes no result, since an entry is only ever read through {@link #marked}.
 *
 * <p>The marks expire by processing time but the sweeps follow event time, and in a replay event time runs far
 * ahead of the clock: a sweep one TTL of event time later finds nothing expired, and a sweep per TTL for every
 * shopper ever seen made the replay's cost per event grow with its length (on RocksDB each sweep reads the map
 * and moves a named timer). So a sweep that removes nothing waits twice as long for the next one, up to
 * {@code 2^}{@value #MAX_BACKOFF} TTLs ({@link #cleanupAfterSweep}); live, where the clocks agree, the first
 * sweep after a shopper goes quiet removes the marks and the wait stays one TTL. The doubling count rides in
 * the timer's own time (its remainder modulo {@value #BACKOFF_SLOT_MS} ms; the time is rounded up to the slot),
 * so it needs no state.
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

    /** A sweep's result: the sessions whose marks expired (to remove), and whether any mark stays. */
    public static final class Sweep {
        private final List<String> expired;
        private final boolean anyMarked;

        public Sweep(List<String> expired, boolean anyMarked) {
            this.expired = expired;
            this.anyMarked = anyMarked;
        }

        public List<String> expired() {
            return expired;
        }

        public boolean anyMarked() {
            return anyMarked;
        }
    }

    /** Sweeps {@code entries} (session → last write) at {@code nowMs}. */
    public Sweep sweep(Iterable<Map.Entry<String, Long>> entries, long nowMs) {
        List<String> expired = new ArrayList<>();
        boolean anyMarked = false;
        if (entries != null) {
            for (Map.Entry<String, Long> entry : entries) {
                if (marked(entry.getValue(), nowMs)) {
                    anyMarked = true;
                } else {
                    expired.add(entry.getKey());
                }
            }
        }
        return new Sweep(expired, anyMarked);
    }

    /** The most doublings of the wait between sweeps that remove nothing: 2^6 = 64 TTLs. */
    public static final int MAX_BACKOFF = 6;

    /** Sweep times are multiples of this slot plus the backoff (the doublings of the wait that led to them). */
    public static final long BACKOFF_SLOT_MS = 64;

    /**
     * The event time of the first sweep after a first mark at {@code eventTimeMs}: one TTL later, or
     * null when there is none to set (no TTL, or past the end of event time: the bounded job's final watermark
     * fires every timer, and nothing follows it).
     */
    public Long cleanupAfter(long eventTimeMs) {
        return sweepAt(eventTimeMs, 0);
    }

    /**
     * The event time of the sweep after the one set for {@code sweptAtMs}, from {@code eventTimeMs} (that time or
     * the watermark, whichever is later): one TTL later when it removed marks, else twice its own wait, up to
     * 2^{@value #MAX_BACKOFF} TTLs; null as in {@link #cleanupAfter}.
     */
    public Long cleanupAfterSweep(long sweptAtMs, long eventTimeMs, boolean removedAny) {
        return sweepAt(eventTimeMs, removedAny ? 0 : Math.min(backoffOf(sweptAtMs) + 1, MAX_BACKOFF));
    }

    /** The doublings a sweep time carries (a time this class did not set reads as some backoff, at most the cap). */
    static int backoffOf(long sweepAtMs) {
        return (int) Math.min(Math.floorMod(sweepAtMs, BACKOFF_SLOT_MS), MAX_BACKOFF);
    }

    /**
     * The first slot at or after {@code eventTimeMs} + TTL * 2^backoff, plus the backoff; null past the end of
     * time.
     */
    private Long sweepAt(long eventTimeMs, int backoff) {
        if (!expires() || ttlMs > Long.MAX_VALUE >> backoff) {
            return null;
        }
        long waitMs = ttlMs << backoff;
        if (eventTimeMs > Long.MAX_VALUE - waitMs - 2 * BACKOFF_SLOT_MS) {
            return null;
        }
        long earliest = eventTimeMs + waitMs;
        return Math.floorDiv(earliest + BACKOFF_SLOT_MS - 1, BACKOFF_SLOT_MS) * BACKOFF_SLOT_MS + backoff;
    }
}
