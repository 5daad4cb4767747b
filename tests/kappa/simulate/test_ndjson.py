"""The NDJSON writer: one compact JSON object per line, progress reported as it goes."""

from __future__ import annotations

import io

import orjson

from kappa.simulate import write_ndjson


def test_each_event_is_one_line_and_progress_is_reported() -> None:
    deliveries = [(1000 + i, {"event_id": f"e-{i}", "quantity": i}) for i in range(10_000)]
    stream = io.BytesIO()
    seen: list[tuple[int, int]] = []
    lines = write_ndjson(
        deliveries, stream, on_progress=lambda n, at: seen.append((n, at)), progress_every=4096
    )
    data = stream.getvalue()
    assert lines == 10_000
    assert data.count(b"\n") == 10_000
    assert data.endswith(b"\n")
    assert data.split(b"\n")[1] == b'{"event_id":"e-1","quantity":1}'
    assert [orjson.loads(line)["quantity"] for line in data.splitlines()] == list(range(10_000))
    assert seen == [(4096, 1000 + 4095), (8192, 1000 + 8191)]
