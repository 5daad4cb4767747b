"""Topic provisioning: idempotent creation, retained topics, and the custom resource's event handling."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from lambdas.kafka_topics import handler
from lambdas.kafka_topics.service import TopicsError, TopicSpec, ensure_topics


class FakeAdmin:
    """An in-memory cluster: topics by name; `refuse` makes creation of a name fail with a broker error."""

    def __init__(self, existing: dict[str, TopicSpec] | None = None, refuse: dict[str, str] | None = None):
        self.topics = dict(existing or {})
        self.refuse = refuse or {}
        self.create_calls: list[list[str]] = []

    def existing_topics(self) -> set[str]:
        return set(self.topics)

    def create_topics(self, specs: Sequence[TopicSpec]) -> Mapping[str, str | None]:
        self.create_calls.append([s.name for s in specs])
        outcome: dict[str, str | None] = {}
        for spec in specs:
            if spec.name in self.refuse:
                outcome[spec.name] = self.refuse[spec.name]
            else:
                self.topics.setdefault(spec.name, spec)
                outcome[spec.name] = None
        return outcome


RAW = TopicSpec(name="kappa-dev-raw-events", partitions=4, config={"retention.ms": "604800000"})
INSIGHTS = TopicSpec(name="kappa-dev-insights", partitions=2)


def test_missing_topics_are_created_with_their_partitions_and_settings() -> None:
    admin = FakeAdmin()
    assert ensure_topics(admin, [RAW, INSIGHTS]) == ["kappa-dev-raw-events", "kappa-dev-insights"]
    assert admin.topics["kappa-dev-raw-events"] == RAW


def test_a_second_run_changes_nothing() -> None:
    admin = FakeAdmin()
    ensure_topics(admin, [RAW, INSIGHTS])
    assert ensure_topics(admin, [RAW, INSIGHTS]) == []
    assert admin.create_calls == [["kappa-dev-raw-events", "kappa-dev-insights"]]


def test_an_existing_topic_is_left_as_it_is() -> None:
    # GIVEN a live raw topic with 8 partitions WHEN the config asks for 4
    live = TopicSpec(name=RAW.name, partitions=8)
    admin = FakeAdmin(existing={RAW.name: live})
    # THEN only the missing topic is created and the live one keeps its partitions
    assert ensure_topics(admin, [RAW, INSIGHTS]) == ["kappa-dev-insights"]
    assert admin.topics[RAW.name] is live


def test_a_refused_topic_fails_with_its_name_and_reason() -> None:
    admin = FakeAdmin(refuse={INSIGHTS.name: "Broker: Policy violation"})
    with pytest.raises(TopicsError, match=r"kappa-dev-insights: Broker: Policy violation"):
        ensure_topics(admin, [RAW, INSIGHTS])


def event(request_type: str) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:provider",
            "BootstrapServers": "boot-1.c1.kafka-serverless.eu-west-1.amazonaws.com:9098",
            "Region": "eu-west-1",
            "Topics": [
                {"Name": RAW.name, "Partitions": "4", "Config": {"retention.ms": "604800000"}},
                {"Name": INSIGHTS.name, "Partitions": "2"},
            ],
        },
    }


class Context:
    function_name = "topics"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:topics"
    aws_request_id = "req-1"


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_ensure_the_topics(monkeypatch: pytest.MonkeyPatch, request_type: str) -> None:
    admin = FakeAdmin()
    monkeypatch.setattr(handler, "admin_for", lambda _properties: admin)
    result = handler.handler(event(request_type), Context())
    assert result["Data"] == {"Created": "kappa-dev-raw-events,kappa-dev-insights"}
    assert admin.topics[RAW.name] == RAW
    assert admin.topics[INSIGHTS.name] == INSIGHTS


def test_delete_retains_the_topics_without_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_admin(_properties: dict[str, Any]) -> FakeAdmin:
        raise AssertionError("delete must not touch the cluster")

    monkeypatch.setattr(handler, "admin_for", no_admin)
    result = handler.handler({**event("Delete"), "PhysicalResourceId": "topics@x"}, Context())
    assert result == {"PhysicalResourceId": "topics@x"}
