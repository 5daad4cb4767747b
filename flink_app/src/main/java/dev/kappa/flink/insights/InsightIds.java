package dev.kappa.flink.insights;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * {@code events.make_insight_id}: {@code type + ":" + sha256("\x1f".join([type, *map(str, key)]))} as hex, first
 * 24 characters. A key part Python would print as {@code None} is given here as null. Not thread-safe (one
 * digest per instance; a Flink function instance runs in one thread).
 */
public final class InsightIds {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final int HEX_CHARS = 24;

    private final MessageDigest sha256;

    public InsightIds() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    public String id(String type, String... keyParts) {
        StringBuilder material = new StringBuilder(type);
        for (String part : keyParts) {
            material.append('\u001f').append(part == null ? "None" : part);
        }
        byte[] digest = sha256.digest(material.toString().getBytes(StandardCharsets.UTF_8));
        char[] id = new char[HEX_CHARS];
        for (int i = 0; i < HEX_CHARS / 2; i++) {
            id[2 * i] = HEX[(digest[i] >> 4) & 0xF];
            id[2 * i + 1] = HEX[digest[i] & 0xF];
        }
        return type + ":" + new String(id);
    }
}
