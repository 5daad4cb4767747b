"""The live sender against a real HTTP server on 127.0.0.1 that answers like the ingestion API."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kappa.simulate import SimulationConfig, simulate
from kappa.simulate.sender import EndpointError, EventSender
from tests.kappa.simulate.ingestion_stub import accept_all, results


@pytest.fixture(scope="module")
def deliveries() -> list[tuple[int, dict[str, Any]]]:
    """About 2,000 deliveries of a run that lies in the past: nothing waits for its event time."""
    config = SimulationConfig(users=200, duration_seconds=600, start=datetime(2026, 1, 1, tzinfo=UTC))
    return list(simulate(config).deliveries())


def test_events_go_out_in_batches_of_at_most_500_with_the_api_key_and_counts_come_back(
    stub_factory, deliveries
):
    # GIVEN an API that rejects every event of one user
    stub = stub_factory(lambda _, events: (202, results(events, lambda e: e["user_id"] == "u-000007"), {}))
    # WHEN the deliveries are sent at a high rate
    report = EventSender(stub.url, "k-123", rate=100_000).send(deliveries)
    # THEN every event arrived once, in order, in batches of at most 500, each with the key
    assert stub.received_ids() == [event["event_id"] for _, event in deliveries]
    assert max(len(r["events"]) for r in stub.requests) == 500
    assert all(r["headers"]["x-api-key"] == "k-123" for r in stub.requests)
    assert all(
        r["headers"]["content-type"] == "application/json" and r["path"] == "/v1/events"
        for r in stub.requests
    )
    # AND the report carries the API's per-event verdicts
    rejected = sum(1 for _, event in deliveries if event["user_id"] == "u-000007")
    assert rejected > 0
    assert (report.sent, report.accepted, report.rejected) == (
        len(deliveries),
        len(deliveries) - rejected,
        rejected,
    )
    assert report.rejections[0]["error"].startswith("occurred_at")
    assert report.requests == len(stub.requests)


def test_a_503_is_retried_with_only_the_events_the_log_refused(stub_factory, deliveries):
    # GIVEN an API whose log refuses the second half of the first request
    def answer(number: int, events: list[dict[str, Any]]):
        if number == 1:
            half = len(events) // 2
            refused = {e["event_id"] for e in events[half:]}
            return 503, results(events, lambda e: e["event_id"] in refused), {}
        return 202, results(events, lambda e: False), {}

    stub = stub_factory(answer)
    batch = deliveries[:400]
    # WHEN a batch is sent
    report = EventSender(stub.url, "k", rate=100_000, backoff_seconds=0.001).send(batch)
    # THEN the refused half is sent again (and only it), and all count as accepted once
    first, second = stub.requests[0]["events"], stub.requests[1]["events"]
    assert second == first[200:]
    assert (report.accepted, report.rejected, report.failed, report.retries) == (400, 0, 0, 1)


def test_throttling_is_retried_until_accepted_honouring_retry_after(stub_factory, deliveries):
    stub = stub_factory(
        lambda n, events: (
            (429, {"message": "slow down"}, {"retry-after": "0"})
            if n <= 2
            else (202, results(events, lambda e: False), {})
        )
    )
    report = EventSender(stub.url, "k", rate=100_000, backoff_seconds=0.001).send(deliveries[:50])
    assert len(stub.requests) == 3
    assert (report.accepted, report.retries) == (50, 2)


def test_an_api_that_keeps_failing_is_given_up_on_and_reported_as_failed(stub_factory, deliveries):
    stub = stub_factory(lambda n, events: (503, {"message": "log unavailable"}, {}))
    report = EventSender(stub.url, "k", rate=100_000, backoff_seconds=0.001, max_attempts=3).send(
        deliveries[:20]
    )
    assert len(stub.requests) == 3
    assert (report.accepted, report.failed) == (0, 20)
    assert "gave up after 3 attempts" in report.rejections[0]["error"]


def test_a_refused_api_key_stops_with_a_clear_error(stub_factory, deliveries):
    stub = stub_factory(lambda n, events: (403, {"message": "Forbidden"}, {}))
    with pytest.raises(EndpointError, match=r"HTTP 403.*check --api-key"):
        EventSender(stub.url, "wrong", rate=100_000).send(deliveries[:10])


def test_an_unreachable_endpoint_gives_a_clear_error(deliveries):
    # GIVEN a port nobody listens on
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_port
    server.server_close()
    # THEN sending fails with an error naming the URL and what to check
    with pytest.raises(
        EndpointError, match=rf"cannot reach http://127.0.0.1:{port}/v1/events .*check --endpoint"
    ):
        EventSender(f"http://127.0.0.1:{port}/v1/events", "k", backoff_seconds=0.001).send(deliveries[:5])


class FakeClock:
    """Wall-clock stand-in: sleeping moves time forward instantly."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def test_live_events_are_never_sent_before_their_time(stub_factory):
    # GIVEN a run starting "now" on a fake wall clock
    start = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    clock = FakeClock(start.timestamp())
    sent_at: list[tuple[float, list[dict[str, Any]]]] = []

    def answer(_: int, events: list[dict[str, Any]]):
        sent_at.append((clock.now, events))
        return 202, results(events, lambda e: False), {}

    stub = stub_factory(answer)
    config = SimulationConfig(users=30, duration_seconds=300, start=start, time_scale=10)
    planned = list(simulate(config).deliveries())
    # WHEN it is sent live
    report = EventSender(stub.url, "k", rate=200, clock=clock, sleep=clock.sleep).send(planned)
    # THEN each batch left at or after the delivery time of its events, and not much later (linger 0.5 s)
    assert report.accepted == len(planned)
    due = iter(at / 1000 for at, _ in planned)  # events arrive in delivery order
    for moment, events in sent_at:
        batch_due = [next(due) for _ in events]
        assert max(batch_due) <= moment
        assert moment - min(batch_due) <= 0.5 + 1e-6
    assert clock.now >= planned[-1][0] / 1000


def test_sending_is_paced_by_the_rate(stub_factory, deliveries):
    # GIVEN 1,000 past events and a rate of 100 events/s on a fake clock
    clock = FakeClock(2_000_000_000.0)
    stub = stub_factory(lambda _, events: (202, results(events, lambda e: False), {}))
    # WHEN they are sent
    EventSender(stub.url, "k", rate=100, clock=clock, sleep=clock.sleep).send(deliveries[:1000])
    # THEN they go out in batches of 100 about a second apart: ten seconds for the lot, minus the last batch's
    assert [len(r["events"]) for r in stub.requests] == [100] * 10
    assert 9.0 <= clock.now - 2_000_000_000.0 < 9.5


def test_setting_stop_ends_a_live_run_promptly_keeping_what_was_sent(stub_factory):
    # GIVEN a live run of ten minutes of event time starting now, sent from another thread
    stub = stub_factory(accept_all)
    config = SimulationConfig(users=200, duration_seconds=600, start=datetime.now(tz=UTC))
    stop = threading.Event()
    sender = EventSender(stub.url, "k", stop=stop, linger_seconds=0.1)
    worker = threading.Thread(target=sender.send, args=(simulate(config).deliveries(),))
    worker.start()
    # WHEN stop is set after a moment
    time.sleep(0.5)
    stop.set()
    worker.join(timeout=5)
    # THEN the sender returned at once, having sent only events whose time had come
    assert not worker.is_alive()
    assert sender.report.sent == len(stub.received_ids()) < 1000
    assert sender.report.accepted == sender.report.sent
