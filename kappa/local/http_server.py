"""A threading HTTP server on the loopback interface, serving from a daemon thread (the local API front and
the demo's webhook receiver)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kappa.local.ports import LOOPBACK, require_free


class LoopbackHttpServer:
    """Listens on 127.0.0.1 from construction (port 0: any free port; else that port, or a clear error)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, port: int, purpose: str) -> None:
        self._server = ThreadingHTTPServer((LOOPBACK, require_free(port, purpose)), handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name=purpose, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close the socket and wait (briefly) for the serving thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
