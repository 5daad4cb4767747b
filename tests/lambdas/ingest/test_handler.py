"""The Lambda handler end to end: API Gateway proxy events in, moto Kinesis behind, the contract's answers out."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lambdas.ingest import handler
from lambdas.ingest.event_log import KinesisEventLog, RetryPolicy
from lambdas.ingest.service import IngestService
from tests.lambdas.ingest.conftest import API_KEY_ID, SECRET_API_KEY, FakeLambdaContext
from tests.lambdas.ingest.stream_doubles import STREAM_NAME, FakeClock, FlakyKinesis, read_stream

pytestmark = pytest.mark.usefixtures("kinesis_client")


def call(request: dict[str, Any], context: FakeLambdaContext) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """Invoke the handler; return status, parsed JSON body, and headers."""
    response = handler.handler(request, context)
    headers = {k: v[-1] for k, v in response.get("multiValueHeaders", {}).items()} | response.get(
        "headers", {}
    )
    return response["statusCode"], json.loads(response["body"]), headers


def use_flaky_stream(
    monkeypatch: pytest.MonkeyPatch, client: Any, flaky: FlakyKinesis, clock: FakeClock
) -> None:
    """Point the handler at a stream that refuses some records (the only client the handler talks to)."""
    service = IngestService(
        event_log=KinesisEventLog(flaky, STREAM_NAME),
        retry_policy=RetryPolicy(time_budget_seconds=2.0),
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )
    monkeypatch.setattr(handler, "ingest_service", lambda: service)


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the function's Powertools logger writes (its handler keeps the stdout it was created with)."""
    stream = io.StringIO()
    previous = handler.logger.registered_handler.setStream(stream)
    yield stream
    handler.logger.registered_handler.setStream(previous)


def emf_metrics(output: str) -> list[dict[str, Any]]:
    """The CloudWatch EMF documents printed by the function, as {namespace, dimensions, name: value}."""
    documents = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            directive = document["_aws"]["CloudWatchMetrics"][0]
            for metric in directive["Metrics"]:
                documents.append(
                    {
                        "namespace": directive["Namespace"],
                        "dimensions": {d: document[d] for d in directive["Dimensions"][0]},
                        "name": metric["Name"],
                        "value": document[metric["Name"]],
                    }
                )
    return documents


def metric_value(metrics: list[dict[str, Any]], name: str, **dimensions: str) -> float:
    dimensions = {"service": "ingest", **dimensions}
    values = [m["value"] for m in metrics if m["name"] == name and m["dimensions"] == dimensions]
    assert len(values) == 1, f"{name} {dimensions}: {metrics}"
    value = values[0]
    return value[0] if isinstance(value, list) else value


def test_a_valid_batch_lands_in_the_stream_partitioned_by_user(
    kinesis_client: Any, make_event: Callable[..., dict], api_request: Callable[..., dict], lambda_context
) -> None:
    # GIVEN 60 valid events of 7 users
    events = [
        make_event(event_type)
        for _ in range(10)
        for event_type in (
            "page_view",
            "search",
            "add_to_cart",
            "product_view",
            "checkout_started",
            "purchase",
        )
    ]
    # WHEN posted
    status, body, _ = call(api_request({"events": events}), lambda_context)
    # THEN every event is accepted
    assert status == 202
    assert (body["accepted"], body["rejected"]) == (60, 0)
    assert body["results"] == [
        {"index": i, "event_id": e["event_id"], "status": "accepted"} for i, e in enumerate(events)
    ]
    # AND the stream holds each exactly once, keyed by user, each user on one shard in the order sent
    stored = read_stream(kinesis_client)
    assert sorted(r.event["event_id"] for r in stored) == sorted(e["event_id"] for e in events)
    assert all(r.partition_key == r.event["user_id"] for r in stored)
    shards_by_user: dict[str, set[str]] = defaultdict(set)
    for record in stored:
        shards_by_user[record.partition_key].add(record.shard_id)
    assert all(len(shards) == 1 for shards in shards_by_user.values())
    assert len({shard for shards in shards_by_user.values() for shard in shards}) > 1
    for user in shards_by_user:
        assert [r.event["event_id"] for r in stored if r.partition_key == user] == [
            e["event_id"] for e in events if e["user_id"] == user
        ]
    # AND each stored event is the producer's event plus _meta
    sent = {e["event_id"]: e for e in events}
    for record in stored:
        meta = record.event.pop("_meta")
        assert record.event == sent[record.event["event_id"]]
        assert meta["producer"] == API_KEY_ID
        assert meta["ingest_id"].startswith("4b0b8a3e-3c1e-4a52-9d3c-2f7a1e9d6b10:")


