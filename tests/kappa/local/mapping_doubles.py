"""Test doubles shared by the Kinesis and MSK event source mapping tests: fast settings, a poisoned function."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Generic, TypeVar

from kappa.local.function_host import Invocation
from kappa.local.stream_mapping import StreamMappingSettings

N = TypeVar("N")

FAST = StreamMappingSettings(
    batch_size=10,
    max_batching_window_seconds=0,
    max_retry_attempts=2,
    retry_backoff_seconds=0,
    poll_seconds=0.05,
)


class PoisonedFunction(ABC, Generic[N]):
    """A stand-in function that fails for the records whose number is in `poison`, records what it was given.

    `mode` "raise" is a function error; anything else reports the poisoned records in `batchItemFailures`.
    A subclass reads the event's records (with the number each carries) and names a record as Lambda expects.
    """

    def __init__(self, mode: str, poison: set[N]) -> None:
        self.mode = mode
        self.poison = poison
        self.batches: list[list[N]] = []

    @abstractmethod
    def numbered_records(self, event: dict[str, Any]) -> list[tuple[dict[str, Any], N]]:
        """The event's records, each with the number in its payload, in event order."""

    @abstractmethod
    def item_identifier(self, record: dict[str, Any]) -> Any:
        """The `itemIdentifier` that names `record` in a partial batch response."""

    def __call__(self, event: dict[str, Any]) -> Invocation:
        numbered = self.numbered_records(event)
        self.batches.append([n for _record, n in numbered])
        bad = [record for record, n in numbered if n in self.poison]
        if not bad:
            return Invocation(True, result={"batchItemFailures": []})
        if self.mode == "raise":
            return Invocation(False, error_type="ValueError", error_message="poison record")
        return Invocation(
            True, result={"batchItemFailures": [{"itemIdentifier": self.item_identifier(r)} for r in bad]}
        )
