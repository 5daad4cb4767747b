"""Reads a `POST /v1/events` request: content type, body size, JSON, and the `{"events": [...]}` envelope.

Problems with the request as a whole raise `RequestRefusedError` with the HTTP status and a message that
tells the producer what to change; problems with single events are the validator's job, not this one's.
"""

from __future__ import annotations

import base64
import binascii
from http import HTTPStatus
from typing import Any, Final

import orjson

from events import MAX_EVENTS_PER_REQUEST

MAX_BODY_BYTES: Final = 5 * 1024 * 1024
"""Largest request body accepted (5 MiB). Lambda's 6 MB synchronous payload limit, which includes the
rest of the proxy event, is the hard ceiling behind it; a 5 MiB batch also fits one Kinesis PutRecords."""
ENVELOPE_KEY: Final = "events"
_JSON_KINDS: Final = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


class RequestRefusedError(Exception):
    """The request cannot be processed at all; `status` and `message` are what the producer receives."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def read_events(*, content_type: str | None, body: str | None, is_base64_encoded: bool = False) -> list[Any]:
    """The events of a request, each still unvalidated; raises `RequestRefusedError` for a bad request.

    >>> read_events(content_type="application/json", body='{"events": [{"event_id": "e-1"}]}')
    [{'event_id': 'e-1'}]
    """
    check_content_type(content_type)
    raw = _body_bytes(body, is_base64_encoded)
    if len(raw) > MAX_BODY_BYTES:
        raise RequestRefusedError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"request body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES} bytes (5 MiB): "
            "send fewer events per request",
        )
    if not raw or raw.isspace():
        raise RequestRefusedError(HTTPStatus.BAD_REQUEST, _expected("request body is empty"))
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise RequestRefusedError(
            HTTPStatus.BAD_REQUEST, f"request body is not valid JSON: {error}"
        ) from None
    return _envelope_events(document)


def check_content_type(content_type: str | None) -> None:
    """Accept `application/json`, optionally with `charset=utf-8`; anything else is a 415."""
    if not content_type:
        raise RequestRefusedError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type header is missing; send application/json"
        )
    media_type, _, parameters = content_type.partition(";")
    if media_type.strip().lower() != "application/json":
        raise RequestRefusedError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            f"Content-Type must be application/json, not {media_type.strip()[:100]!r}",
        )
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise RequestRefusedError(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"charset must be utf-8, not {value.strip()[:40]!r}; JSON is sent as UTF-8",
            )


def _body_bytes(body: str | None, is_base64_encoded: bool) -> bytes:
    if not body:
        return b""
    if is_base64_encoded:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise RequestRefusedError(HTTPStatus.BAD_REQUEST, "request body is not valid base64") from None
    return body.encode("utf-8", errors="surrogatepass")


def _envelope_events(document: Any) -> list[Any]:
    if not isinstance(document, dict):
        raise RequestRefusedError(
            HTTPStatus.BAD_REQUEST, _expected(f"request body is {_kind_of(document)}, not an object")
        )
    if ENVELOPE_KEY not in document:
        raise RequestRefusedError(HTTPStatus.BAD_REQUEST, _expected('request body has no "events" field'))
    unknown = sorted(key for key in document if key != ENVELOPE_KEY)
    if unknown:
        names = ", ".join(repr(key[:64]) for key in unknown[:10])
        raise RequestRefusedError(
            HTTPStatus.BAD_REQUEST, _expected(f"request body has unknown field(s) {names}")
        )
    events = document[ENVELOPE_KEY]
    if not isinstance(events, list):
        raise RequestRefusedError(HTTPStatus.BAD_REQUEST, _expected(f'"events" is {_kind_of(events)}'))
    if not events:
        raise RequestRefusedError(HTTPStatus.BAD_REQUEST, _expected('"events" is empty'))
    if len(events) > MAX_EVENTS_PER_REQUEST:
        raise RequestRefusedError(
            HTTPStatus.BAD_REQUEST,
            f'"events" has {len(events)} events; the limit is {MAX_EVENTS_PER_REQUEST} per request: '
            "split the batch",
        )
    return events


def _expected(problem: str) -> str:
    return f'{problem}; send {{"events": [...]}} with 1 to {MAX_EVENTS_PER_REQUEST} events'


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return _JSON_KINDS.get(type(value), type(value).__name__)
