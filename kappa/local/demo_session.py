"""One `kappa demo` run: the local runtime, a webhook receiver, simulated shoppers, and what they add up to.

The session starts the runtime on a fresh data directory, registers the receiver through the real
webhooks API (the secret it gets back is what the receiver verifies signatures with), sends a few
deliberately invalid events (so the producer's view of rejections shows), then lets the simulator send
shoppers' events live. `snapshot()` is what the terminal view draws; `finish()` lets the pipeline
settle, stops everything and returns the final figures.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from events import INSIGHT_TYPES, format_rfc3339, to_epoch_millis
from kappa.local.kinesis_shards import StreamRecord
from kappa.local.latency import EventTimeIndex, LatencySample, decidable_at_ms
from kappa.local.paths import DataDir
from kappa.local.receiver import Delivery, WebhookReceiver
from kappa.local.runtime import LocalRuntime, RuntimeInfo, RuntimeOptions, RuntimeStats

DEFAULT_DEMO_DIR = Path(".kappa") / "demo"
DEMO_JOB_PROPERTIES: dict[str, dict[str, str]] = {
    "job": {"watermark.out_of_orderness_ms": "1000"},
    "analytics": {
        "metrics.window_seconds": "30",
        "session.gap_minutes": "1",
        "abandonment.after_minutes": "1",
        "trending.window_minutes": "1",
        "trending.slide_minutes": "1",
        "trending.baseline_minutes": "2",
        "trending.threshold": "1.5",
        "trending.min_views": "5",
        "trending.min_history_minutes": "0",
        "recommendation.update_minutes": "1",
        "recommendation.horizon_minutes": "60",
        "conversion.window_minutes": "1",
        "conversion.baseline_minutes": "2",
        "conversion.min_sessions": "3",
        "conversion.drop_threshold": "0.3",
    },
}
"""Minutes instead of hours: windows, timeouts and baselines short enough that abandoned carts, sessions,
recommendations and trends show within a two-minute run (the production defaults are in the job). The
watermark waits 1 s for out-of-order events, matching the simulator's `max_disorder_seconds` below."""
DEMO_MAX_DISORDER_SECONDS = 1.0
DECISION_DELAYS_MS = {
    "session_summary": int(DEMO_JOB_PROPERTIES["analytics"]["session.gap_minutes"]) * 60_000
}
SAMPLE_TYPES = ("cart_abandoned", "product_recommendation", "trending_product")


class DemoError(RuntimeError):
    """The demo could not run a step; the message says which and why."""


@dataclass(frozen=True)
class DemoOptions:
    duration_seconds: float = 120.0
    users: int = 60
    rate: float = 40.0
    """Most events per second the simulator sends."""
    seed: int = 7
    time_scale: float = 10.0
    """How much faster than real life shoppers browse (think times and sessions are divided by it)."""
    abandon_after_minutes: float = 1.0
    data_dir: Path = DEFAULT_DEMO_DIR
    port: int = 0
    fresh: bool = True
    log: str = "kinesis"
    """The runtime's log: `kinesis` (moto) or `kafka` (a local broker, the production topology on MSK)."""
    settle_seconds: float = 45.0


@dataclass
class DemoSnapshot:
    elapsed: float
    remaining: float
    stats: RuntimeStats
    sent: int
    accepted: int
    rejected: int
    rejection_examples: list[str]
    webhooks_verified: int
    webhooks_invalid: int
    webhooks_duplicates: int
    webhooks_by_type: Counter[str]
    latency_p50: float | None
    latency_p99: float | None
    latency_count: int
    samples: dict[str, dict[str, Any]] = field(default_factory=dict)
    simulator_done: bool = False
    simulator_error: str | None = None


