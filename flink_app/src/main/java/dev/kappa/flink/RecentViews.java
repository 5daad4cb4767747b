package dev.kappa.flink;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sessions one {@link ShopperActivity} instance marked viewed lately, each with a time at or before its write:
 * a shortcut past the viewed-sessions state lookup that gives the same answer.
 *
 * <p>The viewed sessions are a map view under the job's state TTL (Flink's TTL as the PTF runtime sets it,
 * StateConfigUtil.createTtlConfig: processing time, updated on create and write, never returning an expired
 * entry; an entry written at t is visible while {@code now < t + ttl}). Only writes change an entry, and each
 * moves its time forward, so an entry this instance wrote at or after t is still visible at any
 * {@code now < t + ttl}: for a view of such a session the lookup is known to answer "viewed", and only the
 * refresh (a write) is needed: one state access, and one run of the TTL's incremental cleanup, instead of two.
 * A margin keeps clear of the boundary. The memory is bounded (least recently used first out) and starts empty
 * (after a restore too): a miss costs the lookup the function made anyway.
 */
final class RecentViews {
    /** Kept clear of the TTL boundary (clock reads of the function and of the state backend differ). */
    static final long MARGIN_MS = 1_000;

    private final long ttlMs;
    private final Map<String, Long> writtenAt;

    /**
     * @param ttlMs the viewed sessions' state TTL in milliseconds; 0 or less: no TTL (entries never expire)
     * @param capacity how many (shopper, session) pairs to remember
     */
    RecentViews(long ttlMs, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("the capacity must be positive, got " + capacity);
        }
        this.ttlMs = ttlMs;
        this.writtenAt =
                new LinkedHashMap<>(16, 0.75f, true) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                        return size() > capacity;
                    }
                };
    }

    /** True when the shopper's entry for the session was written here recently enough to be visible at now. */
    boolean visible(String userId, String sessionId, long nowMs) {
        Long at = writtenAt.get(key(userId, sessionId));
        return at != null && (ttlMs <= 0 || nowMs + MARGIN_MS < at + ttlMs);
    }

    /** Records a write of the shopper's entry for the session, made at or after {@code notBeforeMs}. */
    void written(String userId, String sessionId, long notBeforeMs) {
        writtenAt.put(key(userId, sessionId), notBeforeMs);
    }

    private static String key(String userId, String sessionId) {
        return userId + '\u0000' + sessionId;
    }
}
