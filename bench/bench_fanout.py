"""Benchmark: webhook deliveries per second from one fan-out handler invocation to a local receiver.

Runs the real fan-out handler (Powertools batch handling, matching, Standard Webhooks signing, the pooled
HTTP client with its connection-time SSRF check, per-subscriber lanes, outcome classification) against an
HTTP/1.1 receiver in a separate process. The subscription table, delivery log and queues are in-memory
stand-ins with the same interface by default, because moto's in-process DynamoDB costs ~2 ms of CPU per
call on this machine and would measure moto rather than the fan-out; `--moto` runs against moto instead.

    python -m bench.bench_fanout [--insights 100] [--subscriptions 20] [--rounds 3] [--concurrency 8] [--moto]

Reports deliveries/s per invocation (target ≥ 1,000), and per delivery: the HTTP round trip as the sender
sees it, and the added latency of one delivery (handler start → request at the receiver) for an invocation
carrying one insight for one subscriber.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import orjson

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "KappaCommerce")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # the per-batch log line would flood the output

from events import make_insight
from lambdas.fanout import handler
from lambdas.fanout.delivery import WebhookSender
from lambdas.fanout.matching import SubscriptionDirectory
from lambdas.fanout.pending import PendingDelivery
from lambdas.fanout.service import FanoutService
from lambdas.webhooks_common.delivery_log import AttemptRecord, MessageState
from lambdas.webhooks_common.signing_secrets import generate_secret
from lambdas.webhooks_common.subscriptions import Subscription, new_subscription_id
from lambdas.webhooks_common.target_policy import TargetPolicy

TARGET_DELIVERIES_PER_SECOND = 1000


# -- the receiver (its own process, so it does not share our GIL) ----------------------------------------


def _serve(port_pipe: Any) -> None:
    """A minimal asyncio HTTP/1.1 keep-alive receiver: reads each request, answers 200, notes the time.

    Much cheaper per request than `http.server`, so the numbers measure the sender, not the receiver.
    `GET /arrivals` returns (and clears) the arrival timestamps.
    """
    import asyncio

    arrivals: list[float] = []
    ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrived = time.time()
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                if head.startswith(b"GET /arrivals"):
                    body = json.dumps(arrivals).encode()
                    arrivals.clear()
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body)
                else:
                    arrivals.append(arrived)
                    writer.write(ok)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(connection, "127.0.0.1", 0, backlog=1024)
        port_pipe.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(serve())


@contextlib.contextmanager
def receiver_process() -> Iterator[str]:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=_serve, args=(child,), daemon=True)
    process.start()
    port = parent.recv()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.join(5)


def fetch_arrivals(base_url: str) -> list[float]:
    import httpx

    return httpx.get(f"{base_url}/arrivals", timeout=10).json()


# -- in-memory stand-ins with the interfaces the service uses -------------------------------------------


class MemoryStore:
    def __init__(self, subscriptions: list[Subscription]) -> None:
        self._by_id = {s.subscription_id: s for s in subscriptions}

    def scan_all(self) -> Iterable[Subscription]:
        return list(self._by_id.values())

    def get(self, subscription_id: str) -> Subscription | None:
        return self._by_id.get(subscription_id)

    def disable(self, subscription_id: str, *, reason: str, now: str) -> bool:
        return True


class PlainCipher:
    """Secrets kept as-is (the KMS decryption is cached per container in production anyway)."""

    def decrypt(self, subscription_id: str, ciphertext: bytes) -> bytes:
        return ciphertext


class MemoryDeliveryLog:
    def __init__(self) -> None:
        self.states_by_key: dict[tuple[str, str], MessageState] = {}
        self.records: list[AttemptRecord] = []

    def states(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], MessageState]:
        return {key: self.states_by_key[key] for key in keys if key in self.states_by_key}

    def record_state(self, subscription_id: str, webhook_id: str, state: MessageState, *, now: str) -> bool:
        self.states_by_key[(subscription_id, webhook_id)] = state
        return True

    def append(self, records: list[AttemptRecord]) -> None:
        self.records.extend(records)


class MemoryQueue:
    def __init__(self) -> None:
        self.messages: list[PendingDelivery] = []

    def schedule(self, pending: PendingDelivery) -> int:
        self.messages.append(pending)
        return 0

    def is_due(self, pending: PendingDelivery) -> bool:
        return True

    def send(self, pending: PendingDelivery, *, reason: str, at: str) -> None:
        self.messages.append(pending)


# -- the workload ---------------------------------------------------------------------------------------


@dataclass
class Workload:
    service: FanoutService
    subscription_count: int


def make_subscriptions(base_url: str, count: int) -> list[tuple[Subscription, bytes]]:
    made = []
    for n in range(count):
        secret = generate_secret()
        made.append(
            (
                Subscription(
                    subscription_id=new_subscription_id(),
                    url=f"{base_url}/s{n}",
                    # only the first subscription takes trending_product: the single-delivery latency probe
                    event_types=("cart_abandoned", "trending_product") if n == 0 else ("cart_abandoned",),
                    status="active",
                    created_at="2026-11-25T12:00:00.000Z",
                    updated_at="2026-11-25T12:00:00.000Z",
                    secret_ciphertext=secret,
                ),
                secret,
            )
        )
    return made


def memory_service(base_url: str, subscriptions: int, concurrency: int) -> FanoutService:
    store = MemoryStore([s for s, _ in make_subscriptions(base_url, subscriptions)])
    return FanoutService(
        directory=SubscriptionDirectory(store, PlainCipher(), max_age_seconds=60),  # type: ignore[arg-type]
        store=store,  # type: ignore[arg-type]
        delivery_log=MemoryDeliveryLog(),  # type: ignore[arg-type]
        retry_queue=MemoryQueue(),  # type: ignore[arg-type]
        dead_letters=MemoryQueue(),  # type: ignore[arg-type]
        sender=WebhookSender(TargetPolicy(allow_loopback=True), max_connections=concurrency * 2),
        executor=ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="delivery"),
    )


@contextlib.contextmanager
def moto_service(base_url: str, subscriptions: int, concurrency: int) -> Iterator[FanoutService]:
    import boto3
    from moto import mock_aws

    from kappa.webhooks.local_resources import create_webhook_resources
    from lambdas.fanout.dead_letter import DeadLetterQueue
    from lambdas.fanout.retry_queue import RetryQueue
    from lambdas.webhooks_common.delivery_log import DeliveryLog
    from lambdas.webhooks_common.signing_secrets import SecretCipher
    from lambdas.webhooks_common.subscriptions import SubscriptionStore
    from stacks.config import ResourceNames

    for name, value in (
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
    ):
        os.environ.setdefault(name, value)
    with mock_aws():
        dynamodb, sqs, kms = (boto3.client(name) for name in ("dynamodb", "sqs", "kms"))
        resources = create_webhook_resources(
            dynamodb=dynamodb, sqs=sqs, kms=kms, names=ResourceNames("bench")
        )
        store = SubscriptionStore(dynamodb, resources.subscriptions_table)
        cipher = SecretCipher(kms, resources.signing_secrets_key_id)
        for subscription, secret in make_subscriptions(base_url, subscriptions):
            store.put_new(
                Subscription(
                    **{
                        **{
                            f: getattr(subscription, f)
                            for f in (
                                "subscription_id",
                                "url",
                                "event_types",
                                "status",
                                "created_at",
                                "updated_at",
                            )
                        },
                        "secret_ciphertext": cipher.encrypt(subscription.subscription_id, secret),
                    }
                )
            )
        yield FanoutService(
            directory=SubscriptionDirectory(store, cipher, max_age_seconds=60),
            store=store,
            delivery_log=DeliveryLog(dynamodb, resources.delivery_log_table),
            retry_queue=RetryQueue(sqs, resources.retry_queue_url),
            dead_letters=DeadLetterQueue(sqs, resources.dead_letter_queue_url),
            sender=WebhookSender(TargetPolicy(allow_loopback=True), max_connections=concurrency * 2),
            executor=ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="delivery"),
        )


def kinesis_event(round_number: int, insights: int, *, trending: bool = False) -> dict[str, Any]:
    """`insights` cart_abandoned insights (every subscription), or trending_product ones (one subscription)."""
    import base64

    records = []
    for n in range(insights):
        if trending:
            insight = make_insight(
                "trending_product",
                key=(f"p-{n}", round_number),
                occurred_at="2026-11-25T12:00:00.000Z",
                job_version="v1",
                payload={
                    "product_id": f"p-{n}",
                    "window_start": "2026-11-25T11:00:00.000Z",
                    "window_end": "2026-11-25T12:00:00.000Z",
                    "score": 3.5,
                },
            )
        else:
            insight = make_insight(
                "cart_abandoned",
                key=(f"user-{n}", round_number),
                occurred_at="2026-11-25T12:00:00.000Z",
                job_version="v1",
                user_id=f"user-{n}",
                payload={
                    "items": [{"product_id": f"p-{n}", "quantity": 1, "price": 9.5}],
                    "value": 9.5,
                    "currency": "EUR",
                    "last_cart_change_at": "2026-11-25T11:30:00.000Z",
                },
            )
        sequence = f"{round_number:010d}{n:010d}"
        records.append(
            {
                "eventSource": "aws:kinesis",
                "eventID": f"shardId-000000000000:{sequence}",
                "kinesis": {
                    "sequenceNumber": sequence,
                    "partitionKey": f"user-{n}",
                    "data": base64.b64encode(orjson.dumps(insight)).decode(),
                },
            }
        )
    return {"Records": records}


class Context:
    function_name = "bench-fanout"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench-fanout"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def invoke(event: dict[str, Any]) -> tuple[float, float, dict[str, Any]]:
    """Run the handler once (its EMF/log output swallowed); returns (start epoch, seconds, response)."""
    started_wall = time.time()
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        response = handler.handler(event, Context())
    return started_wall, time.perf_counter() - started, response


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run(insights: int, subscriptions: int, rounds: int, use_moto: bool, concurrency: int) -> dict[str, Any]:
    with receiver_process() as base_url:
        factory = moto_service if use_moto else contextlib.nullcontext
        context = (
            factory(base_url, subscriptions, concurrency)
            if use_moto
            else contextlib.nullcontext(memory_service(base_url, subscriptions, concurrency))
        )
        with context as service:
            handler.fanout_service = lambda: service  # type: ignore[assignment]
            invoke(kinesis_event(0, 5))  # warm-up: connections, caches
            fetch_arrivals(base_url)
            throughput: list[float] = []
            queueing: list[float] = []
            for round_number in range(1, rounds + 1):
                start, seconds, response = invoke(kinesis_event(round_number, insights))
                assert response == {"batchItemFailures": []}, response
                arrivals = fetch_arrivals(base_url)
                assert len(arrivals) == insights * subscriptions, (len(arrivals), insights * subscriptions)
                throughput.append(len(arrivals) / seconds)
                queueing.extend((a - start) * 1000 for a in arrivals)
            # Added latency of one delivery: one insight for one subscriber, handler start → request arrives.
            added = []
            for round_number in range(rounds + 1, rounds + 201):
                start, _, _ = invoke(kinesis_event(round_number, 1, trending=True))
                arrivals = fetch_arrivals(base_url)
                assert len(arrivals) == 1, arrivals
                added.append((arrivals[0] - start) * 1000)
            log = getattr(service, "_log", None)  # the in-memory log keeps every attempt record
            round_trips = [r.latency_ms for r in getattr(log, "records", []) if r.latency_ms is not None]
    return {
        "deliveries_per_invocation": insights * subscriptions,
        "deliveries_per_second": {"median": statistics.median(throughput), "best": max(throughput)},
        "round_trip_ms": {"p50": percentile(round_trips, 0.5), "p99": percentile(round_trips, 0.99)}
        if round_trips
        else None,
        "batch_arrival_ms": {"p50": percentile(queueing, 0.5), "p99": percentile(queueing, 0.99)},
        "added_latency_ms": {"p50": percentile(added, 0.5), "p99": percentile(added, 0.99)},
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--insights", type=int, default=100)
    parser.add_argument("--subscriptions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="delivery threads (MAX_CONCURRENCY; production default 32, see docs/benchmarks.md)",
    )
    parser.add_argument(
        "--moto", action="store_true", help="moto DynamoDB/SQS/KMS instead of in-memory stand-ins"
    )
    args = parser.parse_args(argv or [])  # `python -m bench` calls main() with no arguments
    result = run(args.insights, args.subscriptions, args.rounds, args.moto, args.concurrency)
    rate = result["deliveries_per_second"]
    stores = "moto" if args.moto else "in-memory stores"
    print(
        f"webhook fan-out ({stores}), {args.insights} insights x {args.subscriptions} subscriptions, "
        f"{args.concurrency} delivery threads, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"  deliveries/s per invocation: median {rate['median']:,.0f}, best {rate['best']:,.0f} (target >= {TARGET_DELIVERIES_PER_SECOND:,})"
    )
    if result["round_trip_ms"]:
        print(
            f"  HTTP round trip per delivery: p50 {result['round_trip_ms']['p50']:.1f} ms, p99 {result['round_trip_ms']['p99']:.1f} ms"
        )
    print(
        f"  request arrival within a {result['deliveries_per_invocation']}-delivery batch: p50 {result['batch_arrival_ms']['p50']:.0f} ms, p99 {result['batch_arrival_ms']['p99']:.0f} ms"
    )
    print(
        f"  added latency, one insight to one subscriber (handler start -> request at receiver): p50 {result['added_latency_ms']['p50']:.1f} ms, p99 {result['added_latency_ms']['p99']:.1f} ms"
    )
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
