"""Idempotent topic creation: create what is missing, leave what exists, never delete (the log is data)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, kw_only=True)
class TopicSpec:
    """One topic as the stack asks for it, e.g. `TopicSpec(name="kappa-dev-raw-events", partitions=4)`."""

    name: str
    partitions: int
    config: Mapping[str, str] = field(default_factory=dict)
    """Topic-level settings such as `retention.ms`; MSK Serverless chooses the replication factor (3)."""


class TopicAdmin(Protocol):
    """The two admin calls the service needs (`admin.ConfluentTopicAdmin` in AWS, a fake in tests)."""

    def existing_topics(self) -> set[str]: ...

    def create_topics(self, specs: Sequence[TopicSpec]) -> Mapping[str, str | None]:
        """Create `specs`; the error text per topic name, None for success or an already-existing topic."""
        ...


class TopicsError(RuntimeError):
    """The cluster refused to create a topic; the message names each topic and the broker's reason."""


def ensure_topics(admin: TopicAdmin, specs: Sequence[TopicSpec]) -> list[str]:
    """Create every topic of `specs` that does not exist yet; return the names created.

    A topic that exists is left as it is (partitions and settings included): a redeploy or a retried
    CloudFormation event must never touch a live log. A race with another creator counts as success.
    """
    existing = admin.existing_topics()
    missing = [spec for spec in specs if spec.name not in existing]
    if not missing:
        return []
    errors = {name: error for name, error in admin.create_topics(missing).items() if error}
    if errors:
        raise TopicsError(
            "could not create topics: "
            + "; ".join(f"{name}: {error}" for name, error in sorted(errors.items()))
        )
    return [spec.name for spec in missing]
