"""Writes events as newline-delimited JSON: one compact orjson object per line, `\\n`-terminated."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

import orjson

_CHUNK_LINES = 4096


def write_ndjson(
    deliveries: Iterable[tuple[int, dict[str, Any]]],
    stream: BinaryIO,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    progress_every: int = 20_000,
) -> int:
    """Write every event of `deliveries` to `stream`; return the number of lines.

    `on_progress(lines_so_far, deliver_at_ms)` is called every `progress_every` lines.
    """
    dumps = orjson.dumps
    newline = orjson.OPT_APPEND_NEWLINE
    chunk: list[bytes] = []
    lines = 0
    for deliver_at, event in deliveries:
        chunk.append(dumps(event, option=newline))
        lines += 1
        if len(chunk) == _CHUNK_LINES:
            stream.write(b"".join(chunk))
            chunk.clear()
            if on_progress is not None and lines % progress_every < _CHUNK_LINES:
                on_progress(lines, deliver_at)
    if chunk:
        stream.write(b"".join(chunk))
    return lines
