"""A webhook subscriber on loopback: verifies Standard Webhooks signatures and records what arrived.

Used by `kappa demo` and the end-to-end tests. It answers 204 to a delivery whose signature verifies
with one of its secrets (a secret rotation keeps the old one valid for a while) and 401 otherwise, and
counts a repeated `webhook-id` as a duplicate, as a receiver that dedupes would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from kappa.local.http_server import LoopbackHttpServer
from kappa.local.ports import LOOPBACK

RECEIVER_PATH = "/hooks/kappa"


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    received_at: float
    """Wall-clock seconds when the request arrived."""
    verified: bool
    insight: dict[str, Any] | None
    error: str | None = None
    duplicate: bool = False


class WebhookReceiver:
    """An HTTP server that checks each delivery's signature and keeps every delivery it saw."""

    def __init__(self, port: int = 0, *, on_delivery: Callable[[Delivery], None] | None = None) -> None:
        self._requested_port = port
        self._secrets: list[str] = []
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self.deliveries: list[Delivery] = []
        self._on_delivery = on_delivery
        self._server: LoopbackHttpServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}{RECEIVER_PATH}"

    def add_secret(self, secret: str) -> None:
        """Trust deliveries signed with `secret` (`whsec_...`), in addition to earlier secrets."""
        with self._lock:
            self._secrets.append(secret)

    def verified(self) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if d.verified and not d.duplicate]

    def receive(self, body: bytes, headers: dict[str, str]) -> Delivery:
        """Check one delivery (the HTTP handler calls this; tests may too)."""
        received_at = time.time()
        lowered = {name.lower(): value for name, value in headers.items()}
        webhook_id = lowered.get("webhook-id", "")
        with self._lock:
            secrets = list(self._secrets)
        error: str | None = "no secret registered yet" if not secrets else None
        verified = False
        for secret in secrets:
            try:
                Webhook(secret).verify(body, lowered)
            except WebhookVerificationError as failure:
                error = str(failure) or type(failure).__name__
                continue
            verified, error = True, None
            break
        insight = None
        if verified:
            try:
                insight = json.loads(body)
            except ValueError:
                verified, error = False, "body is not JSON"
        with self._lock:
            duplicate = verified and webhook_id in self._seen
            if verified:
                self._seen.add(webhook_id)
            delivery = Delivery(webhook_id, received_at, verified, insight, error, duplicate)
            self.deliveries.append(delivery)
        if self._on_delivery is not None:
            self._on_delivery(delivery)
        return delivery

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 30

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path.split("?")[0] != RECEIVER_PATH:
                    self._answer(404)
                    return
                delivery = receiver.receive(body, dict(self.headers.items()))
                self._answer(204 if delivery.verified else 401)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: deliveries are recorded, not printed."""

        self._server = LoopbackHttpServer(Handler, port=self._requested_port, purpose="webhook receiver")
        self.port = self._server.port
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()
