package dev.kappa.flink.sessions;

/** A session the watermark has ended, with the session id it belongs to: one `session` row of the shopper. */
public final class EndedSession {
    public final String sessionId;
    public final Session session;

    public EndedSession(String sessionId, Session session) {
        this.sessionId = sessionId;
        this.session = session;
    }
}
