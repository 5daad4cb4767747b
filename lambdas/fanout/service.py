"""The fan-out: turn a batch of insights (or of due retries) into signed deliveries and settle each one.

For every delivery exactly one of these happens: delivered; a retry is queued (the next attempt, or the
same one when the invocation runs out of time); or it goes to the dead-letter queue with the reason.
Nothing is dropped quietly: a failure to queue or record is reported as a failed batch item, and the
event source delivers the record again. Before sending, the delivery log's state for the `webhook-id` is
checked, so a re-delivered record does not send again what was already acknowledged or attempted.

    service = FanoutService(directory=..., delivery_log=..., retry_queue=..., dead_letters=..., sender=...)
    report = service.deliver_insights([InsightRecord("seq-1", b'{"insight_id": ...}')], deadline=...)
    report.failures  # {} when every record is settled
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace

import orjson
from aws_lambda_powertools import Logger

from events import InsightValidator, format_rfc3339
from lambdas.fanout.dead_letter import DeadLetterQueue
from lambdas.fanout.delivery import HttpResult, WebhookSender
from lambdas.fanout.delivery_metrics import DeliveryOutcome, DeliveryTally
from lambdas.fanout.dispatch import LaneDispatcher, SubscriberGate
from lambdas.fanout.matching import Subscriber, SubscriptionDirectory
from lambdas.fanout.outcomes import Outcome, classify
from lambdas.fanout.pending import InvalidPendingDeliveryError, PendingDelivery
from lambdas.fanout.retry_queue import RetryQueue
from lambdas.fanout.retry_schedule import RetrySchedule
from lambdas.fanout.signing import make_webhook_id, webhook_headers
from lambdas.webhooks_common.delivery_log import AttemptRecord, DeliveryLog, MessageState
from lambdas.webhooks_common.subscriptions import SubscriptionStore

logger = Logger(child=True)

OUT_OF_TIME_DELAY_SECONDS = 5.0
SAFETY_MARGIN_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class InsightRecord:
    """One record from the insights stream: `source_id` is its sequence number."""

    source_id: str
    data: bytes


@dataclass(frozen=True, slots=True)
class QueuedRecord:
    """One message from the retry queue: `source_id` is its SQS message id."""

    source_id: str
    body: str


class RecordNotSettledError(Exception):
    """A record whose deliveries could not all be settled; the event source will deliver it again."""


@dataclass
class BatchReport:
    failures: dict[str, str] = field(default_factory=dict)
    tally: DeliveryTally = field(default_factory=DeliveryTally)

    def raise_if_failed(self, source_id: str) -> None:
        if source_id in self.failures:
            raise RecordNotSettledError(self.failures[source_id])


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    source_id: str
    pending: PendingDelivery
    subscriber: Subscriber
    body: bytes


class _Run:
    """The bookkeeping of one invocation (shared by the worker threads)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.report = BatchReport()
        self.records: list[AttemptRecord] = []
        self._lock = threading.Lock()

    def fail(self, source_id: str, why: str) -> None:
        with self._lock:
            self.report.failures.setdefault(source_id, why)

    def log(self, record: AttemptRecord) -> None:
        with self._lock:
            self.records.append(record)


