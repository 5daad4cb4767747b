"""The SQS retry queue: a pending delivery waits there until it is due.

SQS delays a message by at most 15 minutes, so a longer wait is done in hops: the consumer that receives
a message before its `due_at` sends it again with the remaining delay (at most 900 s) and acknowledges
the old one. A 24-hour step is ~96 hops, about 200 SQS requests (~$0.0001).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from lambdas.fanout.pending import PendingDelivery

MAX_SQS_DELAY_SECONDS = 900
DUE_TOLERANCE_SECONDS = 1.0
"""A message received this close to its due time is treated as due (SQS delays are not exact)."""


class RetryQueue:
    def __init__(self, sqs: Any, queue_url: str, *, clock: Callable[[], float] = time.time) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._clock = clock

    def schedule(self, pending: PendingDelivery) -> int:
        """Send `pending` with the delay until its `due_at` (capped at 900 s); returns that delay."""
        delay = self.delay_for(pending)
        self._sqs.send_message(QueueUrl=self._url, MessageBody=pending.to_json(), DelaySeconds=delay)
        return delay

    def is_due(self, pending: PendingDelivery) -> bool:
        return pending.due_at <= self._clock() + DUE_TOLERANCE_SECONDS

    def delay_for(self, pending: PendingDelivery) -> int:
        remaining = pending.due_at - self._clock()
        return max(0, min(MAX_SQS_DELAY_SECONDS, math.ceil(remaining)))
