"""Ingestion CPU throughput: events/s on one core for 500-event batches (results: docs/benchmarks.md).

Two measurements, both with the stream replaced by an in-memory log (here only; the Lambda writes to
Kinesis):

1. The handler end to end: API Gateway proxy event → parse → validate → enrich → serialize → response,
   with Powertools logging and EMF metrics as deployed (their output goes to /dev/null).
2. validate + enrich + serialize (`IngestService.ingest`) with our validator (jsonschema-rs) against the
   same `EventValidator` running the schema through pure-Python `jsonschema` and `fastjsonschema`,
   printed as ratios against the pure-Python baseline, all in this process.

CPU time (`time.process_time`) is measured, so other load on the machine distorts the figures less.
Run: `python -m bench ingest` (or `make bench` for every benchmark).
"""

from __future__ import annotations

import io
import json
import os
import random
import time
from collections.abc import Callable, Sequence
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Before the handler is imported: Powertools reads these when its Logger/Tracer/Metrics are created.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "ingest")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")

import fastjsonschema
import jsonschema

from events import EventValidator, FieldError, event_schema, format_rfc3339
from lambdas.ingest import handler
from lambdas.ingest.event_log import LogRecord
from lambdas.ingest.service import IngestService

BATCH_SIZE = 500
SAMPLE_REQUEST = Path(__file__).resolve().parent.parent / "tests" / "events" / "apigw_post_events.json"
TARGET_EVENTS_PER_SECOND = 50_000
MIN_CPU_SECONDS = 1.5
EVENT_TYPES = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "checkout_started",
    "purchase",
)


class InMemoryEventLog:
    """The benchmark's stand-in for Kinesis: keeps nothing, accepts everything (we measure our CPU)."""

    max_records_per_write = 500
    max_bytes_per_write = 5 * 1024 * 1024

    def __init__(self) -> None:
        self.records = 0
        self.bytes = 0

    def write(self, records: Sequence[LogRecord]) -> list[str | None]:
        self.records += len(records)
        self.bytes += sum(len(r.data) for r in records)
        return [None] * len(records)


def make_batch(rng: random.Random, now: datetime, *, invalid_share: float = 0.0) -> list[dict[str, Any]]:
    """500 realistic events of every type (about 400 bytes each), some made invalid if asked."""
    events = []
    for i in range(BATCH_SIZE):
        event_type = rng.choice(EVENT_TYPES)
        user = rng.randrange(10_000)
        product = {
            "product_id": f"sku-{rng.randrange(5000)}",
            "name": "Trail running shoe",
            "category": "shoes",
            "brand": "Acme",
            "price": round(rng.uniform(5, 300), 2),
            "currency": "EUR",
        }
        event: dict[str, Any] = {
            "event_id": f"evt-{rng.getrandbits(64):016x}",
            "event_type": event_type,
            "occurred_at": format_rfc3339(now - timedelta(seconds=rng.randrange(600))),
            "user_id": f"user-{user}",
            "session_id": f"sess-{user}-{rng.randrange(3)}",
            "context": {"app": "web", "locale": "de-DE", "ip_country": "DE", "user_agent": "Mozilla/5.0"},
        }
        if event_type == "page_view":
            event["page"] = {
                "url": f"https://shop.example.com/c/{rng.randrange(50)}",
                "referrer": "https://search.example.com/",
            }
        elif event_type == "product_view":
            event["product"] = product
        elif event_type == "search":
            event["search"] = {"query": "running shoes", "results_count": rng.randrange(100)}
        elif event_type in ("add_to_cart", "remove_from_cart"):
            event["product"] = product
            event["quantity"] = rng.randrange(1, 4)
        elif event_type == "purchase":
            items = [
                {
                    "product_id": f"sku-{rng.randrange(5000)}",
                    "quantity": rng.randrange(1, 3),
                    "price": round(rng.uniform(5, 300), 2),
                }
                for _ in range(rng.randrange(1, 4))
            ]
            total = round(sum(item["quantity"] * item["price"] for item in items), 2)
            event["order"] = {"order_id": f"o-{i}", "items": items, "total": total, "currency": "EUR"}
        if rng.random() < invalid_share:
            event.pop("user_id")
            event["colour"] = "red"
        events.append(event)
    return events


class _AlternativeSchema:
    """Stands in for `EventValidator`'s compiled jsonschema-rs schema, so only the schema engine differs."""

    def __init__(self, is_valid: Callable[[Any], bool], errors: Callable[[Any], list[FieldError]]) -> None:
        self.is_valid = is_valid
        self.errors = errors


