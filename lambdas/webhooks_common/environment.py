"""Reading the webhook Lambdas' environment variables: one accessor per kind, errors that name the variable.

The delivery stack sets these (and the local runtime sets the same names); see docs/webhooks.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

SUBSCRIPTIONS_TABLE = "SUBSCRIPTIONS_TABLE"
DELIVERY_LOG_TABLE = "DELIVERY_LOG_TABLE"
RETRY_QUEUE_URL = "RETRY_QUEUE_URL"
DEAD_LETTER_QUEUE_URL = "DEAD_LETTER_QUEUE_URL"
SIGNING_SECRETS_KEY_ID = "SIGNING_SECRETS_KEY_ID"
CONNECT_TIMEOUT_SECONDS = "CONNECT_TIMEOUT_SECONDS"
READ_TIMEOUT_SECONDS = "READ_TIMEOUT_SECONDS"
SECRET_ROTATION_GRACE_HOURS = "SECRET_ROTATION_GRACE_HOURS"
DELIVERY_LOG_TTL_DAYS = "DELIVERY_LOG_TTL_DAYS"
ALLOW_LOOPBACK_TARGETS = "ALLOW_LOOPBACK_TARGETS"
ADMIN_API_KEY_IDS = "ADMIN_API_KEY_IDS"
RETRY_SCHEDULE_SECONDS = "RETRY_SCHEDULE_SECONDS"
MAX_CONCURRENCY = "MAX_CONCURRENCY"
MAX_CONCURRENCY_PER_SUBSCRIBER = "MAX_CONCURRENCY_PER_SUBSCRIBER"
SUBSCRIPTION_CACHE_SECONDS = "SUBSCRIPTION_CACHE_SECONDS"


class MissingSettingError(RuntimeError):
    """A required environment variable is unset or has the wrong form."""


def required(name: str, environ: Mapping[str, str] = os.environ) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise MissingSettingError(f"environment variable {name} is not set (the delivery stack sets it)")
    return value


def optional(name: str, environ: Mapping[str, str] = os.environ) -> str | None:
    return environ.get(name, "").strip() or None


def number(name: str, default: float, environ: Mapping[str, str] = os.environ) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise MissingSettingError(f"environment variable {name} must be a number, got {raw!r}") from None


def flag(name: str, environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(name, "").strip().lower() in ("1", "true", "yes")


def words(name: str, environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """A comma-separated list (empty when unset)."""
    return tuple(part.strip() for part in environ.get(name, "").split(",") if part.strip())
