"""What ingestion adds to an accepted event: `_meta {received_at, producer, ingest_id}`, and the stored bytes.

`received_at` is the receiving clock in UTC (`YYYY-MM-DDTHH:MM:SS.mmmZ`), `producer` the API key *id*
of the caller (never the key itself), and `ingest_id` `<API Gateway request id>:<index in the batch>`,
which leads from any stored event back to its access-log line and position in the request.
"""

from __future__ import annotations

from typing import Final

import orjson

from events.models import Meta

ANONYMOUS_PRODUCER: Final = "anonymous"
"""`producer` when the request carries no API key id (only when a front without API keys calls us)."""


def make_meta(*, received_at: str, producer: str, request_id: str, index: int) -> Meta:
    return {"received_at": received_at, "producer": producer, "ingest_id": f"{request_id}:{index}"}


def enriched_record(encoded_event: bytes, meta: Meta) -> bytes:
    """The stored record: the producer's event (as JSON bytes) with `_meta` appended as its last field.

    Splices bytes instead of serializing a copy of the event a second time; the result is exactly
    `orjson.dumps({**event, "_meta": meta})`. The event must be a non-empty JSON object (valid events are).

    >>> enriched_record(b'{"event_id":"e-1"}', {"received_at": "t", "producer": "p", "ingest_id": "r:0"})
    b'{"event_id":"e-1","_meta":{"received_at":"t","producer":"p","ingest_id":"r:0"}}'
    """
    return b"".join((encoded_event[:-1], b',"_meta":', orjson.dumps(meta), b"}"))
