"""Pytest plugin: one real Kafka broker (kappa.local.kafka_broker) for the whole test session.

Registered in tests/conftest.py. Tests ask for `kafka_broker` and create the topics they use, with names of
their own (the broker is shared by every test of the session)::

    def test_something(kafka_broker):
        kafka_broker.create_topic("t-something", partitions=2)
        producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers})
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kappa.local.kafka_broker import KafkaBroker


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """A single-node KRaft broker on a free loopback port; stopped at the end of the session."""
    with KafkaBroker.start(tmp_path_factory.mktemp("kafka-broker")) as broker:
        yield broker
