"""The webhook dead-letter queue: deliveries that will not be retried any more, with the reason why.

Every delivery ends either delivered or here: retries exhausted, a permanent failure (4xx, redirect,
refused target), or a subscription disabled or paused. `kappa webhooks redrive` moves them back to the
retry queue once the subscriber is fixed.
"""

from __future__ import annotations

from typing import Any

from lambdas.fanout.pending import PendingDelivery


class DeadLetterQueue:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._url = queue_url

    def send(self, pending: PendingDelivery, *, reason: str, at: str) -> None:
        message = pending.dead_lettered(reason=reason, at=at)
        self._sqs.send_message(QueueUrl=self._url, MessageBody=message.to_json())
