"""API keys and usage plans as API Gateway enforces them: which key may call what, and how often.

Keys are generated on the first start and kept in the data directory, so a restart (and the producer
holding the key) keeps working. One key per configured producer (`ingestion.producers`), plus one admin
key for the webhook management API.
"""

from __future__ import annotations

import json
import secrets
import string
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from kappa.local.paths import write_atomically
from stacks.config import ProducerConfig

KeyScope = Literal["producer", "admin"]
ADMIN_KEY_NAME = "admin"
ADMIN_RATE_LIMIT = 10.0
ADMIN_BURST_LIMIT = 20
"""As the delivery stack's admin usage plan (`stacks/delivery_stack.py`)."""
_ID_ALPHABET = string.ascii_lowercase + string.digits
_VALUE_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class ApiKey:
    """One API Gateway API key with the usage plan it is attached to."""

    name: str
    id: str
    """What API Gateway passes to the integration as `requestContext.identity.apiKeyId`."""
    value: str
    """What the client sends in `x-api-key`."""
    scope: KeyScope
    rate_limit: float
    burst_limit: int
    quota_per_day: int | None = None


class ApiKeyRing:
    """The keys of one local API, loaded from (or first written to) `api-keys.json`."""

    def __init__(self, keys: list[ApiKey]) -> None:
        self._keys = list(keys)
        self._by_value = {key.value: key for key in keys}

    @classmethod
    def load_or_create(cls, path: Path, producers: tuple[ProducerConfig, ...]) -> ApiKeyRing:
        """Keys from `path`, adding a key for any producer (or the admin) that has none yet."""
        stored: dict[str, dict[str, str]] = {}
        if path.exists():
            try:
                document = json.loads(path.read_text())
                stored = {entry["name"]: entry for entry in document["keys"]}
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(
                    f"{path} is not a valid API key file ({error}); delete it to generate new keys"
                ) from None
        keys = [
            _key(stored.get(p.name), p.name, "producer", p.rate_limit, p.burst_limit, p.quota_per_day)
            for p in producers
        ]
        keys.append(
            _key(stored.get(ADMIN_KEY_NAME), ADMIN_KEY_NAME, "admin", ADMIN_RATE_LIMIT, ADMIN_BURST_LIMIT)
        )
        ring = cls(keys)
        document = {"keys": [asdict(key) for key in keys]}
        if not path.exists() or json.loads(path.read_text()) != document:
            write_atomically(path, json.dumps(document, indent=2).encode())
            path.chmod(0o600)
        return ring

    def lookup(self, value: str | None) -> ApiKey | None:
        return self._by_value.get(value) if value else None

    @property
    def producers(self) -> list[ApiKey]:
        return [key for key in self._keys if key.scope == "producer"]

    @property
    def admin(self) -> ApiKey:
        return next(key for key in self._keys if key.scope == "admin")


def _key(
    stored: dict[str, str] | None,
    name: str,
    scope: KeyScope,
    rate_limit: float,
    burst_limit: int,
    quota_per_day: int | None = None,
) -> ApiKey:
    return ApiKey(
        name=name,
        id=stored["id"] if stored else "".join(secrets.choice(_ID_ALPHABET) for _ in range(10)),
        value=stored["value"] if stored else "".join(secrets.choice(_VALUE_ALPHABET) for _ in range(40)),
        scope=scope,
        rate_limit=rate_limit,
        burst_limit=burst_limit,
        quota_per_day=quota_per_day,
    )


class UsagePlanThrottle:
    """Token buckets per key (steady rate + burst) and a per-day quota, like API Gateway usage plans."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._day_counts: dict[tuple[str, int], int] = {}

    def allow(self, key: ApiKey, *, now: float | None = None, epoch_day: int | None = None) -> bool:
        """Take one request from `key`'s allowance; False means API Gateway would answer 429."""
        now = time.monotonic() if now is None else now
        day = int(time.time() // 86_400) if epoch_day is None else epoch_day
        with self._lock:
            tokens, updated = self._buckets.get(key.id, (float(key.burst_limit), now))
            tokens = min(float(key.burst_limit), tokens + (now - updated) * key.rate_limit)
            if tokens < 1.0:
                self._buckets[key.id] = (tokens, now)
                return False
            if key.quota_per_day is not None:
                used = self._day_counts.get((key.id, day), 0)
                if used >= key.quota_per_day:
                    self._buckets[key.id] = (tokens, now)
                    return False
                self._day_counts[(key.id, day)] = used + 1
            self._buckets[key.id] = (tokens - 1.0, now)
            return True
