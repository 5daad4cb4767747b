package dev.kappa.flink.insights;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The golden files written by the Python reference: {@code .venv/bin/python -m tests.flink_app.java_insight_goldens}
 * (src/test/resources/dev/kappa/flink/insights/*.tsv; tab-separated, {@code \N} = None).
 */
final class Goldens {
    private Goldens() {}

    static List<String[]> rows(String file) {
        InputStream stream = Goldens.class.getResourceAsStream(file);
        if (stream == null) {
            throw new IllegalStateException(file + " is missing: run python -m tests.flink_app.java_insight_goldens");
        }
        List<String[]> rows = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isEmpty()) {
                    rows.add(line.split("\t", -1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    static double doubleOfBits(String hex) {
        return Double.longBitsToDouble(Long.parseLong(hex, 16));
    }

    static String utf8OfHex(String hex) {
        byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static String nullable(String field) {
        return "\\N".equals(field) ? null : field;
    }
}
