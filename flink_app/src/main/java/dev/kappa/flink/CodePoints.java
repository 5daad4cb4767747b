package dev.kappa.flink;

/**
 * String order by Unicode code point: the order of Flink's STRING comparisons (UTF-8 bytes) and of Python's
 * {@code str < str}. {@link String#compareTo} compares UTF-16 units, which orders characters beyond U+FFFF
 * differently.
 */
public final class CodePoints {
    private CodePoints() {}

    /** Negative, zero or positive as {@code a} sorts before, with or after {@code b}. */
    public static int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int x = a.codePointAt(i);
            int y = b.codePointAt(j);
            if (x != y) {
                return Integer.compare(x, y);
            }
            i += Character.charCount(x);
            j += Character.charCount(y);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }
}
