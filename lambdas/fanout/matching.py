"""Which subscriptions receive an insight, from a per-container snapshot of the subscriptions table.

The snapshot (every subscription with its decrypted signing keys) is refreshed when older than a few
seconds, so a new, paused or resumed subscription takes effect within that time without a table read per
record. Signing keys are the current secret plus, during a rotation's grace period, the previous one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from events import parse_rfc3339
from events.timefmt import utc_now
from lambdas.webhooks_common.signing_secrets import SecretCipher
from lambdas.webhooks_common.subscriptions import Subscription, SubscriptionStore


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A subscription ready to sign for: its signing keys, newest first."""

    subscription: Subscription
    keys: tuple[bytes, ...]

    @property
    def subscription_id(self) -> str:
        return self.subscription.subscription_id

    @property
    def is_active(self) -> bool:
        return self.subscription.status == "active"

    def wants(self, insight_type: str) -> bool:
        return self.is_active and insight_type in self.subscription.event_types


class SubscriptionDirectory:
    """Thread-safe cached view of the subscriptions table for the fan-out."""

    def __init__(
        self,
        store: SubscriptionStore,
        cipher: SecretCipher,
        *,
        max_age_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._cipher = cipher
        self._max_age = max_age_seconds
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._by_id: dict[str, Subscriber] = {}
        self._by_type: dict[str, tuple[Subscriber, ...]] = {}
        self._loaded_at: float | None = None

    def matching(self, insight_type: str) -> list[Subscriber]:
        """The active subscribers that chose `insight_type`."""
        self._refresh_if_stale()
        return list(self._by_type.get(insight_type, ()))

    def get(self, subscription_id: str) -> Subscriber | None:
        """One subscriber (any status), or None when it was deleted."""
        self._refresh_if_stale()
        found = self._by_id.get(subscription_id)
        if found is not None:
            return found
        stored = self._store.get(subscription_id)
        return self._prepare(stored) if stored else None

    def mark_disabled(self, subscription_id: str, reason: str) -> None:
        """Reflect a 410 in this container at once (the table is updated separately)."""
        with self._lock:
            found = self._by_id.get(subscription_id)
            if found is not None:
                disabled = replace(found.subscription, status="disabled", disabled_reason=reason)
                self._by_id[subscription_id] = replace(found, subscription=disabled)
                self._by_type = _index_by_type(self._by_id)

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = None

    def _refresh_if_stale(self) -> None:
        with self._lock:
            now = self._clock()
            if self._loaded_at is not None and now - self._loaded_at < self._max_age:
                return
            self._by_id = {s.subscription_id: self._prepare(s) for s in self._store.scan_all()}
            self._by_type = _index_by_type(self._by_id)
            self._loaded_at = now

    def _prepare(self, subscription: Subscription) -> Subscriber:
        keys = [self._cipher.decrypt(subscription.subscription_id, subscription.secret_ciphertext)]
        previous, expires = subscription.previous_secret_ciphertext, subscription.previous_secret_expires_at
        if previous and expires and parse_rfc3339(expires) > self._wall_clock():
            keys.append(self._cipher.decrypt(subscription.subscription_id, previous))
        return Subscriber(subscription=subscription, keys=tuple(keys))


def _index_by_type(by_id: dict[str, Subscriber]) -> dict[str, tuple[Subscriber, ...]]:
    index: dict[str, list[Subscriber]] = {}
    for subscriber in by_id.values():
        if subscriber.is_active:
            for insight_type in subscriber.subscription.event_types:
                index.setdefault(insight_type, []).append(subscriber)
    return {insight_type: tuple(found) for insight_type, found in index.items()}
