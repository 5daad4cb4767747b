"""Sends simulated events to the ingestion API (`POST .../v1/events`): at event time, in batches, paced, retried.

Each event goes out when its delivery time has come on the wall clock (so `occurred_at` ≈ now for a
run that starts now, and a run in the past replays as fast as `rate` allows). Batches hold up to 500
events (the API's limit). 429 and 5xx answers are retried with exponential backoff (honouring
`Retry-After`); a 503 that names which events the log refused resends only those.
"""

from __future__ import annotations

import contextlib
import math
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from events import MAX_EVENTS_PER_REQUEST

_RETRYABLE = frozenset({429, 500, 502, 503, 504})
_KEPT_REJECTIONS = 20


class EndpointError(RuntimeError):
    """The API cannot take our events (unreachable, wrong URL, refused key); the message says what to fix."""


@dataclass
class SendReport:
    """What the API said about the events we sent. `failed` events were given up after retries."""

    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    requests: int = 0
    retries: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)
    """The first few rejections as `{"event_id", "error"}`."""


class EventSender:
    """Posts deliveries to one endpoint. `clock`/`sleep` are injectable so tests need not wait."""

    def __init__(
        self,
        endpoint: str,
        api_key: str,
        *,
        rate: float = 200.0,
        linger_seconds: float = 0.5,
        max_attempts: int = 6,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 10.0,
        timeout_seconds: float = 30.0,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_batch: Callable[[SendReport, int], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be more than 0 events per second")
        self.endpoint = endpoint
        self.report = SendReport()
        self._headers = {"x-api-key": api_key, "content-type": "application/json"}
        self._rate = rate
        self._batch_size = min(MAX_EVENTS_PER_REQUEST, max(1, math.ceil(rate)))
        self._linger = linger_seconds
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._client = client or httpx.Client(timeout=timeout_seconds)
        self._owns_client = client is None
        self._clock = clock
        self._stop = stop
        self._sleep = sleep if stop is None else self._wait_unless_stopped
        self._on_batch = on_batch
        self._next_send_at = 0.0
        self._jitter = random.Random(0)  # only spreads retries; has no effect on what is sent

    def send(self, deliveries: Iterable[tuple[int, dict[str, Any]]]) -> SendReport:
        """Send every delivery (until `stop` is set); returns the report (also kept in `self.report`)."""
        try:
            self._send_all(deliveries)
        finally:
            if self._owns_client:
                self._client.close()
        return self.report

    def _wait_unless_stopped(self, seconds: float) -> None:
        """Waiting on the stop event lets a caller end a live run at once."""
        assert self._stop is not None
        self._stop.wait(seconds)

    def _send_all(self, deliveries: Iterable[tuple[int, dict[str, Any]]]) -> None:
        clock, sleep = self._clock, self._sleep
        batch: list[dict[str, Any]] = []
        batch_opened = 0.0
        last_at = 0
        stop = self._stop
        for deliver_at_ms, event in deliveries:
            if stop is not None and stop.is_set():
                break
            due = deliver_at_ms / 1000
            while (now := clock()) < due and not (stop is not None and stop.is_set()):
                if batch and now - batch_opened >= self._linger:
                    self._flush(batch, last_at)
                    batch = []
                    continue
                wake = min(due, batch_opened + self._linger) if batch else due
                sleep(max(0.0, wake - now))
            if now < due:  # stopped while waiting: this event's time has not come
                break
            if not batch:
                batch_opened = clock()
            batch.append(event)
            last_at = deliver_at_ms
            if len(batch) >= self._batch_size:
                self._flush(batch, last_at)
                batch = []
        if batch:
            self._flush(batch, last_at)

    def _flush(self, batch: list[dict[str, Any]], last_at_ms: int) -> None:
        now = self._clock()
        if self._next_send_at > now:
            self._sleep(self._next_send_at - now)
        self._next_send_at = max(self._next_send_at, now) + len(batch) / self._rate
        self.report.sent += len(batch)
        self._post(batch)
        if self._on_batch is not None:
            self._on_batch(self.report, last_at_ms)

    def _post(self, batch: list[dict[str, Any]]) -> None:
        report = self.report
        pending = batch
        attempt = 0
        while pending:
            attempt += 1
            try:
                response = self._client.post(
                    self.endpoint, content=orjson.dumps({"events": pending}), headers=self._headers
                )
            except httpx.TransportError as error:
                if attempt >= self._max_attempts:
                    raise EndpointError(
                        f"cannot reach {self.endpoint} ({type(error).__name__}: {error or 'no answer'}); "
                        "check --endpoint and that the API is running"
                    ) from None
                self._wait_before_retry(attempt, None)
                continue
            report.requests += 1
            status = response.status_code
            body = _json_or_none(response)
            results = body.get("results") if isinstance(body, dict) else None
            if status < 300 or (status == 400 and isinstance(results, list)):
                self._record(pending, results, retry_refused=False)
                return
            if status == 400:
                message = body.get("message") if isinstance(body, dict) else response.text[:200]
                self._reject_all(pending, f"HTTP 400: {message}")
                return
            if status == 413 and len(pending) > 1:
                middle = len(pending) // 2
                self._post(pending[:middle])
                self._post(pending[middle:])
                return
            if status in _RETRYABLE:
                if status == 503 and isinstance(results, list):
                    pending = self._record(pending, results, retry_refused=True)
                if not pending:
                    return
                if attempt >= self._max_attempts:
                    report.failed += len(pending)
                    self._note_rejections(pending, f"gave up after {attempt} attempts (last: HTTP {status})")
                    return
                self._wait_before_retry(attempt, response.headers.get("retry-after"))
                continue
            raise EndpointError(_refusal(self.endpoint, status, response.text))

    def _record(
        self, pending: list[dict[str, Any]], results: list[Any] | None, *, retry_refused: bool
    ) -> list[dict[str, Any]]:
        """Count accepted/rejected results; with `retry_refused`, return the events to send again."""
        report = self.report
        if not isinstance(results, list) or len(results) != len(pending):
            if retry_refused:
                return pending
            report.accepted += len(pending)  # a 2xx without per-event results: the API took all of them
            return []
        again = []
        for position, result in enumerate(results):
            outcome = result if isinstance(result, dict) else {}
            index = outcome.get("index", position)
            event = (
                pending[index] if isinstance(index, int) and 0 <= index < len(pending) else pending[position]
            )
            if outcome.get("status") == "accepted":
                report.accepted += 1
            elif retry_refused:
                again.append(event)
            else:
                report.rejected += 1
                self._note_rejections([event], str(outcome.get("error", "rejected")))
        return again

    def _reject_all(self, pending: list[dict[str, Any]], error: str) -> None:
        self.report.rejected += len(pending)
        self._note_rejections(pending, error)

    def _note_rejections(self, events: list[dict[str, Any]], error: str) -> None:
        kept = self.report.rejections
        for event in events[: max(0, _KEPT_REJECTIONS - len(kept))]:
            kept.append({"event_id": event.get("event_id"), "error": error})

    def _wait_before_retry(self, attempt: int, retry_after: str | None) -> None:
        self.report.retries += 1
        delay = min(self._max_backoff, self._backoff * 2 ** (attempt - 1)) * self._jitter.uniform(0.5, 1.0)
        if retry_after is not None:
            with contextlib.suppress(ValueError):  # an HTTP date instead of seconds: keep our backoff
                delay = min(60.0, max(delay, float(retry_after)))
        self._sleep(delay)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def _refusal(endpoint: str, status: int, text: str) -> str:
    if status in (401, 403):
        return f"the API refused the request (HTTP {status}): check --api-key"
    if status == 404:
        return f"no ingestion API at {endpoint} (HTTP 404): --endpoint should be the full URL ending in /v1/events"
    excerpt = " ".join(text.split())[:200]
    return f"the API answered HTTP {status} at {endpoint}: {excerpt or 'no details'}"