class FanoutService:
    """Delivers insights and due retries; every collaborator is injected (tests use moto and local servers)."""

    def __init__(
        self,
        *,
        directory: SubscriptionDirectory,
        store: SubscriptionStore,
        delivery_log: DeliveryLog,
        retry_queue: RetryQueue,
        dead_letters: DeadLetterQueue,
        sender: WebhookSender,
        executor: Executor,
        schedule: RetrySchedule | None = None,
        lanes_per_subscriber: int = 4,
        attempt_budget_seconds: float = 20.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = directory
        self._store = store
        self._log = delivery_log
        self._retry_queue = retry_queue
        self._dead_letters = dead_letters
        self._sender = sender
        self._schedule = schedule or RetrySchedule()
        self._executor = executor
        self._dispatcher: LaneDispatcher[DeliveryJob] = LaneDispatcher(
            executor, lanes_per_subscriber=lanes_per_subscriber
        )
        self._attempt_budget = attempt_budget_seconds + SAFETY_MARGIN_SECONDS
        self._clock = clock
        self._monotonic = monotonic
        self._validator = InsightValidator()

    def close(self) -> None:
        """Release the connection pool and the worker threads (tests; a Lambda container just ends)."""
        self._sender.close()
        self._executor.shutdown(wait=False)

    # -- entry points --------------------------------------------------------------------------------

    def deliver_insights(self, records: Sequence[InsightRecord], *, deadline: float) -> BatchReport:
        """Deliver each insight to its matching active subscriptions (first attempts)."""
        run = _Run(deadline)
        jobs: list[DeliveryJob] = []
        for record in records:
            try:
                insight = self._parse_insight(record.data)
            except ValueError as error:
                logger.error(
                    "Invalid insight record", extra={"source_id": record.source_id, "error": str(error)}
                )
                run.fail(record.source_id, str(error))
                continue
            body = orjson.dumps(insight)
            for subscriber in self._directory.matching(insight["type"]):
                webhook_id = make_webhook_id(insight["insight_id"], subscriber.subscription_id)
                pending = PendingDelivery(webhook_id, subscriber.subscription_id, insight)
                jobs.append(DeliveryJob(record.source_id, pending, subscriber, body))
        self._deliver(jobs, run)
        return run.report

    def deliver_retries(self, records: Sequence[QueuedRecord], *, deadline: float) -> BatchReport:
        """Make the due attempts among retry-queue messages; re-queue the ones not due yet."""
        run = _Run(deadline)
        jobs: list[DeliveryJob] = []
        for record in records:
            try:
                pending = PendingDelivery.from_json(record.body)
            except InvalidPendingDeliveryError as error:
                logger.error(
                    "Unreadable retry message", extra={"source_id": record.source_id, "error": str(error)}
                )
                run.fail(record.source_id, str(error))
                continue
            try:
                job = self._prepare_retry(record.source_id, pending, run)
            except Exception as error:
                logger.exception("Could not prepare a retry", extra={"webhook_id": pending.webhook_id})
                run.fail(record.source_id, f"retry {pending.webhook_id}: {error}")
                continue
            if job is not None:
                jobs.append(job)
        self._deliver(jobs, run)
        return run.report

    # -- steps ---------------------------------------------------------------------------------------

    def _parse_insight(self, data: bytes) -> dict:
        try:
            insight = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise ValueError(f"insight record is not JSON ({error})") from None
        problems = self._validator.validate(insight)
        if problems:
            raise ValueError("insight record is invalid: " + "; ".join(str(p) for p in problems[:5]))
        return insight

    def _prepare_retry(self, source_id: str, pending: PendingDelivery, run: _Run) -> DeliveryJob | None:
        if not self._retry_queue.is_due(pending):
            self._retry_queue.schedule(pending)
            run.report.tally.hop()
            return None
        subscriber = self._directory.get(pending.subscription_id)
        if subscriber is None:
            logger.warning(
                "Subscription deleted; dropping its pending delivery",
                extra={"webhook_id": pending.webhook_id, "subscription_id": pending.subscription_id},
            )
            run.report.tally.outcome("failed_permanent")
            return None
        if not subscriber.is_active:
            status = subscriber.subscription.status
            reason = f"subscription is {status}" + (
                f" ({subscriber.subscription.disabled_reason})"
                if subscriber.subscription.disabled_reason
                else ""
            )
            self._dead_letters.send(pending, reason=reason, at=self._now_text())
            outcome: DeliveryOutcome = "subscription_disabled" if status == "disabled" else "dead_lettered"
            run.report.tally.outcome(outcome)
            run.log(self._record(pending, outcome, error=reason))
            return None
        return DeliveryJob(source_id, pending, subscriber, orjson.dumps(pending.insight))

    def _deliver(self, jobs: list[DeliveryJob], run: _Run) -> None:
        if not jobs:
            return
        try:
            states = self._log.states((j.pending.subscription_id, j.pending.webhook_id) for j in jobs)
        except Exception as error:
            logger.exception("Could not read delivery states")
            for job in jobs:
                run.fail(job.source_id, f"could not read delivery states: {error}")
            return
        to_send = []
        for job in jobs:
            state = states.get((job.pending.subscription_id, job.pending.webhook_id))
            if state is not None and state.covers(job.pending.generation, job.pending.attempt):
                run.report.tally.skipped()
            else:
                to_send.append(job)
        self._dispatcher.run(
            to_send,
            subscriber_of=lambda job: job.pending.subscription_id,
            work=lambda job, gate: self._settle(job, gate, run),
        )
        try:
            self._log.append(run.records)
        except Exception:
            # The attempts are settled (queued/acknowledged); only their history is missing.
            logger.exception("Could not write delivery attempt records", extra={"count": len(run.records)})

    def _settle(self, job: DeliveryJob, gate: SubscriberGate, run: _Run) -> None:
        try:
            if gate.disabled_reason is not None:
                self._dead_letter(job, run, reason=gate.disabled_reason, outcome="subscription_disabled")
            elif gate.paused_reason is not None:
                self._skip_while_paused(job, gate, run)
            elif self._monotonic() + self._attempt_budget > run.deadline:
                self._defer_for_time(job, run)
            else:
                self._attempt(job, gate, run)
        except Exception as error:
            logger.exception("Could not settle a delivery", extra={"webhook_id": job.pending.webhook_id})
            run.fail(job.source_id, f"delivery {job.pending.webhook_id}: {error}")

    def _attempt(self, job: DeliveryJob, gate: SubscriberGate, run: _Run) -> None:
        pending = job.pending
        headers = webhook_headers(pending.webhook_id, int(self._clock()), job.body, job.subscriber.keys)
        result = self._sender.send(job.subscriber.subscription.url, headers, job.body)
        run.report.tally.attempt(pending.attempt, result.latency_ms)
        outcome = classify(result)
        if outcome.verdict == "delivered":
            self._log.record_state(
                pending.subscription_id,
                pending.webhook_id,
                MessageState("delivered", pending.generation, pending.attempt),
                now=self._now_text(),
            )
            self._finish(job, run, "delivered", result=result)
        elif outcome.verdict == "retry":
            delay = self._schedule.delay_after(pending.attempt, retry_after=outcome.retry_after_seconds)
            if outcome.pause_subscriber:
                gate.pause(outcome.reason, delay if delay is not None else OUT_OF_TIME_DELAY_SECONDS)
            self._retry_or_give_up(job, run, outcome, delay, result=result)
        elif outcome.verdict == "disable":
            gate.disable(outcome.reason)
            self._directory.mark_disabled(pending.subscription_id, outcome.reason)
            self._store.disable(pending.subscription_id, reason=outcome.reason, now=self._now_text())
            logger.warning(
                "Subscription disabled by 410 Gone", extra={"subscription_id": pending.subscription_id}
            )
            self._dead_letter(job, run, reason=outcome.reason, outcome="subscription_disabled", result=result)
        else:
            self._dead_letter(job, run, reason=outcome.reason, outcome="failed_permanent", result=result)

    def _retry_or_give_up(
        self, job: DeliveryJob, run: _Run, outcome: Outcome, delay: float | None, *, result: HttpResult | None
    ) -> None:
        pending = job.pending
        status_code = result.status_code if result else None
        if delay is None:
            reason = f"gave up after {pending.attempt} attempts; last: {outcome.reason}"
            self._dead_letter(job, run, reason=reason, outcome="dead_lettered", result=result)
            return
        # Queue first, then record: a crash in between re-sends (a duplicate), never loses the message.
        self._retry_queue.schedule(
            pending.next_attempt(
                due_at=self._clock() + delay, last_error=outcome.reason, last_status_code=status_code
            )
        )
        self._log.record_state(
            pending.subscription_id,
            pending.webhook_id,
            MessageState("retrying", pending.generation, pending.attempt),
            now=self._now_text(),
        )
        self._finish(job, run, "retry_scheduled", result=result, error=outcome.reason)

    def _skip_while_paused(self, job: DeliveryJob, gate: SubscriberGate, run: _Run) -> None:
        """The endpoint just timed out or throttled: count this attempt as failed without sending it."""
        reason = f"not sent: the endpoint failed moments ago ({gate.paused_reason})"
        delay = self._schedule.delay_after(job.pending.attempt)
        if delay is not None:
            delay = max(delay, gate.resume_after_seconds)
        self._retry_or_give_up(job, run, Outcome("retry", reason), delay, result=None)

    def _defer_for_time(self, job: DeliveryJob, run: _Run) -> None:
        """Too little time left in this invocation: the same attempt, from the retry queue, shortly."""
        why = "not sent: the invocation ran out of time"
        self._retry_queue.schedule(
            job.pending.deferred(due_at=self._clock() + OUT_OF_TIME_DELAY_SECONDS, why=why)
        )
        self._finish(job, run, "retry_scheduled", error=why)

    def _dead_letter(
        self,
        job: DeliveryJob,
        run: _Run,
        *,
        reason: str,
        outcome: DeliveryOutcome,
        result: HttpResult | None = None,
    ) -> None:
        pending = job.pending
        if result is not None:
            pending = replace(pending, last_error=reason, last_status_code=result.status_code)
        self._dead_letters.send(pending, reason=reason, at=self._now_text())
        self._log.record_state(
            pending.subscription_id,
            pending.webhook_id,
            MessageState("dead_lettered", pending.generation, pending.attempt),
            now=self._now_text(),
        )
        self._finish(job, run, outcome, result=result, error=reason)

    def _finish(
        self,
        job: DeliveryJob,
        run: _Run,
        outcome: DeliveryOutcome,
        *,
        result: HttpResult | None = None,
        error: str | None = None,
    ) -> None:
        run.report.tally.outcome(outcome)
        run.log(self._record(job.pending, outcome, result=result, error=error))

    def _record(
        self,
        pending: PendingDelivery,
        status: str,
        *,
        result: HttpResult | None = None,
        error: str | None = None,
    ) -> AttemptRecord:
        if result is not None and result.error and not error:
            error = result.error
        return AttemptRecord(
            subscription_id=pending.subscription_id,
            webhook_id=pending.webhook_id,
            insight_id=pending.insight_id,
            insight_type=pending.insight_type,
            generation=pending.generation,
            attempt=pending.attempt,
            status=status,
            attempted_at=self._now_text(),
            latency_ms=round(result.latency_ms, 3) if result else None,
            response_code=result.status_code if result else None,
            error=error if status != "delivered" else None,
        )

    def _now_text(self) -> str:
        return format_rfc3339(int(self._clock() * 1000))
