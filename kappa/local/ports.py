"""Loopback ports for the local runtime: pick a free one, or check that a requested one is free."""

from __future__ import annotations

import errno
import socket

LOOPBACK = "127.0.0.1"


class PortBusyError(RuntimeError):
    """A port the user asked for is taken; the message says which and what to do."""


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def require_free(port: int, purpose: str) -> int:
    """`port` if it can be bound on 127.0.0.1, else a `PortBusyError` naming `purpose`; 0 picks a free one."""
    if port == 0:
        return free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortBusyError(
                    f"port {port} for the {purpose} is already in use on {LOOPBACK}: stop whatever "
                    f"listens there (is another `kappa local up` running?) or choose another port "
                    f"(0 picks a free one)"
                ) from None
            raise
    return port


def is_listening(port: int, host: str = LOOPBACK) -> bool:
    """Whether something accepts connections on `host:port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0