def test_a_mixed_batch_accepts_the_valid_and_names_the_problems_of_the_rest(
    kinesis_client: Any, make_event: Callable[..., dict], api_request: Callable[..., dict], lambda_context
) -> None:
    good_1, good_2 = make_event(), make_event()
    broken = make_event("add_to_cart", colour="red")
    broken.pop("quantity")
    status, body, _ = call(api_request({"events": [good_1, broken, "not an event", good_2]}), lambda_context)
    assert status == 202
    assert (body["accepted"], body["rejected"]) == (2, 2)
    assert body["results"][1] == {
        "index": 1,
        "event_id": broken["event_id"],
        "status": "rejected",
        "error": [
            {"path": "colour", "message": "is not an allowed field"},
            {"path": "quantity", "message": "is required for event_type add_to_cart"},
        ],
    }
    assert body["results"][2]["error"] == [{"path": "", "message": "must be a JSON object, not a string"}]
    assert sorted(r.event["event_id"] for r in read_stream(kinesis_client)) == sorted(
        [good_1["event_id"], good_2["event_id"]]
    )


def test_a_batch_with_no_valid_event_is_a_400_with_per_event_results(
    kinesis_client: Any, make_event: Callable[..., dict], api_request: Callable[..., dict], lambda_context
) -> None:
    future = make_event(occurred_at=None)
    future["occurred_at"] = "2999-01-01T00:00:00Z"
    status, body, _ = call(api_request({"events": [future, {"event_id": "e-2"}]}), lambda_context)
    assert status == 400
    assert (body["accepted"], body["rejected"]) == (0, 2)
    assert body["results"][0]["error"] == [
        {"path": "occurred_at", "message": "is more than 5 minutes in the future of the server clock"}
    ]
    assert read_stream(kinesis_client) == []


MESSAGE_CASES = [
    (
        "wrong content type",
        {"raw_body": '{"events": [{}]}', "content_type": "text/plain"},
        415,
        "Content-Type must be application/json, not 'text/plain'",
    ),
    (
        "no content type",
        {"raw_body": '{"events": [{}]}', "content_type": None},
        415,
        "Content-Type header is missing; send application/json",
    ),
    (
        "malformed JSON",
        {"raw_body": '{"events": [{"event_id": "e-1",]}'},
        400,
        "request body is not valid JSON: ",
    ),
    ("empty body", {"raw_body": ""}, 400, "request body is empty;"),
    ("events missing", {"body": {"event": []}}, 400, 'request body has no "events" field;'),
    ("events not a list", {"body": {"events": {"event_id": "e-1"}}}, 400, '"events" is an object;'),
    ("no events", {"body": {"events": []}}, 400, '"events" is empty;'),
    (
        "501 events",
        {"body": {"events": [{}] * 501}},
        400,
        '"events" has 501 events; the limit is 500 per request',
    ),
    (
        "body too large",
        {"body": {"events": [{"pad": "x" * (5 * 1024 * 1024)}]}},
        413,
        "the limit is 5242880 bytes (5 MiB)",
    ),
]


@pytest.mark.parametrize(
    ("case", "request_args", "status", "message"), MESSAGE_CASES, ids=[c[0] for c in MESSAGE_CASES]
)
def test_a_bad_request_gets_its_status_and_a_message(
    kinesis_client: Any,
    api_request: Callable[..., dict],
    lambda_context,
    case: str,
    request_args: dict,
    status: int,
    message: str,
) -> None:
    answer_status, body, _ = call(api_request(**request_args), lambda_context)
    assert answer_status == status
    assert list(body) == ["message"]
    assert message in body["message"]
    assert read_stream(kinesis_client) == []


