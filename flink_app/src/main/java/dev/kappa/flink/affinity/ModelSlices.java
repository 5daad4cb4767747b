package dev.kappa.flink.affinity;

/**
 * Which model version serves a recommendation trigger, and until when: the rule of the interval join
 * {@code t.ts > m.version_time AND t.ts <= m.version_time + update} that {@link ModelLookup} replaces, given
 * that versions end on multiples of the update interval ({@link AffinityRule#sliceEnd}: slices are tumbling
 * windows aligned to the epoch) and have {@code version_time = version_ms - 1}.
 */
public final class ModelSlices {
    private ModelSlices() {}

    /**
     * The {@code version_ms} of the one version a trigger at {@code at} joins: the version time v with
     * v < at <= v + update is the version end in (at - update, at], the multiple of the update at or before at.
     */
    public static long servingVersion(long at, long updateMs) {
        requirePositive(updateMs);
        return at - Math.floorMod(at, updateMs);
    }

    /** The last millisecond a version serves (after it no on-time trigger joins it): its time + update. */
    public static long expiry(long versionMs, long updateMs) {
        requirePositive(updateMs);
        return versionTime(versionMs) + updateMs;
    }

    /** The version's time (its rowtime): a version not seen when the watermark reaches it never comes. */
    public static long versionTime(long versionMs) {
        return versionMs - 1;
    }

    private static void requirePositive(long updateMs) {
        if (updateMs <= 0) {
            throw new IllegalArgumentException("the model update interval must be positive, got " + updateMs + " ms");
        }
    }
}