def python_jsonschema_validator() -> EventValidator:
    checker = jsonschema.Draft202012Validator(event_schema())
    validator = EventValidator()
    validator._schema = _AlternativeSchema(  # the benchmark swaps the engine; production never does
        checker.is_valid,
        lambda event: [
            FieldError(".".join(map(str, e.absolute_path)), e.message) for e in checker.iter_errors(event)
        ],
    )
    return validator


def fastjsonschema_validator() -> EventValidator:
    # fastjsonschema knows drafts 4/6/7; the schema only uses draft-7 keywords apart from `$defs`, which
    # it resolves as a plain JSON pointer.
    schema = {key: value for key, value in event_schema().items() if key != "$schema"}
    check = fastjsonschema.compile({"$schema": "http://json-schema.org/draft-07/schema#", **schema})

    def is_valid(event: Any) -> bool:
        try:
            check(event)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    def errors(event: Any) -> list[FieldError]:
        try:
            check(event)
        except fastjsonschema.JsonSchemaValueException as error:  # stops at the first error
            return [FieldError(error.name.removeprefix("data.").removeprefix("data"), error.message)]
        return []

    validator = EventValidator()
    validator._schema = _AlternativeSchema(is_valid, errors)
    return validator


def measure(run_batch: Callable[[], None]) -> float:
    """Events per CPU second: repeat `run_batch` until MIN_CPU_SECONDS of CPU time were spent."""
    run_batch()  # warm up (compiled schemas, imports, caches)
    batches = 0
    started = time.process_time()
    while (elapsed := time.process_time() - started) < MIN_CPU_SECONDS or batches < 3:
        run_batch()
        batches += 1
    return batches * BATCH_SIZE / elapsed


def service_throughput(
    validator: EventValidator, batches: list[list[dict[str, Any]]], now: datetime
) -> float:
    service = IngestService(event_log=InMemoryEventLog(), validator=validator, clock=lambda: now)
    cycle = iter(range(10**9))

    def run() -> None:
        outcome = service.ingest(batches[next(cycle) % len(batches)], producer="bench", request_id="req")
        assert outcome.put.calls == 1 or not outcome.put.calls

    return measure(run)


def handler_throughput(bodies: list[str]) -> float:
    service = IngestService(event_log=InMemoryEventLog())
    handler.ingest_service = lambda: service  # the in-memory log, for the benchmark only
    handler.logger.registered_handler.setStream(io.StringIO())
    template = json.loads(SAMPLE_REQUEST.read_text())
    requests = [{**template, "body": body} for body in bodies]

    class Context:
        function_name = "bench"
        memory_limit_in_mb = 1024
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
        aws_request_id = "bench"

        def get_remaining_time_in_millis(self) -> int:
            return 29_000

    context = Context()
    cycle = iter(range(10**9))
    sink = open(os.devnull, "w")  # noqa: SIM115 - EMF metrics are printed to stdout

    def run() -> None:
        with redirect_stdout(sink):
            response = handler.handler(requests[next(cycle) % len(requests)], context)
        assert response["statusCode"] == 202, response["body"][:300]

    try:
        return measure(run)
    finally:
        sink.close()


def main() -> None:
    rng = random.Random(42)
    now = datetime.now(tz=UTC)
    valid = [make_batch(rng, now) for _ in range(4)]
    mixed = [make_batch(rng, now, invalid_share=0.1) for _ in range(4)]
    size = sum(len(json.dumps(e)) for e in valid[0]) / BATCH_SIZE
    print(f"500-event batches, {size:.0f} bytes per event on average; CPU time of one process (one core)")
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} (2 cores shared with other work)\n")

    for label, batches in (("all valid", valid), ("10% invalid", mixed)):
        rate = handler_throughput([json.dumps({"events": b}) for b in batches])
        verdict = "meets" if rate >= TARGET_EVENTS_PER_SECOND else "MISSES"
        print(
            f"handler end to end (proxy event → 202), {label:<11}: {rate:>9,.0f} events/s "
            f"({verdict} the {TARGET_EVENTS_PER_SECOND:,} target)"
        )

    print("\nvalidate + enrich + serialize (IngestService), ratio against the pure-Python baseline:")
    contenders = [
        ("jsonschema 4.26 (pure Python, baseline)", python_jsonschema_validator),
        ("fastjsonschema 2.22 (generated Python)", fastjsonschema_validator),
        ("jsonschema-rs 0.61 (Rust; ours)", EventValidator),
    ]
    for label, batches in (("all valid", valid), ("10% invalid", mixed)):
        print(f"  {label}:")
        baseline = None
        for name, make_validator in contenders:
            rate = service_throughput(make_validator(), batches, now)
            baseline = baseline or rate
            print(f"    {name:<42} {rate:>9,.0f} events/s  {rate / baseline:>6.1f}x")
