"""The SQS event source mapping stand-in: messages from a queue to a function, with Lambda's semantics.

Lambda long-polls the queue, invokes the function with up to `batch_size` messages, deletes the
messages of a successful batch, and leaves failed ones on the queue: they become visible again after
the visibility timeout and are retried until the queue's redrive policy moves them to its DLQ. With
`ReportBatchItemFailures` only the message ids listed in `batchItemFailures` stay; a function error or
an invalid response keeps the whole batch.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kappa.local.function_host import Invocation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueMappingSettings:
    batch_size: int = 10
    wait_seconds: int = 1
    """Long-poll wait of each ReceiveMessage call (also how quickly `stop` takes effect)."""
    report_batch_item_failures: bool = True


@dataclass
class QueueMappingStats:
    invocations: int = 0
    messages_deleted: int = 0
    messages_failed: int = 0
    last_error: str | None = None


def sqs_event(messages: list[dict[str, Any]], *, queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda passes to a function for a batch of SQS messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes") or {}),
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for name, value in (message.get("MessageAttributes") or {}).items()
                },
                "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def failed_message_ids(result: Any, messages: list[dict[str, Any]]) -> set[str] | None:
    """Message ids to keep on the queue; None when the response is invalid (keep the whole batch)."""
    if not isinstance(result, dict) or result.get("batchItemFailures") is None:
        return set()
    failures = result["batchItemFailures"]
    if not isinstance(failures, list):
        return None
    known = {message["MessageId"] for message in messages}
    kept = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in known:
            return None
        kept.add(identifier)
    return kept


class SqsEventSourceMapping:
    """Feeds one SQS queue to one function from a polling thread."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        invoke: Callable[[dict[str, Any]], Invocation],
        settings: QueueMappingSettings,
        *,
        region: str,
    ) -> None:
        self._sqs = sqs
        self.queue_url = queue_url
        self._invoke = invoke
        self.settings = settings
        self._region = region
        self._arn = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = QueueMappingStats()

    def start(self) -> SqsEventSourceMapping:
        attributes = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
        self._arn = attributes["Attributes"]["QueueArn"]
        self._thread = threading.Thread(target=self._run, name="sqs-esm", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def poll_once(self) -> int:
        """Receive one batch and process it; returns the number of messages received."""
        answer = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.settings.batch_size,
            WaitTimeSeconds=self.settings.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = answer.get("Messages") or []
        if messages:
            self.process(messages)
        return len(messages)

    def process(self, messages: list[dict[str, Any]]) -> None:
        outcome = self._invoke(sqs_event(messages, queue_arn=self._arn, region=self._region))
        self.stats.invocations += 1
        if not outcome.ok:
            self.stats.messages_failed += len(messages)
            self.stats.last_error = f"{outcome.error_type}: {outcome.error_message}"
            return
        kept = (
            failed_message_ids(outcome.result, messages)
            if self.settings.report_batch_item_failures
            else set()
        )
        if kept is None:
            self.stats.messages_failed += len(messages)
            self.stats.last_error = "invalid batchItemFailures"
            return
        done = [m for m in messages if m["MessageId"] not in kept]
        self.stats.messages_failed += len(kept)
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(done[start : start + 10])
            ]
            self._sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        self.stats.messages_deleted += len(done)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as error:
                self.stats.last_error = str(error)
                log.warning("SQS event source mapping on %s failed: %s", self.queue_url, error)
                self._stop.wait(1.0)
