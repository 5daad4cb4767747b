"""`IngestService`: every event gets a result; valid ones are enriched and appended, partitioned by user."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import orjson
import pytest

from events import FieldError
from lambdas.ingest.event_log import LogRecord, RetryPolicy
from lambdas.ingest.service import EventStatus, IngestService
from tests.lambdas.ingest.conftest import FIXED_NOW
from tests.lambdas.ingest.stream_doubles import FakeClock

THROTTLED = "ProvisionedThroughputExceededException"


class MemoryLog:
    """An EventLog in memory; `refuse(record)` returning True makes it refuse that record (every time)."""

    max_records_per_write = 500
    max_bytes_per_write = 5 * 1024 * 1024

    def __init__(self, refuse: Callable[[dict[str, Any]], bool] = lambda _: False) -> None:
        self.stored: list[LogRecord] = []
        self._refuse = refuse

    def write(self, records: Sequence[LogRecord]) -> list[str | None]:
        codes: list[str | None] = []
        for record in records:
            if self._refuse(orjson.loads(record.data)):
                codes.append(THROTTLED)
            else:
                self.stored.append(record)
                codes.append(None)
        return codes

    def events(self) -> list[dict[str, Any]]:
        return [orjson.loads(r.data) for r in self.stored]


def service(log: MemoryLog, clock: FakeClock | None = None, budget: float = 1.0) -> IngestService:
    clock = clock or FakeClock()
    return IngestService(
        event_log=log,
        retry_policy=RetryPolicy(time_budget_seconds=budget),
        clock=lambda: FIXED_NOW,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )


def ingest(log: MemoryLog, events: list[Any], **kwargs: Any):
    return service(log, **kwargs).ingest(events, producer="k7w2x9p4q1", request_id="req-1")


@pytest.fixture
def valid(make_event: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Valid events timed a minute before the service's fixed clock (unless `occurred_at` is given)."""

    def factory(event_type: str = "product_view", **fields: Any) -> dict[str, Any]:
        event = make_event(event_type, occurred_at=FIXED_NOW - timedelta(minutes=1))
        event.update(fields)
        return event

    return factory


def test_every_event_type_is_accepted_and_stored_with_its_user_as_partition_key(valid) -> None:
    # GIVEN one valid event of every type
    events = [
        valid(t)
        for t in (
            "page_view",
            "product_view",
            "search",
            "add_to_cart",
            "remove_from_cart",
            "checkout_started",
            "purchase",
        )
    ]
    log = MemoryLog()
    # WHEN ingested
    outcome = ingest(log, events)
    # THEN all are accepted, stored in order, each keyed by its user_id
    assert [r.status for r in outcome.results] == [EventStatus.ACCEPTED] * 7
    assert [r.partition_key for r in log.stored] == [e["user_id"] for e in events]
    assert [{k: v for k, v in e.items() if k != "_meta"} for e in log.events()] == events


def test_stored_events_carry_meta_with_receive_time_producer_and_ingest_id(valid) -> None:
    log = MemoryLog()
    ingest(log, [valid(), valid()])
    assert [e["_meta"] for e in log.events()] == [
        {"received_at": "2026-11-25T12:00:00.000Z", "producer": "k7w2x9p4q1", "ingest_id": "req-1:0"},
        {"received_at": "2026-11-25T12:00:00.000Z", "producer": "k7w2x9p4q1", "ingest_id": "req-1:1"},
    ]


def test_results_echo_index_and_event_id(valid) -> None:
    events = [valid(event_id="first"), {"event_id": "second"}, valid(event_id="third")]
    outcome = ingest(MemoryLog(), events)
    assert [(r.index, r.event_id, r.status) for r in outcome.results] == [
        (0, "first", EventStatus.ACCEPTED),
        (1, "second", EventStatus.REJECTED),
        (2, "third", EventStatus.ACCEPTED),
    ]