def test_throttled_records_are_retried_until_all_land_once(
    kinesis_client: Any,
    make_event: Callable[..., dict],
    api_request: Callable[..., dict],
    lambda_context,
    monkeypatch,
    capfd,
) -> None:
    # GIVEN a stream that refuses two users' records on their first two attempts
    events = [make_event() for _ in range(40)]
    hot = {"user-1", "user-2"}
    flaky = FlakyKinesis(kinesis_client, refuse=lambda e: e["user_id"] in hot, times=2)
    use_flaky_stream(monkeypatch, kinesis_client, flaky, FakeClock())
    # WHEN the batch is posted
    status, body, _ = call(api_request({"events": events}), lambda_context)
    # THEN all are accepted, the refused ones after exactly two retries, and each is stored exactly once
    assert status == 202
    assert body["accepted"] == 40
    stored_ids = [r.event["event_id"] for r in read_stream(kinesis_client)]
    assert sorted(stored_ids) == sorted(e["event_id"] for e in events)
    refused = [e["event_id"] for e in events if e["user_id"] in hot]
    assert refused
    assert all(flaky.attempts[event_id] == 3 for event_id in refused)
    assert all(flaky.attempts[e["event_id"]] == 1 for e in events if e["user_id"] not in hot)
    assert flaky.calls == 3
    metrics = emf_metrics(capfd.readouterr().out)
    assert metric_value(metrics, "PutRecordsRetries") == 2 * len(refused)
    assert metric_value(metrics, "PutRecordsFailedEvents") == 0


def test_records_the_stream_keeps_refusing_get_a_503_naming_exactly_them(
    kinesis_client: Any,
    make_event: Callable[..., dict],
    api_request: Callable[..., dict],
    lambda_context,
    monkeypatch,
    capfd,
) -> None:
    # GIVEN a stream that never takes one user's records, and one invalid event in the batch
    events = [make_event() for _ in range(20)]
    events[5] = {"event_id": "broken"}
    flaky = FlakyKinesis(kinesis_client, refuse=lambda e: e["user_id"] == "user-3", times=None)
    clock = FakeClock()
    use_flaky_stream(monkeypatch, kinesis_client, flaky, clock)
    # WHEN posted
    status, body, headers = call(api_request({"events": events}), lambda_context)
    # THEN 503: the refused events are `failed` with a retry hint, the others keep their status
    assert status == 503
    assert headers["Retry-After"] == "1"
    failed = [r for r in body["results"] if r["status"] == "failed"]
    expected_failed = [i for i, e in enumerate(events) if e.get("user_id") == "user-3"]
    assert [r["index"] for r in failed] == expected_failed
    assert all(r["error"] == [{"path": "", "message": "log unavailable, retry"}] for r in failed)
    assert [r["index"] for r in body["results"] if r["status"] == "rejected"] == [5]
    assert body["accepted"] == 20 - 1 - len(expected_failed)
    assert body["rejected"] == 1
    # AND the stream holds exactly the accepted events, once each, and none of the failed
    accepted_ids = sorted(r["event_id"] for r in body["results"] if r["status"] == "accepted")
    assert sorted(r.event["event_id"] for r in read_stream(kinesis_client)) == accepted_ids
    # AND the retrying stopped inside the budget
    assert clock.now - 1000.0 < 2.0
    metrics = emf_metrics(capfd.readouterr().out)
    assert metric_value(metrics, "PutRecordsFailedEvents") == len(expected_failed)


def test_metrics_count_the_batch_by_outcome_and_rejection_reason(
    make_event: Callable[..., dict], api_request: Callable[..., dict], lambda_context, capfd
) -> None:
    future = make_event()
    future["occurred_at"] = "2999-01-01T00:00:00Z"
    reserved = make_event(_meta={"producer": "me"})
    unknown = make_event(colour="red")
    events = [make_event(), make_event(), future, reserved, unknown, {"event_id": "x"}]
    capfd.readouterr()
    call(api_request({"events": events}), lambda_context)
    metrics = emf_metrics(capfd.readouterr().out)
    assert {m["namespace"] for m in metrics} == {"KappaCommerce"}
    assert metric_value(metrics, "BatchSize") == 6
    assert metric_value(metrics, "EventsAccepted") == 2
    assert metric_value(metrics, "EventsRejected") == 4
    assert metric_value(metrics, "PutRecordsRetries") == 0
    assert metric_value(metrics, "EventsRejectedByReason", reason="future_timestamp") == 1
    assert metric_value(metrics, "EventsRejectedByReason", reason="reserved_field") == 1
    assert metric_value(metrics, "EventsRejectedByReason", reason="schema") == 2


