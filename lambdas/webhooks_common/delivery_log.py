"""The delivery log table: every attempt per subscription, and one state item per webhook message.

Keys: `subscription_id` (partition) and `sk` (sort):

* `attempt#<attempted_at>#<webhook_id>#<generation>.<attempt>` — one item per attempt (status, response
  code, latency, error), so a subscription's history is one Query in time order.
* `state#<webhook_id>` — where the message stands (`delivered`, `retrying`, `dead_lettered`) and the last
  attempt made. The fan-out reads it before sending and writes it with a condition after, which makes a
  re-delivered Kinesis batch or a duplicated SQS message a no-op instead of a second HTTP request.

Every item carries `expires_at` (epoch seconds) for DynamoDB TTL.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

DeliveryState = Literal["delivered", "retrying", "dead_lettered"]
PARTITION_KEY = "subscription_id"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "expires_at"
_BATCH_GET_LIMIT = 100
_BATCH_WRITE_LIMIT = 25
_UNPROCESSED_RETRIES = 5


@dataclass(frozen=True, slots=True)
class MessageState:
    """The stored state of one webhook message (a `webhook-id`) for one subscription."""

    state: DeliveryState
    generation: int
    attempt: int

    def covers(self, generation: int, attempt: int) -> bool:
        """True when attempt `attempt` of `generation` needs no sending: delivered, or already made."""
        return self.state == "delivered" or (self.generation, self.attempt) >= (generation, attempt)


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One delivery attempt (or a deferral) as the log keeps it."""

    subscription_id: str
    webhook_id: str
    insight_id: str
    insight_type: str
    generation: int
    attempt: int
    status: str
    attempted_at: str
    latency_ms: float | None = None
    response_code: int | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "insight_id": self.insight_id,
            "insight_type": self.insight_type,
            "attempt": self.attempt,
            "redrive_generation": self.generation,
            "status": self.status,
            "attempted_at": self.attempted_at,
            "latency_ms": self.latency_ms,
            "response_code": self.response_code,
            "error": self.error,
        }


