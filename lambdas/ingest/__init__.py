"""The ingestion Lambda: validates producers' events, adds `_meta`, and appends them to the raw event log.

`handler.handler` is the API Gateway entry point; `service.IngestService` holds the logic and runs
without AWS (tests and the local runtime inject their own `EventLog`).
"""
