package dev.kappa.flink.insights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The envelope's text pieces against the Python reference's goldens (see {@link Goldens}). */
class EnvelopeTextTest {

    @Test
    void stringsAreEscapedAsOrjsonEscapesThem() {
        // GIVEN every ASCII character alone and in random strings with non-ASCII ones (é € U+2028 😀 /)
        for (String[] row : Goldens.rows("strings.tsv")) {
            String text = Goldens.utf8OfHex(row[0]);
            assertEquals(row[1], new JsonWriter().value(text).toString());
        }
    }

    @Test
    void theWriterPutsCommasBetweenMembersAndElementsOnly() {
        String json = new JsonWriter()
                .beginObject()
                .name("a")
                .beginArray()
                .value(1)
                .beginObject()
                .endObject()
                .value((String) null)
                .endArray()
                .name("b")
                .beginObject()
                .name("c")
                .value(true)
                .endObject()
                .name("d")
                .nullable(null)
                .endObject()
                .toString();
        assertEquals("{\"a\":[1,{},null],\"b\":{\"c\":true},\"d\":null}", json);
    }

    @Test
    void timestampsAsFormatRfc3339WritesThem() {
        // GIVEN instants from year 1 to 9999 (before 1970 Python's float path, unpadded years below 1000)
        for (String[] row : Goldens.rows("rfc3339.tsv")) {
            assertEquals(row[1], Rfc3339.format(Long.parseLong(row[0])), row[0]);
        }
    }

    @Test
    void instantsPythonCannotFormatFailAsInPython() {
        assertThrows(IllegalArgumentException.class, () -> Rfc3339.format(253_402_300_800_000L));
        assertThrows(IllegalArgumentException.class, () -> Rfc3339.format(-62_135_596_800_001L));
    }

    @Test
    void insightIdsAsMakeInsightIdComputesThem() {
        InsightIds ids = new InsightIds();
        // the doctest of events.make_insight_id
        assertEquals(
                "cart_abandoned:c85eca5942bad49c09f60c7b",
                ids.id("cart_abandoned", "user-1", "2026-11-25T12:00:00.000Z"));
        for (String[] row : Goldens.rows("ids.tsv")) {
            String[] parts = new String[row.length - 2];
            for (int i = 2; i < row.length; i++) {
                parts[i - 2] = Goldens.utf8OfHex(row[i]);
            }
            assertEquals(row[1], ids.id(row[0], parts));
        }
    }
}