def later(minutes: int) -> str:
    return (FIXED_NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


# Each row: what is wrong, how the event is changed, an expected (path, part of the message), the reason.
BAD_EVENTS: list[tuple[str, Callable[[dict[str, Any]], Any], tuple[str, str], str]] = [
    ("missing event_id", lambda e: e.pop("event_id"), ("event_id", "is required"), "schema"),
    ("missing user_id", lambda e: e.pop("user_id"), ("user_id", "is required"), "schema"),
    ("missing session_id", lambda e: e.pop("session_id"), ("session_id", "is required"), "schema"),
    ("missing occurred_at", lambda e: e.pop("occurred_at"), ("occurred_at", "is required"), "schema"),
    (
        "unknown event_type",
        lambda e: e.update(event_type="click"),
        ("event_type", "must be one of: page_view"),
        "schema",
    ),
    (
        "timestamp without zone",
        lambda e: e.update(occurred_at="2026-11-25T11:00:00"),
        ("occurred_at", "RFC 3339"),
        "schema",
    ),
    (
        "timestamp not a date",
        lambda e: e.update(occurred_at="2026-02-30T11:00:00Z"),
        ("occurred_at", "is not a real date"),
        "schema",
    ),
    (
        "timestamp in the future",
        lambda e: e.update(occurred_at=later(10)),
        ("occurred_at", "in the future"),
        "future_timestamp",
    ),
    ("event_id too long", lambda e: e.update(event_id="x" * 65), ("event_id", "longer than 64"), "schema"),
    ("user_id with spaces", lambda e: e.update(user_id="user 1"), ("user_id", "may only contain"), "schema"),
    ("unknown field", lambda e: e.update(colour="red"), ("colour", "is not an allowed field"), "schema"),
    (
        "field of another type",
        lambda e: e.update(search={"query": "x"}),
        ("search", "is not allowed for event_type"),
        "schema",
    ),
    (
        "missing type body",
        lambda e: e.pop("quantity"),
        ("quantity", "is required for event_type add_to_cart"),
        "schema",
    ),
    ("quantity as text", lambda e: e.update(quantity="2"), ("quantity", "must be an integer"), "schema"),
    ("quantity zero", lambda e: e.update(quantity=0), ("quantity", "must be at least 1"), "schema"),
    (
        "negative price",
        lambda e: e["product"].update(price=-1),
        ("product.price", "must be at least 0"),
        "schema",
    ),
    (
        "lower-case currency",
        lambda e: e["product"].update(currency="eur"),
        ("product.currency", "ISO 4217"),
        "schema",
    ),
    ("nested context", lambda e: e.update(context={"a": {"b": 1}}), ("context.a", "must be"), "schema"),
    (
        "producer-sent _meta",
        lambda e: e.update(_meta={"producer": "me"}),
        ("_meta", "set by the ingestion API"),
        "reserved_field",
    ),
    (
        "oversized event",
        lambda e: e.update(properties={f"k{i}": "x" * 1024 for i in range(32)}),
        ("", "an event may be at most 32768 bytes"),
        "size",
    ),
]


@pytest.mark.parametrize(
    ("problem", "change", "expected", "reason"), BAD_EVENTS, ids=[row[0] for row in BAD_EVENTS]
)
def test_each_bad_event_is_rejected_with_its_field_error_while_neighbours_are_accepted(
    valid, problem: str, change: Callable[[dict[str, Any]], Any], expected: tuple[str, str], reason: str
) -> None:
    # GIVEN a valid event, a broken one, and another valid one
    bad = valid("add_to_cart")
    change(bad)
    log = MemoryLog()
    # WHEN ingested together
    outcome = ingest(log, [valid(), bad, valid()])
    # THEN only the broken one is rejected, with an error naming the field, counted under its reason
    assert [r.status for r in outcome.results] == [
        EventStatus.ACCEPTED,
        EventStatus.REJECTED,
        EventStatus.ACCEPTED,
    ]
    path, words = expected
    assert any(e.path == path and words in e.message for e in outcome.results[1].errors), outcome.results[
        1
    ].errors
    assert outcome.rejected_by_reason == {reason: 1}
    assert len(log.stored) == 2


def test_an_order_whose_total_does_not_add_up_is_rejected(valid) -> None:
    purchase = valid("purchase")
    purchase["order"]["total"] = 100.0
    outcome = ingest(MemoryLog(), [purchase])
    assert outcome.results[0].errors == (
        FieldError("order.total", "is 100.00 but the items add up to 194.00 (quantity × price)"),
    )
    assert outcome.rejected_by_reason == {"order_total": 1}


@pytest.mark.parametrize(
    ("item", "kind"), [("e-1", "a string"), (42, "a number"), (None, "null"), ([], "an array")]
)
def test_an_item_that_is_not_an_object_is_rejected_on_its_own(valid, item: Any, kind: str) -> None:
    outcome = ingest(MemoryLog(), [item, valid()])
    assert outcome.results[0].errors == (FieldError("", f"must be a JSON object, not {kind}"),)
    assert outcome.results[0].event_id is None
    assert outcome.results[1].status is EventStatus.ACCEPTED


def test_an_event_nested_deeper_than_json_can_store_is_rejected_not_crashing(valid) -> None:
    deep: Any = "leaf"
    for _ in range(300):
        deep = [deep]
    outcome = ingest(MemoryLog(), [valid(properties={"deep": deep}), valid()])
    assert outcome.results[0].status is EventStatus.REJECTED
    assert "cannot be stored as JSON" in outcome.results[0].errors[0].message
    assert outcome.results[1].status is EventStatus.ACCEPTED


def test_an_event_with_several_problems_lists_all_and_counts_once(valid) -> None:
    event = valid("add_to_cart", occurred_at=later(60), colour="red", _meta={})
    event.pop("session_id")
    outcome = ingest(MemoryLog(), [event])
    assert {e.path for e in outcome.results[0].errors} == {"occurred_at", "colour", "_meta", "session_id"}
    assert outcome.rejected_by_reason == {"reserved_field": 1}


def test_a_rejected_event_echoes_only_a_plausible_event_id(valid) -> None:
    outcome = ingest(MemoryLog(), [{"event_id": "x" * 10_000}, {"event_id": 17}])
    assert [r.event_id for r in outcome.results] == [None, None]


def test_nothing_is_written_when_no_event_is_valid() -> None:
    log = MemoryLog()
    outcome = ingest(log, [{"event_id": "a"}, {"event_id": "b"}])
    assert outcome.count(EventStatus.REJECTED) == 2
    assert outcome.put.calls == 0
    assert log.stored == []


def test_events_the_log_keeps_refusing_are_failed_with_a_retry_hint(valid) -> None:
    # GIVEN a log that always refuses one user's records
    events = [valid(user_id="hot-user"), valid(user_id="calm-user"), {"event_id": "broken"}]
    log = MemoryLog(refuse=lambda e: e["user_id"] == "hot-user")
    clock = FakeClock()
    # WHEN ingested with a 1-second retry budget
    outcome = ingest(log, events, clock=clock)
    # THEN that event is failed (not accepted, not rejected), the others keep their status
    assert [r.status for r in outcome.results] == [
        EventStatus.FAILED,
        EventStatus.ACCEPTED,
        EventStatus.REJECTED,
    ]
    assert outcome.results[0].errors == (FieldError("", "log unavailable, retry"),)
    assert outcome.results[1].errors == ()
    assert [e["user_id"] for e in log.events()] == ["calm-user"]
    assert outcome.put.retried_records >= 1
    assert clock.now - 1000.0 < 1.0


def test_a_shorter_time_budget_from_the_caller_wins(valid) -> None:
    log = MemoryLog(refuse=lambda e: True)
    clock = FakeClock()
    svc = service(log, clock, budget=8.0)
    svc.ingest([valid()], producer="p", request_id="r", time_budget_seconds=0.05)
    assert clock.now - 1000.0 < 0.05
