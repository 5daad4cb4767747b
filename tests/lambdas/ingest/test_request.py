"""Reading `POST /v1/events` requests: content type, size, JSON and the envelope, each refusal in plain words."""

from __future__ import annotations

import base64
import json
from http import HTTPStatus

import pytest

from lambdas.ingest.request import MAX_BODY_BYTES, RequestRefusedError, read_events

JSON = "application/json"
ONE_EVENT = json.dumps({"events": [{"event_id": "e-1"}]})


def refusal(content_type: str | None, body: str | None, **kwargs: bool) -> RequestRefusedError:
    with pytest.raises(RequestRefusedError) as raised:
        read_events(content_type=content_type, body=body, **kwargs)
    return raised.value


def test_the_events_of_a_well_formed_request_are_returned_in_order() -> None:
    body = json.dumps({"events": [{"event_id": "a"}, {"event_id": "b"}, 7]})
    assert read_events(content_type=JSON, body=body) == [{"event_id": "a"}, {"event_id": "b"}, 7]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        'application/json;charset="UTF-8"',
    ],
)
def test_json_content_types_are_accepted(content_type: str) -> None:
    assert read_events(content_type=content_type, body=ONE_EVENT) == [{"event_id": "e-1"}]


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (None, "Content-Type header is missing; send application/json"),
        ("", "Content-Type header is missing; send application/json"),
        ("text/plain", "Content-Type must be application/json, not 'text/plain'"),
        (
            "application/x-www-form-urlencoded",
            "Content-Type must be application/json, not 'application/x-www-form-urlencoded'",
        ),
        (
            "application/json; charset=iso-8859-1",
            "charset must be utf-8, not 'iso-8859-1'; JSON is sent as UTF-8",
        ),
    ],
)
def test_other_content_types_are_refused_with_415(content_type: str | None, expected: str) -> None:
    refused = refusal(content_type, ONE_EVENT)
    assert refused.status == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert refused.message == expected


def test_a_body_over_the_limit_is_refused_with_413_naming_the_limit() -> None:
    body = json.dumps({"events": [{"pad": "x" * MAX_BODY_BYTES}]})
    refused = refusal(JSON, body)
    assert refused.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert refused.message == (
        f"request body is {len(body)} bytes; the limit is 5242880 bytes (5 MiB): send fewer events per request"
    )


def test_the_size_limit_counts_utf8_bytes_not_characters() -> None:
    # GIVEN a body just under the limit in characters but over it in UTF-8 bytes ("é" is 2 bytes)
    body = '{"events": [{"name": "' + "é" * (MAX_BODY_BYTES // 2) + '"}]}'
    assert len(body) < MAX_BODY_BYTES
    assert refusal(JSON, body).status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_a_body_at_the_limit_is_read() -> None:
    prefix, suffix = '{"events": [{"pad": "', '"}]}'
    body = prefix + "x" * (MAX_BODY_BYTES - len(prefix) - len(suffix)) + suffix
    assert len(body.encode()) == MAX_BODY_BYTES
    assert len(read_events(content_type=JSON, body=body)) == 1


def test_a_base64_encoded_body_is_decoded() -> None:
    body = base64.b64encode(ONE_EVENT.encode()).decode()
    assert read_events(content_type=JSON, body=body, is_base64_encoded=True) == [{"event_id": "e-1"}]


def test_invalid_base64_is_a_400() -> None:
    refused = refusal(JSON, "not base64!", is_base64_encoded=True)
    assert (refused.status, refused.message) == (HTTPStatus.BAD_REQUEST, "request body is not valid base64")


ENVELOPE = 'send {"events": [...]} with 1 to 500 events'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, f"request body is empty; {ENVELOPE}"),
        ("", f"request body is empty; {ENVELOPE}"),
        ("  \n", f"request body is empty; {ENVELOPE}"),
        ("[]", f"request body is an array, not an object; {ENVELOPE}"),
        ('"events"', f"request body is a string, not an object; {ENVELOPE}"),
        ("null", f"request body is null, not an object; {ENVELOPE}"),
        ("{}", f'request body has no "events" field; {ENVELOPE}'),
        ('{"event": []}', f'request body has no "events" field; {ENVELOPE}'),
        ('{"events": [{}], "producer": "me"}', f"request body has unknown field(s) 'producer'; {ENVELOPE}"),
        ('{"events": {"event_id": "e-1"}}', f'"events" is an object; {ENVELOPE}'),
        ('{"events": "e-1"}', f'"events" is a string; {ENVELOPE}'),
        ('{"events": null}', f'"events" is null; {ENVELOPE}'),
        ('{"events": 3}', f'"events" is a number; {ENVELOPE}'),
        ('{"events": []}', f'"events" is empty; {ENVELOPE}'),
        (
            json.dumps({"events": [{}] * 501}),
            '"events" has 501 events; the limit is 500 per request: split the batch',
        ),
    ],
)
def test_a_wrong_envelope_is_a_400_with_a_message(body: str | None, expected: str) -> None:
    refused = refusal(JSON, body)
    assert refused.status == HTTPStatus.BAD_REQUEST
    assert refused.message == expected


@pytest.mark.parametrize(
    "body", ['{"events": [', "{'events': []}", '{"events": [NaN]}', "events=1", '{"events": [1,]}', "\ud800"]
)
def test_malformed_json_is_a_400_saying_where(body: str) -> None:
    refused = refusal(JSON, body)
    assert refused.status == HTTPStatus.BAD_REQUEST
    assert refused.message.startswith("request body is not valid JSON: ")
    assert len(refused.message) > len("request body is not valid JSON: ")


def test_500_events_are_the_most_one_request_takes() -> None:
    assert len(read_events(content_type=JSON, body=json.dumps({"events": [{}] * 500}))) == 500
