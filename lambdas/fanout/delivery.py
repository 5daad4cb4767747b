"""Sending one signed webhook: a pooled HTTP client with timeouts, no redirects, and a capped response read.

`WebhookSender.send` never raises for anything the subscriber does (slow, refused, reset, huge body,
redirect): it returns an `HttpResult` that `outcomes.classify` turns into a decision. Thread-safe; one
sender (and its connection pool) lives per Lambda container.
"""

from __future__ import annotations

import email.utils
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import httpx

from lambdas.fanout.pinned_transport import VettedTransport, request_deadline
from lambdas.webhooks_common.target_policy import TargetPolicy, TargetRejectedError

ErrorKind = Literal["timeout", "connect", "protocol", "rejected"]
MAX_RESPONSE_BYTES = 64 * 1024
"""We read at most this much of a response (kept for the log excerpt), then drop the connection."""
EXCERPT_BYTES = 512


@dataclass(frozen=True, slots=True)
class HttpResult:
    """What happened on the wire for one attempt."""

    latency_ms: float
    status_code: int | None = None
    retry_after_seconds: float | None = None
    error_kind: ErrorKind | None = None
    error: str | None = None
    body_excerpt: str = ""
    body_bytes_read: int = 0
    body_truncated: bool = False


class WebhookSender:
    """POSTs webhook bodies; `policy` is re-applied on every new connection (see `pinned_transport`)."""

    def __init__(
        self,
        policy: TargetPolicy,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        max_connections: int = 200,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._policy = policy
        # The URL's form (scheme, user-info, host syntax) never changes for a URL string: check it once.
        self._check_form = functools.lru_cache(maxsize=4096)(policy.check_form)
        self._max_response_bytes = max_response_bytes
        self._total_budget = connect_timeout + read_timeout
        self._clock = clock
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._client = httpx.Client(
            transport=VettedTransport(policy, limits=limits),
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=5.0),
            follow_redirects=False,
            trust_env=False,
        )

    def send(self, url: str, headers: dict[str, str], body: bytes) -> HttpResult:
        started = self._clock()
        try:
            self._check_form(url)
            with (
                request_deadline(self._total_budget),
                self._client.stream("POST", url, content=body, headers=headers) as response,
            ):
                read, excerpt, truncated = self._read_capped(response)
                return HttpResult(
                    latency_ms=self._elapsed_ms(started),
                    status_code=response.status_code,
                    retry_after_seconds=parse_retry_after(response.headers.get("retry-after")),
                    body_excerpt=excerpt,
                    body_bytes_read=read,
                    body_truncated=truncated,
                )
        except TargetRejectedError as error:
            return HttpResult(self._elapsed_ms(started), error_kind="rejected", error=str(error))
        except httpx.TimeoutException as error:
            return HttpResult(
                self._elapsed_ms(started), error_kind="timeout", error=_describe(error, "timed out")
            )
        except (httpx.ConnectError, httpx.NetworkError) as error:
            return HttpResult(
                self._elapsed_ms(started), error_kind="connect", error=_describe(error, "connection failed")
            )
        except httpx.HTTPError as error:
            return HttpResult(
                self._elapsed_ms(started), error_kind="protocol", error=_describe(error, "invalid response")
            )

    def close(self) -> None:
        self._client.close()

    def _read_capped(self, response: httpx.Response) -> tuple[int, str, bool]:
        """Read up to the cap (the request's deadline bounds the time); the rest is never downloaded."""
        chunks: list[bytes] = []
        read = 0
        truncated = False
        try:
            for chunk in response.iter_raw():
                chunks.append(chunk)
                read += len(chunk)
                if read >= self._max_response_bytes:
                    truncated = True
                    break
        except httpx.TimeoutException:
            truncated = True  # the status is what counts; a body that never ends is not our problem
        head = b"".join(chunks)[:EXCERPT_BYTES]
        return min(read, self._max_response_bytes), head.decode("utf-8", "replace"), truncated

    def _elapsed_ms(self, started: float) -> float:
        return (self._clock() - started) * 1000


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(tz=UTC))).total_seconds())


def _describe(error: Exception, fallback: str) -> str:
    text = str(error).strip()
    return f"{fallback}: {text}" if text else fallback
