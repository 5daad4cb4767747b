package dev.kappa.flink.insights;

/**
 * JSON text exactly as {@code orjson.dumps} writes it (orjson 3.13, the version the Python UDFs used): no spaces,
 * keys in the order written, strings escaped as orjson escapes them, numbers as {@link OrjsonFloats} and
 * {@link Long#toString}.
 *
 * <p>orjson escapes {@code "} and {@code \}, writes {@code \b \t \n \f \r} in their short form and every other
 * character below U+0020 as a backslash, u00 and two lowercase hex digits; everything else (U+007F, non-ASCII,
 * {@code /}) is written raw. A Java string is UTF-16 and the sink encodes it as UTF-8, so writing the characters
 * is writing orjson's UTF-8 bytes. (orjson refuses a lone surrogate; identifiers are ASCII per the event
 * contract.)
 *
 * <p>The writer puts the commas: {@link #name} before a member's value, any value or {@code begin*} after it.
 */
public final class JsonWriter {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final StringBuilder out = new StringBuilder(512);
    /** Bit i: the container at depth i already has a member (the next one needs a comma). */
    private long hasMember;

    private int depth;
    private boolean afterName;

    public JsonWriter beginObject() {
        beforeValue();
        out.append('{');
        push();
        return this;
    }

    public JsonWriter endObject() {
        depth--;
        out.append('}');
        return this;
    }

    public JsonWriter beginArray() {
        beforeValue();
        out.append('[');
        push();
        return this;
    }

    public JsonWriter endArray() {
        depth--;
        out.append(']');
        return this;
    }

    /** A member's name; its value follows. */
    public JsonWriter name(String name) {
        beforeValue();
        quoted(name);
        out.append(':');
        afterName = true;
        return this;
    }

    /** A string, or {@code null} for a Java null (Python None). */
    public JsonWriter value(String value) {
        beforeValue();
        if (value == null) {
            out.append("null");
        } else {
            quoted(value);
        }
        return this;
    }

    public JsonWriter value(long value) {
        beforeValue();
        out.append(value);
        return this;
    }

    /** An integer, or {@code null} for a Java null (Python None). */
    public JsonWriter nullable(Long value) {
        return value == null ? number(null) : value(value.longValue());
    }

    public JsonWriter value(boolean value) {
        beforeValue();
        out.append(value ? "true" : "false");
        return this;
    }

    /** A number already formatted as orjson formats it (see {@link OrjsonFloats}), or {@code null}. */
    public JsonWriter number(String formatted) {
        beforeValue();
        out.append(formatted == null ? "null" : formatted);
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void push() {
        depth++;
        if (depth >= Long.SIZE) {
            throw new IllegalStateException("JSON nested deeper than " + (Long.SIZE - 1) + " levels");
        }
        hasMember &= ~(1L << depth);
    }

    private void beforeValue() {
        if (afterName) {
            afterName = false;
            return;
        }
        long bit = 1L << depth;
        if ((hasMember & bit) != 0) {
            out.append(',');
        }
        hasMember |= bit;
    }

    private void quoted(String text) {
        out.append('"');
        int length = text.length();
        int clean = 0;
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            out.append(text, clean, i);
            clean = i + 1;
            switch (c) {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\b':
                    out.append("\\b");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\f':
                    out.append("\\f");
                    break;
                case '\r':
                    out.append("\\r");
                    break;
                default:
                    out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    break;
            }
        }
        out.append(text, clean, length);
        out.append('"');
    }
}
