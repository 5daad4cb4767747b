"""Real HTTP receivers on 127.0.0.1 for delivery tests: scripted answers, every request recorded."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay_seconds: float = 0.0
    hang: bool = False
    """Never answer (until the receiver stops): the sender must time out. When the sender gives up and
    closes the connection, the receiver notes the time in `hang_ups`."""
    drip_seconds: float = 0.0
    """Send the answer one byte at a time with this pause: each read is quick, the whole is not."""


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float


class Receiver:
    """A threaded HTTP/1.1 server; `script(answers...)` sets the answers in order, the last one repeats."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self.hang_ups: list[float] = []
        """When each hanging request's connection was closed by the sender (its timeout fired), `time.time()`."""
        self._answers: deque[Answer] = deque([Answer()])
        self._lock = threading.Lock()
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                answer = receiver._next(
                    ReceivedRequest(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                    )
                )
                if answer.hang:
                    receiver._wait_for_hang_up(self.connection)
                    return
                if answer.delay_seconds:
                    time.sleep(answer.delay_seconds)
                if answer.drip_seconds:
                    raw = (
                        f"HTTP/1.1 {answer.status} OK\r\ncontent-length: {len(answer.body)}\r\n\r\n".encode()
                    )
                    for byte in raw + answer.body:
                        if receiver._release.is_set():
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(answer.drip_seconds)
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def script(self, *answers: Answer) -> Receiver:
        with self._lock:
            self._answers = deque(answers)
        return self

    def _next(self, request: ReceivedRequest) -> Answer:
        with self._lock:
            self.requests.append(request)
            return self._answers.popleft() if len(self._answers) > 1 else self._answers[0]

    def _wait_for_hang_up(self, connection: socket.socket) -> None:
        """Hold the request unanswered until the sender closes the connection (noted) or the receiver stops."""
        deadline = time.monotonic() + 30
        while not self._release.is_set() and time.monotonic() < deadline:
            readable, _, _ = select.select([connection], [], [], 0.02)
            if not readable:
                continue
            try:
                peeked = connection.recv(1, socket.MSG_PEEK)
            except OSError:
                peeked = b""
            if not peeked:
                with self._lock:
                    self.hang_ups.append(time.time())
                return
            self._release.wait(0.02)  # bytes of a next request on this connection: not a hang-up

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-answer (a capped body, a timeout) is expected here, not an error."""
