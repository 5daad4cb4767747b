"""Moving dead-lettered webhook deliveries back to the retry queue (`kappa webhooks redrive`).

Each message becomes a fresh first attempt of the next generation (`PendingDelivery.for_redrive`): the
same `webhook-id`, so receivers still deduplicate, and the delivery log's state check lets it through. A
message is deleted from the dead-letter queue only after the retry queue accepted it. Messages that are not
pending deliveries are left where they are and counted.

    report = redrive_dead_letters(sqs, dead_letter_url=..., retry_url=..., max_messages=100)
    report.moved
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lambdas.fanout.pending import InvalidPendingDeliveryError, PendingDelivery

SCAN_VISIBILITY_SECONDS = 300
"""Messages stay invisible this long while one run looks at them, so a run never sees a message twice."""


@dataclass
class RedriveReport:
    dry_run: bool
    moved: int = 0
    """Moved to the retry queue (or, in a dry run, that would be)."""
    kept_unreadable: int = 0
    failed: int = 0
    """The retry queue refused them; they stay in the dead-letter queue."""
    by_reason: Counter[str] = field(default_factory=Counter)
    by_subscription: Counter[str] = field(default_factory=Counter)


def redrive_dead_letters(
    sqs: Any,
    *,
    dead_letter_url: str,
    retry_url: str,
    max_messages: int | None = None,
    dry_run: bool = False,
    clock: Callable[[], float] = time.time,
    progress: Callable[[RedriveReport], None] | None = None,
) -> RedriveReport:
    """Move up to `max_messages` dead letters (all when None) back to the retry queue."""
    report = RedriveReport(dry_run=dry_run)
    to_release: list[str] = []  # receipt handles to make visible again at the end
    try:
        while max_messages is None or report.moved < max_messages:
            wanted = 10 if max_messages is None else min(10, max_messages - report.moved)
            messages = sqs.receive_message(
                QueueUrl=dead_letter_url,
                MaxNumberOfMessages=wanted,
                VisibilityTimeout=SCAN_VISIBILITY_SECONDS,
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not messages:
                break
            readable: list[tuple[dict[str, Any], PendingDelivery]] = []
            for message in messages:
                try:
                    pending = PendingDelivery.from_json(message["Body"])
                except InvalidPendingDeliveryError:
                    report.kept_unreadable += 1
                    to_release.append(message["ReceiptHandle"])
                    continue
                readable.append((message, pending))
                report.by_reason[_reason_kind(pending.reason)] += 1
                report.by_subscription[pending.subscription_id] += 1
            if dry_run:
                report.moved += len(readable)
                to_release.extend(m["ReceiptHandle"] for m, _ in readable)
            else:
                _move(sqs, readable, dead_letter_url, retry_url, clock(), report, to_release)
            if progress is not None:
                progress(report)
    finally:
        _release(sqs, dead_letter_url, to_release)
    return report


def _move(
    sqs: Any,
    readable: list[tuple[dict[str, Any], PendingDelivery]],
    dead_letter_url: str,
    retry_url: str,
    now: float,
    report: RedriveReport,
    to_release: list[str],
) -> None:
    if not readable:
        return
    entries = [
        {"Id": str(index), "MessageBody": pending.for_redrive(now=now).to_json()}
        for index, (_, pending) in enumerate(readable)
    ]
    response = sqs.send_message_batch(QueueUrl=retry_url, Entries=entries)
    sent = {entry["Id"] for entry in response.get("Successful", [])}
    to_delete = []
    for index, (message, _) in enumerate(readable):
        if str(index) in sent:
            to_delete.append({"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]})
        else:
            report.failed += 1
            to_release.append(message["ReceiptHandle"])
    if to_delete:
        sqs.delete_message_batch(QueueUrl=dead_letter_url, Entries=to_delete)
    report.moved += len(to_delete)


def _release(sqs: Any, queue_url: str, receipt_handles: list[str]) -> None:
    for start in range(0, len(receipt_handles), 10):
        chunk = receipt_handles[start : start + 10]
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for index, handle in enumerate(chunk)
            ],
        )


def _reason_kind(reason: str | None) -> str:
    """Group reasons for the summary: 'gave up after 10 attempts; last: HTTP 503 ...' → 'gave up after 10 attempts'."""
    if not reason:
        return "(no reason recorded)"
    return reason.split(";", 1)[0].split(" (", 1)[0]
