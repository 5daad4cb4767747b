"""An httpx transport that only connects to addresses the target policy vetted at connection time.

A subscriber's host name is resolved when the connection is opened, every address is checked against the
policy, and the socket is opened to one of those vetted addresses — so a DNS answer that changes between
the check and the connect (DNS rebinding) cannot steer us to a private address. TLS still verifies the
certificate against the host name, and pooled connections are keyed by host name, never shared between
hosts that happen to share an address. Proxy environment variables are ignored on purpose: a proxy would
connect on our behalf, past this check.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
import typing
from collections.abc import Iterator

import certifi
import httpcore
import httpx

from lambdas.webhooks_common.target_policy import TargetPolicy, TargetRejectedError

MAX_ADDRESSES_TRIED = 3
_deadline = threading.local()


@contextlib.contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Bound every socket operation of the request made inside this block by one total deadline.

    httpx's timeouts apply per operation, so a server that drips one byte at a time could hold a lane for
    ever; with this, connect + TLS + send + the whole response end `seconds` after the block starts. The
    sync client does its I/O in the calling thread, so a thread-local carries the deadline to the stream.
    """
    _deadline.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _deadline.at = None


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    at = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    remaining = at - time.monotonic()
    if remaining <= 0:
        raise expired("the delivery's total time budget is used up")
    return remaining if timeout is None else min(timeout, remaining)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads and writes never outlast the current request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class VettingNetworkBackend(httpcore.NetworkBackend):
    """Resolves and vets the host itself, then connects to the first vetted address that answers."""

    def __init__(self, policy: TargetPolicy, inner: httpcore.NetworkBackend | None = None) -> None:
        self._policy = policy
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._policy.vet_host(host, port)
        last_error: Exception | None = None
        for address in addresses[:MAX_ADDRESSES_TRIED]:
            try:
                bounded = _bounded(timeout, httpcore.ConnectTimeout)
                stream = self._inner.connect_tcp(address, port, bounded, local_address, socket_options)
                return DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last_error = error
        assert last_error is not None
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise TargetRejectedError("unix sockets are not webhook targets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class VettedTransport(httpx.HTTPTransport):
    """`httpx.HTTPTransport` whose connection pool uses `VettingNetworkBackend` (HTTP/1.1, no proxies)."""

    def __init__(
        self,
        policy: TargetPolicy,
        *,
        limits: httpx.Limits,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        # Deliberately not calling super().__init__: it would build a pool with the default backend and
        # honour proxy settings. Everything else in HTTPTransport only uses `self._pool`.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context or ssl.create_default_context(cafile=certifi.where()),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=VettingNetworkBackend(policy),
        )
