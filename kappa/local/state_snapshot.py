"""Keeps what moto holds in memory across restarts: webhook tables, the signing-secrets key, queued retries.

moto forgets everything when the runtime stops, so before it stops the runtime writes a snapshot to
the data directory and restores it on the next start, before the handlers run:
- DynamoDB tables (subscriptions, delivery log): every item, through the public API;
- KMS keys with their aliases *and key material*, so signing secrets encrypted under the key (stored
  in the subscriptions table) still decrypt. moto draws key material from `os.urandom` and has no API
  to import it, so this part reads and writes moto's in-process backend (the moto server runs in this
  process); it is pinned to the moto version in constraints.txt and fails with a clear message if
  moto's internals change;
- SQS messages (the webhook retry queue and dead-letter queue), including delayed ones, which no API
  can read. They are restored without delay: each retry message carries its own `due_at`, and the
  fan-out re-delays a message that is not due yet.
The snapshot is also taken after every successful change through the webhooks API, so a crash loses
at most deliveries in flight (which the event source mapping then re-delivers).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kappa.local.aws_endpoint import LOCAL_ACCOUNT_ID, AwsClients
from kappa.local.paths import write_atomically

log = logging.getLogger(__name__)
SNAPSHOT_VERSION = 1


class StateSnapshotError(RuntimeError):
    """The snapshot could not be taken or restored; the message says what to do."""


@dataclass(frozen=True)
class SnapshotScope:
    """Which resources the snapshot covers (names from the config)."""

    tables: tuple[str, ...]
    queues: tuple[str, ...]


def _kms_backend(region: str) -> Any:
    try:
        from moto.kms.models import kms_backends

        return kms_backends[LOCAL_ACCOUNT_ID][region]
    except Exception as error:  # pragma: no cover - only when moto changes
        raise StateSnapshotError(
            f"cannot reach moto's KMS backend ({error}); is the pinned moto installed?"
        ) from None


def _sqs_backend(region: str) -> Any:
    try:
        from moto.sqs.models import sqs_backends

        return sqs_backends[LOCAL_ACCOUNT_ID][region]
    except Exception as error:  # pragma: no cover - only when moto changes
        raise StateSnapshotError(
            f"cannot reach moto's SQS backend ({error}); is the pinned moto installed?"
        ) from None


class StateSnapshot:
    """Writes and restores `state/moto-snapshot.json`."""

    def __init__(self, path: Path, aws: AwsClients, scope: SnapshotScope) -> None:
        self.path = path
        self._aws = aws
        self._scope = scope
        self._lock = threading.Lock()

    def save(self) -> dict[str, int]:
        """Write the snapshot now; returns what it holds (items per table, keys, messages per queue)."""
        with self._lock:
            document = {
                "version": SNAPSHOT_VERSION,
                "kms_keys": self._kms_keys(),
                "tables": {
                    name: [_to_json(item) for item in self._scan(name)] for name in self._scope.tables
                },
                "queues": {name: self._queue_bodies(name) for name in self._scope.queues},
            }
            write_atomically(self.path, json.dumps(document).encode())
        return {
            "kms_keys": len(document["kms_keys"]),
            **{f"table:{n}": len(items) for n, items in document["tables"].items()},
            **{f"queue:{n}": len(bodies) for n, bodies in document["queues"].items()},
        }

    def load(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        try:
            document = json.loads(self.path.read_text())
        except ValueError as error:
            raise StateSnapshotError(
                f"{self.path} is not valid JSON ({error}); move it away to start with empty webhook state"
            ) from None
        if document.get("version") != SNAPSHOT_VERSION:
            raise StateSnapshotError(
                f"{self.path} has an unknown format version; move it away to start afresh"
            )
        return document

    def restore_keys(self, document: dict[str, Any]) -> int:
        """Recreate the KMS keys (same ids, aliases and key material); call before creating resources."""
        backend = _kms_backend(self._aws.region)
        for saved in document.get("kms_keys", []):
            if saved["id"] in backend.keys:
                continue
            key = backend.create_key(
                None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", saved.get("description", ""), None
            )
            backend.keys.pop(key.id)
            key.id = saved["id"]
            key.arn = f"arn:aws:kms:{self._aws.region}:{LOCAL_ACCOUNT_ID}:key/{key.id}"
            key.key_material = base64.b64decode(saved["material"])
            backend.keys[key.id] = key
            for alias in saved.get("aliases", []):
                backend.create_alias(key.id, alias)
        return len(document.get("kms_keys", []))

    def restore_data(self, document: dict[str, Any], queue_urls: dict[str, str]) -> dict[str, int]:
        """Put back table items and queue messages; call after the tables and queues exist."""
        restored: dict[str, int] = {}
        for table, items in document.get("tables", {}).items():
            if table not in self._scope.tables:
                continue
            for start in range(0, len(items), 25):
                requests = [{"PutRequest": {"Item": _from_json(item)}} for item in items[start : start + 25]]
                pending: dict[str, Any] = {table: requests}
                while pending:
                    answer = self._aws.dynamodb.batch_write_item(RequestItems=pending)
                    pending = answer.get("UnprocessedItems") or {}
            restored[f"table:{table}"] = len(items)
        for queue, bodies in document.get("queues", {}).items():
            url = queue_urls.get(queue)
            if url is None:
                continue
            for body in bodies:
                self._aws.sqs.send_message(QueueUrl=url, MessageBody=body)
            restored[f"queue:{queue}"] = len(bodies)
        return restored

    def _scan(self, table: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": table}
        while True:
            page = self._aws.dynamodb.scan(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _kms_keys(self) -> list[dict[str, Any]]:
        backend = _kms_backend(self._aws.region)
        return [
            {
                "id": key.id,
                "description": key.description,
                "material": base64.b64encode(key.key_material).decode(),
                "aliases": sorted(key.aliases),
            }
            for key in list(backend.keys.values())
            if key.key_spec == "SYMMETRIC_DEFAULT" and key.key_state == "Enabled"
        ]

    def _queue_bodies(self, name: str) -> list[str]:
        queue = _sqs_backend(self._aws.region).queues.get(name)
        if queue is None:
            return []
        return [message.body for message in list(queue._messages)]


def _to_json(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item with binary values (`B`, `BS`) as base64 text, so it fits in JSON."""
    return {name: _convert(value, _b64_text) for name, value in item.items()}


def _from_json(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _convert(value, base64.b64decode) for name, value in item.items()}


def _b64_text(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _convert(value: dict[str, Any], binary: Any) -> dict[str, Any]:
    """One attribute value (`{"S": ...}`, `{"M": {...}}`, ...) with its binary parts passed through `binary`."""
    (kind, inner), *_ = value.items()
    if kind == "B":
        return {"B": binary(inner)}
    if kind == "BS":
        return {"BS": [binary(part) for part in inner]}
    if kind == "M":
        return {"M": {name: _convert(part, binary) for name, part in inner.items()}}
    if kind == "L":
        return {"L": [_convert(part, binary) for part in inner]}
    return value
