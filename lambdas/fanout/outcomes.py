"""What a delivery attempt's result means: delivered, retry later, give up, or disable the subscription.

Rules (Standard Webhooks): 2xx delivered; 3xx is a failure (redirects are not followed); 410 Gone disables
the subscription; 408, 429 and 5xx are retried, as are timeouts and connection errors; other 4xx are
permanent. 429/502/503/504 mean "slow down" and a timeout means the endpoint is stuck: the subscriber's
remaining deliveries in this invocation are then not sent (they wait for their next attempt), and a
Retry-After is honoured. A target refused by the SSRF policy at connection time is
permanent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lambdas.fanout.delivery import HttpResult

Verdict = Literal["delivered", "retry", "permanent", "disable"]
THROTTLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    reason: str
    """Plain words for the log and the dead-letter message, e.g. 'HTTP 500 from the endpoint'."""
    pause_subscriber: bool = False
    """True when the endpoint is unreachable or asks us to slow down: defer its other deliveries."""
    retry_after_seconds: float | None = None


def classify(result: HttpResult) -> Outcome:
    if result.error_kind == "rejected":
        return Outcome("permanent", f"target not allowed: {result.error}")
    if result.error_kind == "timeout":
        return Outcome("retry", result.error or "timed out", pause_subscriber=True)
    if result.error_kind == "connect":
        # Refused or reset: fails fast, so it does not hold a lane; no reason to hold back the others.
        return Outcome("retry", result.error or "connection failed")
    if result.error_kind is not None or result.status_code is None:
        return Outcome("retry", result.error or "no response")
    status = result.status_code
    if 200 <= status < 300:
        return Outcome("delivered", f"HTTP {status}")
    if 300 <= status < 400:
        return Outcome(
            "permanent", f"HTTP {status} redirect (redirects are not followed; register the final URL)"
        )
    if status == 410:
        return Outcome("disable", "HTTP 410 Gone: the endpoint asked to stop deliveries")
    if status in THROTTLE_STATUSES:
        return Outcome(
            "retry",
            f"HTTP {status} from the endpoint (throttled)",
            pause_subscriber=True,
            retry_after_seconds=result.retry_after_seconds,
        )
    if status == 408 or status >= 500:
        return Outcome("retry", f"HTTP {status} from the endpoint")
    if 400 <= status < 500:
        return Outcome("permanent", f"HTTP {status} from the endpoint (client errors are not retried)")
    return Outcome("permanent", f"unexpected HTTP status {status}")
