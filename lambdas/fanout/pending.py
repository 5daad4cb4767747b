"""`PendingDelivery`: one webhook message still to be delivered, as it travels through the SQS queues.

The same JSON shape is the retry-queue message and the dead-letter message (plus `reason` and
`dead_lettered_at`), so `kappa webhooks redrive` can move a dead letter back with `for_redrive()`.

    >>> p = PendingDelivery("msg_1", "wh_1", {"insight_id": "x"}, attempt=3, due_at=100.0)
    >>> PendingDelivery.from_json(p.to_json()) == p
    True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import orjson

MESSAGE_VERSION = 1


class InvalidPendingDeliveryError(ValueError):
    """A queue message that is not a pending delivery this code wrote."""


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    webhook_id: str
    subscription_id: str
    insight: dict[str, Any]
    attempt: int = 1
    """The attempt to make next (1-based; attempt 1 is the immediate one)."""
    generation: int = 0
    """How many times the message was redriven from the dead-letter queue; attempts restart each time."""
    due_at: float = 0.0
    """Epoch seconds before which the attempt must not be made."""
    last_error: str | None = None
    last_status_code: int | None = None
    reason: str | None = None
    """Dead letters only: why the message stopped being retried."""
    dead_lettered_at: str | None = None

    @property
    def insight_id(self) -> str:
        return str(self.insight.get("insight_id", ""))

    @property
    def insight_type(self) -> str:
        return str(self.insight.get("type", ""))

    def next_attempt(
        self, *, due_at: float, last_error: str, last_status_code: int | None
    ) -> PendingDelivery:
        return replace(
            self,
            attempt=self.attempt + 1,
            due_at=due_at,
            last_error=last_error,
            last_status_code=last_status_code,
        )

    def deferred(self, *, due_at: float, why: str) -> PendingDelivery:
        """The same attempt, later (it was not made: the subscriber was paused for this invocation)."""
        return replace(self, due_at=due_at, last_error=why)

    def dead_lettered(self, *, reason: str, at: str) -> PendingDelivery:
        return replace(self, reason=reason, dead_lettered_at=at)

    def for_redrive(self, *, now: float) -> PendingDelivery:
        """Back to the retry queue as a fresh first attempt of the next generation."""
        return replace(
            self,
            attempt=1,
            generation=self.generation + 1,
            due_at=now,
            reason=None,
            dead_lettered_at=None,
        )

    def to_json(self) -> str:
        document: dict[str, Any] = {
            "version": MESSAGE_VERSION,
            "webhook_id": self.webhook_id,
            "subscription_id": self.subscription_id,
            "attempt": self.attempt,
            "generation": self.generation,
            "due_at": self.due_at,
            "insight": self.insight,
        }
        for name in ("last_error", "last_status_code", "reason", "dead_lettered_at"):
            value = getattr(self, name)
            if value is not None:
                document[name] = value
        return orjson.dumps(document).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> PendingDelivery:
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise InvalidPendingDeliveryError(f"message is not JSON ({error})") from None
        if not isinstance(document, dict) or document.get("version") != MESSAGE_VERSION:
            raise InvalidPendingDeliveryError("message is not a version-1 pending webhook delivery")
        try:
            pending = cls(
                webhook_id=_text(document, "webhook_id"),
                subscription_id=_text(document, "subscription_id"),
                insight=document["insight"],
                attempt=int(document["attempt"]),
                generation=int(document.get("generation", 0)),
                due_at=float(document.get("due_at", 0.0)),
                last_error=document.get("last_error"),
                last_status_code=document.get("last_status_code"),
                reason=document.get("reason"),
                dead_lettered_at=document.get("dead_lettered_at"),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidPendingDeliveryError(f"message is missing or has a bad field ({error})") from None
        if not isinstance(pending.insight, dict) or pending.attempt < 1:
            raise InvalidPendingDeliveryError("message has no insight object or an attempt below 1")
        return pending


def _text(document: dict[str, Any], key: str) -> str:
    value = document[key]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string")
    return value
