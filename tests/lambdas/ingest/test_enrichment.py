"""Enrichment: `_meta` content and the stored bytes."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from lambdas.ingest.enrichment import enriched_record, make_meta

META = make_meta(received_at="2026-11-25T12:00:00.000Z", producer="k7w2x9p4q1", request_id="req-9", index=41)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def test_meta_names_receive_time_producer_and_request_position() -> None:
    assert META == {
        "received_at": "2026-11-25T12:00:00.000Z",
        "producer": "k7w2x9p4q1",
        "ingest_id": "req-9:41",
    }


@given(
    st.dictionaries(st.text(max_size=12).filter(lambda k: k != "_meta"), json_values, min_size=1, max_size=8)
)
def test_the_stored_record_is_the_event_with_meta_appended(event: dict) -> None:
    # GIVEN any non-empty JSON object WHEN enriched from its serialized bytes
    record = enriched_record(orjson.dumps(event), META)
    # THEN the bytes are exactly those of the event with `_meta` as its last field
    assert record == orjson.dumps({**event, "_meta": META})
    assert list(orjson.loads(record))[-1] == "_meta"


def test_producer_text_is_escaped_in_the_record() -> None:
    meta = make_meta(received_at="t", producer='odd"producer\n', request_id="r", index=0)
    assert orjson.loads(enriched_record(b'{"a":1}', meta))["_meta"]["producer"] == 'odd"producer\n'