class DeliveryLog:
    """DynamoDB access for the delivery log; `dynamodb` is a boto3 DynamoDB client (thread-safe)."""

    def __init__(self, dynamodb: Any, table_name: str, *, ttl_days: int = 30) -> None:
        self._db = dynamodb
        self._table = table_name
        self._ttl_seconds = ttl_days * 86_400

    def states(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], MessageState]:
        """The stored state of each `(subscription_id, webhook_id)` that has one (strongly consistent)."""
        unique = list(dict.fromkeys(keys))
        found: dict[tuple[str, str], MessageState] = {}
        for start in range(0, len(unique), _BATCH_GET_LIMIT):
            request_keys = [
                {"subscription_id": {"S": sub}, "sk": {"S": _state_key(wid)}}
                for sub, wid in unique[start : start + _BATCH_GET_LIMIT]
            ]
            for item in self._batch_get(request_keys):
                webhook_id = item["sk"]["S"].removeprefix("state#")
                found[(item["subscription_id"]["S"], webhook_id)] = MessageState(
                    state=item["state"]["S"],
                    generation=int(item["generation"]["N"]),
                    attempt=int(item["attempt"]["N"]),
                )
        return found

    def record_state(self, subscription_id: str, webhook_id: str, state: MessageState, *, now: str) -> bool:
        """Store `state` unless the message is already delivered or further along; False when it was."""
        values: dict[str, Any] = {
            ":state": {"S": state.state},
            ":generation": {"N": str(state.generation)},
            ":attempt": {"N": str(state.attempt)},
            ":now": {"S": now},
            ":expires": {"N": str(self._expires_at())},
            ":delivered": {"S": "delivered"},
        }
        if state.state == "delivered":
            condition = "attribute_not_exists(sk) OR #state <> :delivered"
        else:
            condition = (
                "attribute_not_exists(sk) OR (#state <> :delivered AND "
                "(generation < :generation OR (generation = :generation AND attempt < :attempt)))"
            )
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"subscription_id": {"S": subscription_id}, "sk": {"S": _state_key(webhook_id)}},
                UpdateExpression=(
                    "SET #state = :state, generation = :generation, attempt = :attempt, "
                    "updated_at = :now, expires_at = :expires"
                ),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def append(self, records: Sequence[AttemptRecord]) -> None:
        """Write attempt records (batched, unconditional: every key is unique)."""
        expires = str(self._expires_at())
        for start in range(0, len(records), _BATCH_WRITE_LIMIT):
            requests = [
                {"PutRequest": {"Item": _attempt_item(record, expires)}}
                for record in records[start : start + _BATCH_WRITE_LIMIT]
            ]
            self._batch_write(requests)

    def recent_attempts(
        self, subscription_id: str, *, limit: int, after: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of the subscription's attempts, newest first, and the token for the next page."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "subscription_id = :id AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":id": {"S": subscription_id}, ":prefix": {"S": "attempt#"}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after:
            request["ExclusiveStartKey"] = {
                "subscription_id": {"S": subscription_id},
                "sk": {"S": decode_attempt_token(after)},
            }
        response = self._db.query(**request)
        records = [_attempt_from_item(item) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        token = base64.urlsafe_b64encode(last["sk"]["S"].encode()).decode().rstrip("=") if last else None
        return records, token

    def _expires_at(self) -> int:
        return int(time.time()) + self._ttl_seconds

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        pending: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
        for retry in range(_UNPROCESSED_RETRIES + 1):
            response = self._db.batch_get_item(RequestItems=pending)
            items.extend(response.get("Responses", {}).get(self._table, []))
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                return items
            time.sleep(0.05 * 2**retry)
        raise RuntimeError(f"DynamoDB left {len(pending[self._table]['Keys'])} state reads unprocessed")

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self._table: requests}
        for retry in range(_UNPROCESSED_RETRIES + 1):
            response = self._db.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(0.05 * 2**retry)
        raise RuntimeError(f"DynamoDB left {len(pending[self._table])} attempt records unwritten")


class InvalidAttemptTokenError(ValueError):
    """The deliveries `next_token` was not one this API issued."""


def decode_attempt_token(token: str) -> str:
    try:
        key = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidAttemptTokenError("next_token is not a token returned by this API") from None
    if not key.startswith("attempt#"):
        raise InvalidAttemptTokenError("next_token is not a token returned by this API")
    return key


def _state_key(webhook_id: str) -> str:
    return f"state#{webhook_id}"


def _attempt_item(record: AttemptRecord, expires: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "subscription_id": {"S": record.subscription_id},
        "sk": {
            "S": f"attempt#{record.attempted_at}#{record.webhook_id}#{record.generation}.{record.attempt}"
            f"#{record.status}"
        },
        "webhook_id": {"S": record.webhook_id},
        "insight_id": {"S": record.insight_id},
        "insight_type": {"S": record.insight_type},
        "generation": {"N": str(record.generation)},
        "attempt": {"N": str(record.attempt)},
        "status": {"S": record.status},
        "attempted_at": {"S": record.attempted_at},
        "expires_at": {"N": expires},
    }
    if record.latency_ms is not None:
        item["latency_ms"] = {"N": f"{record.latency_ms:.3f}"}
    if record.response_code is not None:
        item["response_code"] = {"N": str(record.response_code)}
    if record.error:
        item["error"] = {"S": record.error[:1000]}
    return item


def _attempt_from_item(item: dict[str, Any]) -> dict[str, Any]:
    return AttemptRecord(
        subscription_id=item["subscription_id"]["S"],
        webhook_id=item["webhook_id"]["S"],
        insight_id=item["insight_id"]["S"],
        insight_type=item["insight_type"]["S"],
        generation=int(item["generation"]["N"]),
        attempt=int(item["attempt"]["N"]),
        status=item["status"]["S"],
        attempted_at=item["attempted_at"]["S"],
        latency_ms=float(item["latency_ms"]["N"]) if "latency_ms" in item else None,
        response_code=int(item["response_code"]["N"]) if "response_code" in item else None,
        error=item.get("error", {}).get("S"),
    ).as_dict()
