"""A tiny stand-in for the ingestion API on 127.0.0.1, answering per-event results as the real one does."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

Answer = Callable[[int, list[dict[str, Any]]], tuple[int, dict[str, Any] | None, dict[str, str]]]


class IngestionStub:
    """Records every request; `answer(request_number, events)` decides status, body and headers."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                events = orjson.loads(body)["events"]
                with stub.lock:
                    stub.requests.append({"path": self.path, "headers": dict(self.headers), "events": events})
                    number = len(stub.requests)
                status, payload, headers = stub.answer(number, events)
                data = orjson.dumps(payload) if payload is not None else b""
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/events"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def received_ids(self) -> list[str]:
        return [event["event_id"] for request in self.requests for event in request["events"]]


def results(events: list[dict[str, Any]], rejected: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    rows = []
    for index, event in enumerate(events):
        row = {"index": index, "event_id": event["event_id"], "status": "accepted"}
        if rejected(event):
            row.update(status="rejected", error="occurred_at: is more than 5 minutes in the future")
        rows.append(row)
    accepted = sum(row["status"] == "accepted" for row in rows)
    return {"accepted": accepted, "rejected": len(rows) - accepted, "results": rows}


def accept_all(_: int, events: list[dict[str, Any]]) -> tuple[int, dict[str, Any], dict[str, str]]:
    return 202, results(events, lambda event: False), {}