class DemoSession:
    def __init__(self, options: DemoOptions, *, progress: Callable[[str], None] | None = None) -> None:
        self.options = options
        self._progress = progress or (lambda message: None)
        self.runtime = LocalRuntime(
            RuntimeOptions(
                data_dir=options.data_dir,
                api_port=options.port,
                job_property_overrides=DEMO_JOB_PROPERTIES,
                log=options.log,
            ),
            progress=self._progress,
        )
        self.receiver = WebhookReceiver(on_delivery=self._on_delivery)
        self.info: RuntimeInfo | None = None
        self._events = EventTimeIndex()
        self._latency = LatencySample()
        self._samples: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._stop_sending = threading.Event()
        self._sender_thread: threading.Thread | None = None
        self._sender: Any = None
        self._sender_error: str | None = None
        self._invalid_report: dict[str, Any] = {"sent": 0, "accepted": 0, "rejected": 0, "errors": []}
        self._started_at = 0.0
        self.subscription: dict[str, Any] = {}

    # ------------------------------------------------------------------ run

    def start(self) -> RuntimeInfo:
        data = DataDir.at(self.options.data_dir)
        if self.options.fresh and data.root.exists():
            self._progress(f"clearing the previous demo's data in {data.root}")
            shutil.rmtree(data.root)
        self.info = self.runtime.start()
        assert self.runtime.archive is not None
        self.runtime.archive.add_observer(self._on_archived)
        self.receiver.start()
        self._progress("registering the demo's webhook receiver through the webhooks API")
        self.subscription = self._register_receiver()
        self._send_invalid_examples()
        self._start_simulator()
        return self.info

    def _register_receiver(self) -> dict[str, Any]:
        assert self.info is not None
        response = httpx.post(
            f"{self.info.api_url}/v1/webhooks",
            headers={"x-api-key": self.info.admin_key.value},
            json={
                "url": self.receiver.url,
                "event_types": list(INSIGHT_TYPES),
                "description": "kappa demo receiver",
            },
            timeout=30,
        )
        if response.status_code != 201:
            raise DemoError(
                f"registering the webhook receiver failed: {response.status_code} {response.text[:300]}"
            )
        created = response.json()
        secret = created.get("secret") or created.get("signing_secret")
        if not isinstance(secret, str) or not secret.startswith("whsec_"):
            raise DemoError(f"the webhooks API returned no whsec_ signing secret: {sorted(created)}")
        self.receiver.add_secret(secret)
        return created

    def _send_invalid_examples(self) -> None:
        """Three events the contract refuses, to show how a producer learns about rejections."""
        assert self.info is not None
        now = format_rfc3339(datetime.now(tz=UTC))
        base = {"occurred_at": now, "user_id": "demo-invalid", "session_id": "demo-invalid"}
        events = [
            {**base, "event_id": f"demo-invalid-{uuid.uuid4()}", "event_type": "teleport"},
            {**base, "event_id": f"demo-invalid-{uuid.uuid4()}", "event_type": "product_view",
             "product": {"product_id": "p-1", "price": -5, "currency": "EUR"}},
            {"event_id": f"demo-invalid-{uuid.uuid4()}", "event_type": "page_view", "occurred_at": now,
             "session_id": "demo-invalid", "page": {"url": "https://shop.example/"}},
        ]  # fmt: skip
        response = httpx.post(
            f"{self.info.api_url}/v1/events",
            headers={"x-api-key": self.info.producer_keys[0].value},
            json={"events": events},
            timeout=30,
        )
        body = (
            response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        )
        errors = [
            f"#{r.get('index')}: {r.get('error')}"
            for r in body.get("results", [])
            if r.get("status") == "rejected"
        ]
        self._invalid_report = {
            "sent": len(events),
            "accepted": int(body.get("accepted", 0)),
            "rejected": int(body.get("rejected", len(events) if response.status_code == 400 else 0)),
            "errors": errors,
            "status": response.status_code,
        }

    def _start_simulator(self) -> None:
        from kappa.simulate import EventSender, SimulationConfig, simulate

        assert self.info is not None
        options = self.options
        now = datetime.now(tz=UTC)
        config = SimulationConfig(
            seed=options.seed,
            users=options.users,
            duration_seconds=options.duration_seconds,
            start=now.replace(microsecond=now.microsecond // 1000 * 1000),
            abandon_after_minutes=options.abandon_after_minutes,
            time_scale=options.time_scale,
            max_disorder_seconds=DEMO_MAX_DISORDER_SECONDS,
        )
        simulation = simulate(config)
        self._sender = EventSender(
            f"{self.info.api_url}/v1/events",
            self.info.producer_keys[0].value,
            rate=options.rate,
            stop=self._stop_sending,
        )

        def run() -> None:
            try:
                self._sender.send(simulation.deliveries())
            except Exception as error:
                self._sender_error = str(error)

        self._started_at = time.monotonic()
        self._sender_thread = threading.Thread(target=run, name="demo-simulator", daemon=True)
        self._sender_thread.start()

    @property
    def simulator_running(self) -> bool:
        return self._sender_thread is not None and self._sender_thread.is_alive()

    def finish(self, *, settle: bool = True) -> DemoSnapshot:
        """Stop sending, let the pipeline settle (unless interrupted), stop everything; the final snapshot."""
        self._stop_sending.set()
        if self._sender_thread is not None:
            self._sender_thread.join(timeout=30)
        if settle:
            self._progress("letting the pipeline settle (archive, job, insights, webhooks)")
            self._settle(self.options.settle_seconds)
        final = self.snapshot()
        self.stop()
        return final

    def stop(self) -> None:
        self._stop_sending.set()
        self.runtime.stop()
        self.receiver.stop()

    def _settle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_count, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            stats = self.runtime.stats()
            delivered = len(self.receiver.deliveries)
            if delivered != last_count:
                last_count, quiet_since = delivered, time.monotonic()
            drained = stats.archived_records >= stats.events_accepted and stats.insights_pending == 0
            caught_up = stats.job is None or stats.job.source_records >= stats.archived_records
            if drained and caught_up and time.monotonic() - quiet_since >= 4.0:
                return
            time.sleep(0.5)

    # ------------------------------------------------------------------ observation

    def _on_archived(self, records: list[StreamRecord], _path: Path) -> None:
        for record in records:
            try:
                event = json.loads(record.data)
                received = event["_meta"]["received_at"]
                self._events.observe(to_epoch_millis(event["occurred_at"]), to_epoch_millis(received))
            except (ValueError, KeyError, TypeError):
                continue

    def _on_delivery(self, delivery: Delivery) -> None:
        insight = delivery.insight
        if not delivery.verified or delivery.duplicate or insight is None:
            return
        try:
            trigger = self._events.first_received_at(decidable_at_ms(insight, DECISION_DELAYS_MS))
        except (KeyError, ValueError, TypeError):
            trigger = None
        if trigger is not None:
            self._latency.add(max(0.0, delivery.received_at - trigger / 1000))
        if insight.get("type") in SAMPLE_TYPES:
            with self._lock:
                self._samples[insight["type"]] = insight

    def snapshot(self) -> DemoSnapshot:
        stats = self.runtime.stats()
        report = self._sender.report if self._sender is not None else None
        invalid = self._invalid_report
        deliveries = list(self.receiver.deliveries)
        verified = [d for d in deliveries if d.verified and not d.duplicate]
        elapsed = time.monotonic() - self._started_at if self._started_at else 0.0
        rejection_examples = list(invalid["errors"])
        if report is not None:
            rejection_examples += [f"{r.get('event_id')}: {r.get('error')}" for r in report.rejections[:3]]
        with self._lock:
            samples = dict(self._samples)
        return DemoSnapshot(
            elapsed=elapsed,
            remaining=max(0.0, self.options.duration_seconds - elapsed),
            stats=stats,
            sent=(report.sent if report else 0) + invalid["sent"],
            accepted=stats.events_accepted,
            rejected=stats.events_rejected,
            rejection_examples=rejection_examples,
            webhooks_verified=len(verified),
            webhooks_invalid=sum(1 for d in deliveries if not d.verified),
            webhooks_duplicates=sum(1 for d in deliveries if d.duplicate),
            webhooks_by_type=Counter(str((d.insight or {}).get("type")) for d in verified),
            latency_p50=self._latency.percentile(0.5),
            latency_p99=self._latency.percentile(0.99),
            latency_count=len(self._latency),
            samples=samples,
            simulator_done=self._sender_thread is not None and not self._sender_thread.is_alive(),
            simulator_error=self._sender_error,
        )
