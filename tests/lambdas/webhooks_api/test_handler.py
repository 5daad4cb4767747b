"""The webhooks management API through its Lambda handler (API Gateway proxy events, moto behind it)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from events import format_rfc3339
from events.timefmt import utc_now
from lambdas.webhooks_common.delivery_log import AttemptRecord, DeliveryLog
from tests.lambdas.fanout.webhook_fixtures import WebhookAws
from tests.lambdas.webhooks_api.conftest import ApiResponse

Api = Callable[..., ApiResponse]
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")
VALID = {"url": "https://hooks.example.com/in", "event_types": ["cart_abandoned", "metrics"]}


def test_create_returns_201_with_id_and_a_whsec_secret_shown_once(
    call_api: Api, webhook_aws: WebhookAws
) -> None:
    # GIVEN a valid registration WHEN it is posted
    response = call_api("POST", "/v1/webhooks", {**VALID, "description": "CRM sync"})
    # THEN it is created with a 32-byte secret in the Standard Webhooks form
    assert response.status == 201
    body = response.body
    assert body["id"].startswith("wh_")
    assert body["status"] == "active"
    assert body["event_types"] == ["cart_abandoned", "metrics"]
    assert body["description"] == "CRM sync"
    assert body["secret"].startswith("whsec_")
    raw = base64.b64decode(body["secret"].removeprefix("whsec_"))
    assert len(raw) == 32
    # AND reading it back never shows the secret again
    fetched = call_api("GET", f"/v1/webhooks/{body['id']}")
    assert fetched.status == 200
    assert "secret" not in fetched.body
    assert fetched.body["url"] == VALID["url"]
    # AND the stored item holds only KMS ciphertext, which decrypts (for this id only) to the secret
    item = webhook_aws.dynamodb.get_item(
        TableName=webhook_aws.resources.subscriptions_table, Key={"subscription_id": {"S": body["id"]}}
    )["Item"]
    stored = bytes(item["secret"]["B"])
    assert raw not in stored
    assert body["secret"].encode() not in stored
    assert webhook_aws.cipher.decrypt(body["id"], stored) == raw
    with pytest.raises(Exception, match="InvalidCiphertext"):
        webhook_aws.cipher.decrypt("wh_" + "0" * 32, stored)


@pytest.mark.parametrize(
    ("body", "raw_body", "path", "fragment"),
    [
        (None, "", None, "request body is empty"),
        (None, "{not json", None, "not valid JSON"),
        (None, "[1, 2]", None, "must be a JSON object"),
        ({"event_types": ["metrics"]}, None, "url", "is required"),
        ({"url": "https://hooks.example.com"}, None, "event_types", "is required"),
        ({**VALID, "event_types": []}, None, "event_types", "at least 1 item"),
        ({**VALID, "event_types": ["page_view"]}, None, "event_types[0]", "must be one of: cart_abandoned"),
        ({**VALID, "event_types": ["metrics", "metrics"]}, None, "event_types", "same insight type twice"),
        ({**VALID, "secret": "whsec_mine"}, None, "secret", "is not an allowed field"),
        ({**VALID, "url": 42}, None, "url", "must be a string"),
        ({**VALID, "description": "x" * 501}, None, "description", "at most 500 characters"),
        ({**VALID, "url": "http://hooks.example.com/in"}, None, "url", "must use https://"),
        (
            {**VALID, "url": "https://internal.example.com/in"},
            None,
            "url",
            "resolves to 10.1.2.3, a private address",
        ),
        ({**VALID, "url": "https://nowhere.example.com/in"}, None, "url", "could not be resolved"),
        ({**VALID, "url": "https://user:pw@hooks.example.com/in"}, None, "url", "user name or password"),
    ],
)
def test_create_with_bad_input_answers_400_naming_the_field(
    call_api: Api, body: Any, raw_body: str | None, path: str | None, fragment: str
) -> None:
    response = call_api("POST", "/v1/webhooks", body, raw_body=raw_body)
    assert response.status == 400
    assert fragment in response.body["message"]
    if path is not None:
        assert any(e["path"] == path and fragment in e["message"] for e in response.body["errors"]), (
            response.body
        )


def test_create_with_a_non_json_content_type_answers_415(call_api: Api) -> None:
    response = call_api("POST", "/v1/webhooks", VALID, content_type="text/plain")
    assert response.status == 415
    assert "application/json" in response.body["message"]


def test_only_the_admin_api_key_may_manage_webhooks(call_api: Api) -> None:
    for key_id in (None, "producer-web-store"):
        response = call_api("GET", "/v1/webhooks", api_key_id=key_id)
        assert response.status == 403
        assert "admin API key" in response.body["message"]


def test_list_pages_through_every_subscription(call_api: Api) -> None:
    # GIVEN five subscriptions
    ids = {call_api("POST", "/v1/webhooks", VALID).body["id"] for _ in range(5)}
    # WHEN listed two at a time
    seen: list[str] = []
    token = None
    for _ in range(10):
        page = call_api(
            "GET", "/v1/webhooks", query={"limit": "2", **({"next_token": token} if token else {})}
        )
        assert page.status == 200
        assert len(page.body["items"]) <= 2
        assert all("secret" not in item for item in page.body["items"])
        seen.extend(item["id"] for item in page.body["items"])
        token = page.body["next_token"]
        if not token:
            break
    # THEN every one is listed exactly once
    assert sorted(seen) == sorted(ids)


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"limit": "0"}, "from 1 to 100"),
        ({"limit": "many"}, "from 1 to 100"),
        ({"next_token": "bogus"}, "token"),
    ],
)
def test_list_with_a_bad_query_answers_400(call_api: Api, query: dict[str, str], fragment: str) -> None:
    response = call_api("GET", "/v1/webhooks", query=query)
    assert response.status == 400
    assert fragment in response.body["message"]


def test_unknown_or_malformed_ids_answer_404(call_api: Api) -> None:
    for path in ("/v1/webhooks/wh_" + "a" * 32, "/v1/webhooks/not-an-id"):
        for method in ("GET", "DELETE"):
            response = call_api(method, path)
            assert response.status == 404
            assert "no webhook subscription" in response.body["message"]
    assert call_api("PATCH", "/v1/webhooks/wh_" + "a" * 32, {"status": "paused"}).status == 404
    assert call_api("POST", "/v1/webhooks/wh_" + "a" * 32 + "/rotate-secret").status == 404


def test_delete_removes_the_subscription(call_api: Api, created: dict[str, Any]) -> None:
    path = f"/v1/webhooks/{created['id']}"
    deleted = call_api("DELETE", path)
    assert deleted.status == 204
    assert deleted.body is None
    assert call_api("GET", path).status == 404
    assert call_api("DELETE", path).status == 404


def test_patch_pauses_resumes_and_changes_types(call_api: Api, created: dict[str, Any]) -> None:
    path = f"/v1/webhooks/{created['id']}"
    paused = call_api("PATCH", path, {"status": "paused"})
    assert paused.status == 200
    assert paused.body["status"] == "paused"
    changed = call_api("PATCH", path, {"event_types": ["metrics"], "description": "alerts"})
    assert changed.body["event_types"] == ["metrics"]
    assert changed.body["status"] == "paused"
    resumed = call_api("PATCH", path, {"status": "active"})
    assert resumed.body["status"] == "active"
    assert resumed.body["description"] == "alerts"
    assert call_api("GET", path).body == resumed.body


def test_patch_resumes_a_subscription_disabled_by_410(
    call_api: Api, created: dict[str, Any], webhook_aws: WebhookAws
) -> None:
    assert webhook_aws.store.disable(created["id"], reason="HTTP 410 Gone", now=format_rfc3339(utc_now()))
    assert call_api("GET", f"/v1/webhooks/{created['id']}").body["disabled_reason"] == "HTTP 410 Gone"
    resumed = call_api("PATCH", f"/v1/webhooks/{created['id']}", {"status": "active"})
    assert resumed.body["status"] == "active"
    assert "disabled_reason" not in resumed.body


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "send at least one of"),
        ({"status": "disabled"}, "status: must be one of: active, paused"),
        ({"event_types": []}, "at least 1 item"),
        ({"url": "https://internal.example.com/x"}, "private address"),
        ({"colour": "blue"}, "colour: is not an allowed field"),
    ],
)
def test_patch_with_bad_input_answers_400(
    call_api: Api, created: dict[str, Any], body: dict[str, Any], fragment: str
) -> None:
    response = call_api("PATCH", f"/v1/webhooks/{created['id']}", body)
    assert response.status == 400
    assert fragment in response.body["message"]


def test_rotate_keeps_the_old_secret_for_the_grace_period_and_refuses_a_second_rotation(
    call_api: Api, created: dict[str, Any], webhook_aws: WebhookAws
) -> None:
    path = f"/v1/webhooks/{created['id']}/rotate-secret"
    # WHEN the secret is rotated
    rotated = call_api("POST", path)
    # THEN a new secret is shown once and the old one stays valid for 24 h
    assert rotated.status == 200
    assert rotated.body["secret"].startswith("whsec_")
    assert rotated.body["secret"] != created["secret"]
    assert rotated.body["previous_secret_expires_at"] > format_rfc3339(utc_now())
    stored = webhook_aws.store.get(created["id"])
    assert stored is not None
    assert stored.previous_secret_ciphertext is not None
    old_raw = base64.b64decode(created["secret"].removeprefix("whsec_"))
    assert webhook_aws.cipher.decrypt(created["id"], stored.previous_secret_ciphertext) == old_raw
    # AND a second rotation inside the grace period is a conflict unless forced
    again = call_api("POST", path)
    assert again.status == 409
    assert "already in progress" in again.body["message"]
    forced = call_api("POST", path, query={"force": "true"})
    assert forced.status == 200
    assert forced.body["secret"] not in (created["secret"], rotated.body["secret"])


def test_deliveries_lists_the_subscription_attempts_newest_first(
    call_api: Api, created: dict[str, Any], webhook_aws: WebhookAws
) -> None:
    log = DeliveryLog(webhook_aws.dynamodb, webhook_aws.resources.delivery_log_table)
    log.append(
        [
            AttemptRecord(
                created["id"],
                "msg_1",
                "ins-1",
                "cart_abandoned",
                0,
                n,
                status,
                f"2026-11-25T12:00:0{n}.000Z",
                12.5,
                code,
            )
            for n, status, code in ((1, "retry_scheduled", 500), (2, "delivered", 200), (3, "delivered", 204))
        ]
    )
    first = call_api("GET", f"/v1/webhooks/{created['id']}/deliveries", query={"limit": "2"})
    assert first.status == 200
    assert [item["attempt"] for item in first.body["items"]] == [3, 2]
    rest = call_api(
        "GET",
        f"/v1/webhooks/{created['id']}/deliveries",
        query={"limit": "2", "next_token": first.body["next_token"]},
    )
    assert [(i["attempt"], i["status"], i["response_code"]) for i in rest.body["items"]] == [
        (1, "retry_scheduled", 500)
    ]


def test_an_unknown_route_answers_404_in_plain_words(call_api: Api) -> None:
    response = call_api("PUT", "/v1/webhooks")
    assert response.status == 404
    assert "no route PUT /v1/webhooks" in response.body["message"]
