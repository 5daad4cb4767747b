package dev.kappa.flink.insights;

/**
 * The envelope {@code events.make_insight} builds, in its key order: {@code insight_id}, {@code type}, {@code
 * occurred_at}, {@code emitted_at}, {@code job_version}, {@code payload}, then {@code user_id} unless it is None.
 */
final class InsightEnvelope {
    private InsightEnvelope() {}

    /** Writes the members before the payload and the payload's name: the caller writes the payload next. */
    static JsonWriter open(
            String insightId, String type, String occurredAt, String emittedAt, String jobVersion) {
        return new JsonWriter()
                .beginObject()
                .name("insight_id")
                .value(insightId)
                .name("type")
                .value(type)
                .name("occurred_at")
                .value(occurredAt)
                .name("emitted_at")
                .value(emittedAt)
                .name("job_version")
                .value(jobVersion)
                .name("payload");
    }

    /** Closes the envelope after the payload: {@code user_id} when there is one. */
    static String close(JsonWriter json, String userId) {
        if (userId != null) {
            json.name("user_id").value(userId);
        }
        return json.endObject().toString();
    }

    /** Python's {@code text.split(separator)}: every field, empty ones included. */
    static String[] split(String text, char separator) {
        int count = 1;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == separator) {
                count++;
            }
        }
        String[] fields = new String[count];
        int start = 0;
        for (int n = 0; n < count - 1; n++) {
            int end = text.indexOf(separator, start);
            fields[n] = text.substring(start, end);
            start = end + 1;
        }
        fields[count - 1] = text.substring(start);
        return fields;
    }
}
