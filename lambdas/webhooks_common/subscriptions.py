"""Webhook subscriptions and their DynamoDB table (one item per subscription, keyed by `subscription_id`).

The management API writes them; the fan-out reads them (a short per-container cache) and disables one
when its endpoint answers 410 Gone. The signing secret is stored only as KMS ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from botocore.exceptions import ClientError

SubscriptionStatus = Literal["active", "paused", "disabled"]
SUBSCRIPTION_STATUSES: tuple[SubscriptionStatus, ...] = ("active", "paused", "disabled")
ID_PREFIX = "wh_"
PARTITION_KEY = "subscription_id"


def new_subscription_id() -> str:
    return ID_PREFIX + uuid.uuid4().hex


_ID_PATTERN = re.compile(r"^wh_[0-9a-f]{32}$")


def is_subscription_id(value: str) -> bool:
    return bool(_ID_PATTERN.match(value))


@dataclass(frozen=True, slots=True)
class Subscription:
    """One subscriber endpoint and the insight types it receives."""

    subscription_id: str
    url: str
    event_types: tuple[str, ...]
    status: SubscriptionStatus
    created_at: str
    updated_at: str
    secret_ciphertext: bytes = field(repr=False)
    description: str | None = None
    previous_secret_ciphertext: bytes | None = field(default=None, repr=False)
    previous_secret_expires_at: str | None = None
    disabled_reason: str | None = None
    version: int = 1
    """Incremented on every write; updates are conditional on it (optimistic locking)."""

    def public_view(self) -> dict[str, Any]:
        """What the API shows: never the secret (not even encrypted)."""
        view: dict[str, Any] = {
            "id": self.subscription_id,
            "url": self.url,
            "event_types": list(self.event_types),
            "status": self.status,
            "description": self.description,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if self.previous_secret_expires_at:
            view["previous_secret_expires_at"] = self.previous_secret_expires_at
        if self.disabled_reason:
            view["disabled_reason"] = self.disabled_reason
        return view


class SubscriptionNotFoundError(LookupError):
    def __init__(self, subscription_id: str) -> None:
        super().__init__(f"no webhook subscription with id {subscription_id}")
        self.subscription_id = subscription_id


class ConcurrentChangeError(RuntimeError):
    """The item changed between read and write (e.g. two secret rotations at once)."""


class SubscriptionStore:
    """DynamoDB access for subscriptions; `dynamodb` is a boto3 DynamoDB client (thread-safe)."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def put_new(self, subscription: Subscription) -> None:
        self._db.put_item(
            TableName=self._table,
            Item=_to_item(subscription),
            ConditionExpression="attribute_not_exists(subscription_id)",
        )

    def get(self, subscription_id: str) -> Subscription | None:
        response = self._db.get_item(
            TableName=self._table, Key={"subscription_id": {"S": subscription_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return _from_item(item) if item else None

    def require(self, subscription_id: str) -> Subscription:
        found = self.get(subscription_id)
        if found is None:
            raise SubscriptionNotFoundError(subscription_id)
        return found

    def list_page(self, *, limit: int, after: str | None = None) -> tuple[list[Subscription], str | None]:
        """One page of subscriptions and the token for the next page (None at the end)."""
        request: dict[str, Any] = {"TableName": self._table, "Limit": limit}
        if after:
            request["ExclusiveStartKey"] = _decode_page_token(after)
        response = self._db.scan(**request)
        items = [_from_item(item) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return items, _encode_page_token(last) if last else None

    def scan_all(self) -> Iterator[Subscription]:
        paginator = self._db.get_paginator("scan")
        for page in paginator.paginate(TableName=self._table, ConsistentRead=True):
            for item in page.get("Items", []):
                yield _from_item(item)

    def replace(self, updated: Subscription, *, expected: Subscription) -> Subscription:
        """Write `updated` if the stored item is still at `expected.version`; returns what was written."""
        updated = dataclasses.replace(updated, version=expected.version + 1)
        try:
            self._db.put_item(
                TableName=self._table,
                Item=_to_item(updated),
                ConditionExpression="attribute_exists(subscription_id) AND version = :seen",
                ExpressionAttributeValues={":seen": {"N": str(expected.version)}},
            )
        except ClientError as error:
            if _is_condition_failure(error):
                if self.get(expected.subscription_id) is None:
                    raise SubscriptionNotFoundError(expected.subscription_id) from None
                raise ConcurrentChangeError(
                    f"webhook {expected.subscription_id} was changed by another request; retry"
                ) from None
            raise
        return updated

    def delete(self, subscription_id: str) -> None:
        try:
            self._db.delete_item(
                TableName=self._table,
                Key={"subscription_id": {"S": subscription_id}},
                ConditionExpression="attribute_exists(subscription_id)",
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise SubscriptionNotFoundError(subscription_id) from None
            raise

    def disable(self, subscription_id: str, *, reason: str, now: str) -> bool:
        """Mark an active subscription disabled (410 Gone); False if it was not active any more."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"subscription_id": {"S": subscription_id}},
                UpdateExpression=(
                    "SET #status = :disabled, disabled_reason = :reason, updated_at = :now ADD version :one"
                ),
                ConditionExpression="#status = :active",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":disabled": {"S": "disabled"},
                    ":active": {"S": "active"},
                    ":reason": {"S": reason},
                    ":now": {"S": now},
                    ":one": {"N": "1"},
                },
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _to_item(s: Subscription) -> dict[str, Any]:
    item: dict[str, Any] = {
        "subscription_id": {"S": s.subscription_id},
        "url": {"S": s.url},
        "event_types": {"L": [{"S": t} for t in s.event_types]},
        "status": {"S": s.status},
        "created_at": {"S": s.created_at},
        "updated_at": {"S": s.updated_at},
        "secret": {"B": s.secret_ciphertext},
        "version": {"N": str(s.version)},
    }
    if s.description is not None:
        item["description"] = {"S": s.description}
    if s.previous_secret_ciphertext is not None and s.previous_secret_expires_at is not None:
        item["previous_secret"] = {"B": s.previous_secret_ciphertext}
        item["previous_secret_expires_at"] = {"S": s.previous_secret_expires_at}
    if s.disabled_reason is not None:
        item["disabled_reason"] = {"S": s.disabled_reason}
    return item


def _from_item(item: dict[str, Any]) -> Subscription:
    return Subscription(
        subscription_id=item["subscription_id"]["S"],
        url=item["url"]["S"],
        event_types=tuple(v["S"] for v in item["event_types"]["L"]),
        status=item["status"]["S"],
        created_at=item["created_at"]["S"],
        updated_at=item["updated_at"]["S"],
        secret_ciphertext=bytes(item["secret"]["B"]),
        description=item.get("description", {}).get("S"),
        previous_secret_ciphertext=bytes(item["previous_secret"]["B"]) if "previous_secret" in item else None,
        previous_secret_expires_at=item.get("previous_secret_expires_at", {}).get("S"),
        disabled_reason=item.get("disabled_reason", {}).get("S"),
        version=int(item.get("version", {}).get("N", "1")),
    )


class InvalidPageTokenError(ValueError):
    """The `next_token` was not one this API issued."""


def _encode_page_token(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode("ascii").rstrip("=")


def _decode_page_token(token: str) -> dict[str, Any]:
    try:
        key = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidPageTokenError("next_token is not a token returned by this API") from None
    if not (isinstance(key, dict) and set(key) == {"subscription_id"} and "S" in key["subscription_id"]):
        raise InvalidPageTokenError("next_token is not a token returned by this API")
    return key