def test_logs_and_answers_never_carry_the_api_key_or_event_payloads(
    make_event: Callable[..., dict], api_request: Callable[..., dict], lambda_context, capfd, log_output
) -> None:
    # GIVEN events carrying a recognizable payload, one of them invalid, sent with the sample's API key
    marker = "very-private-search-terms"
    events = [
        make_event("search", search={"query": marker}),
        make_event("search", search={"query": marker}, colour=marker),
    ]
    capfd.readouterr()
    # WHEN handled
    response = handler.handler(api_request({"events": events}), lambda_context)
    # THEN neither the key nor the payload appears in any log line, metric or answer
    printed = capfd.readouterr()
    logged = log_output.getvalue()
    assert SECRET_API_KEY not in logged + printed.out + printed.err + json.dumps(response)
    assert marker not in logged + printed.out + printed.err
    # AND one INFO summary names the producer by key id with the counts
    summary = [json.loads(line) for line in logged.splitlines() if '"batch ingested"' in line]
    assert len(summary) == 1
    assert (summary[0]["level"], summary[0]["producer"], summary[0]["accepted"], summary[0]["rejected"]) == (
        "INFO",
        API_KEY_ID,
        1,
        1,
    )


def test_a_request_without_an_api_key_id_is_stored_as_anonymous(
    kinesis_client: Any, make_event: Callable[..., dict], api_request: Callable[..., dict], lambda_context
) -> None:
    status, _, _ = call(api_request({"events": [make_event()]}, api_key_id=None), lambda_context)
    assert status == 202
    assert read_stream(kinesis_client)[0].event["_meta"]["producer"] == "anonymous"


def test_a_misconfigured_function_answers_500_without_details(
    make_event: Callable[..., dict],
    api_request: Callable[..., dict],
    lambda_context,
    monkeypatch,
    log_output,
    capfd,
) -> None:
    # GIVEN a function deployed without its stream name
    monkeypatch.delenv("RAW_STREAM_NAME")
    handler.ingest_service.cache_clear()
    capfd.readouterr()
    # WHEN called THEN the producer gets a plain 500, the log the cause, the metrics a count
    status, body, _ = call(api_request({"events": [make_event()]}), lambda_context)
    assert (status, body) == (500, {"message": "internal error; retry the request"})
    assert "RAW_STREAM_NAME is not set" in log_output.getvalue()
    assert metric_value(emf_metrics(capfd.readouterr().out), "UnexpectedErrors") == 1


def test_the_retry_budget_shrinks_to_the_time_the_lambda_has_left(
    kinesis_client: Any, make_event: Callable[..., dict], api_request: Callable[..., dict], monkeypatch
) -> None:
    # GIVEN a stream that never takes the record, and a Lambda with 1.5 s left (1 s is kept for answering)
    flaky = FlakyKinesis(kinesis_client, refuse=lambda e: True, times=None)
    clock = FakeClock()
    use_flaky_stream(monkeypatch, kinesis_client, flaky, clock)
    status, _, _ = call(api_request({"events": [make_event()]}), FakeLambdaContext(remaining_millis=1500))
    # THEN it gives up within the half second left
    assert status == 503
    assert clock.now - 1000.0 < 0.5


def test_per_event_errors_are_logged_only_at_debug(
    make_event: Callable[..., dict], api_request: Callable[..., dict], lambda_context, log_output
) -> None:
    request = api_request({"events": [make_event(), make_event(colour="red")]})
    handler.handler(request, lambda_context)
    assert '"rejected events"' not in log_output.getvalue()
    handler.logger.setLevel("DEBUG")
    try:
        handler.handler(request, lambda_context)
    finally:
        handler.logger.setLevel("INFO")
    [line] = [json.loads(line) for line in log_output.getvalue().splitlines() if '"rejected events"' in line]
    assert line["errors"] == {"1": ["colour: is not an allowed field"]}
