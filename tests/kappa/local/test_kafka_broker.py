"""The local Kafka broker: it starts from Kafka's jars, makes topics, and carries a record end to end."""

from __future__ import annotations

import re
import uuid

import pytest

from kappa.local import kafka_broker as module
from kappa.local.kafka_broker import KafkaBroker, KafkaBrokerError, server_properties
from kappa.maven import first_error


def test_pinned_version_matches_the_pom() -> None:
    pom = module.KAFKA_POM.read_text()
    assert re.search(r"<kafka.version>([^<]+)</kafka.version>", pom).group(1) == module.KAFKA_VERSION


def test_server_properties_are_a_loopback_kraft_node(tmp_path) -> None:
    text = server_properties(directory=tmp_path, port=9092, controller_port=9093)
    assert "process.roles=broker,controller\n" in text
    assert "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093\n" in text
    assert "auto.create.topics.enable=false\n" in text


def test_a_cluster_id_never_starts_with_a_dash_which_kafka_storage_would_read_as_an_option() -> None:
    # GIVEN random UUIDs whose first encodes with a leading "-" (0xf8.. -> "-..."), the second not
    drawn = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x01" + bytes(15))])

    # WHEN a cluster id is made from them
    cluster_id = module.new_cluster_id(lambda: next(drawn))

    # THEN the dashed one was drawn again: 22 URL-safe characters from the second UUID
    assert cluster_id == "AQAAAAAAAAAAAAAAAAAAAA"
    assert next(drawn, None) is None


def test_mavens_first_real_error_is_quoted() -> None:
    assert (
        first_error("[INFO] a\n[ERROR] \n[ERROR] Could not resolve x\n[ERROR] b\n") == "Could not resolve x"
    )
    assert first_error("[INFO] fine\n") is None


def test_missing_maven_is_a_clear_error(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN no fetched jars and no Maven on the PATH
    monkeypatch.setattr(module, "_STAMP", tmp_path / "libs" / ".stamp")
    monkeypatch.setattr(module, "LIBS_DIR", tmp_path / "libs")
    monkeypatch.setattr("kappa.maven.shutil.which", lambda name: None)
    monkeypatch.setattr(module.shutil, "which", lambda name: "/usr/bin/java" if name == "java" else None)
    # WHEN the broker's classpath is asked for THEN the error says Maven is missing
    with pytest.raises(KafkaBrokerError, match=r"Maven \(mvn\) is not installed"):
        module.broker_classpath()


@pytest.mark.slow
def test_topic_is_created_and_a_record_goes_through(kafka_broker: KafkaBroker) -> None:
    from confluent_kafka import Consumer, Producer

    # GIVEN a topic with two partitions
    topic = f"t-broker-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=2)
    kafka_broker.create_topic(topic, partitions=2)  # asking again is fine
    assert len(kafka_broker.admin().list_topics(topic=topic, timeout=5).topics[topic].partitions) == 2
    # WHEN one keyed record is produced (acks=all) and the topic is read from the start
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers, "acks": "all"})
    producer.produce(topic, key=b"user-1", value=b'{"event_id":"e1"}')
    assert producer.flush(10) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_broker.bootstrap_servers,
            "group.id": topic,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    try:
        message = None
        for _ in range(60):
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                break
    finally:
        consumer.close()
    # THEN the same key and value come back
    assert message is not None
    assert message.error() is None
    assert (message.key(), message.value()) == (b"user-1", b'{"event_id":"e1"}')


@pytest.mark.slow
def test_another_partition_count_for_an_existing_topic_is_an_error(kafka_broker: KafkaBroker) -> None:
    topic = f"t-broker-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=1)
    with pytest.raises(KafkaBrokerError, match="already exists with 1 partitions, not 3"):
        kafka_broker.create_topic(topic, partitions=3)


@pytest.mark.slow
def test_a_restart_on_the_same_directory_keeps_topics_records_and_committed_offsets(tmp_path) -> None:
    from confluent_kafka import Consumer, Producer, TopicPartition

    # GIVEN a broker with a topic holding one record, and a group that committed offset 1
    with KafkaBroker.start(tmp_path / "kafka") as broker:
        broker.create_topic("kept", partitions=1)
        producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "acks": "all"})
        producer.produce("kept", value=b"before")
        assert producer.flush(10) == 0
        consumer = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": "g"})
        consumer.commit(offsets=[TopicPartition("kept", 0, 1)], asynchronous=False)
        consumer.close()
    assert module.is_formatted(tmp_path / "kafka")
    # WHEN it starts again on the same directory (another port)
    with KafkaBroker.start(tmp_path / "kafka") as broker:
        # THEN the topic, its record and the group's offset are still there
        broker.create_topic("kept", partitions=1)
        consumer = Consumer(
            {
                "bootstrap.servers": broker.bootstrap_servers,
                "group.id": "other",
                "auto.offset.reset": "earliest",
            }
        )
        consumer.subscribe(["kept"])
        message = None
        for _ in range(60):
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                break
        committed = consumer.committed([TopicPartition("kept", 0)], timeout=10)
        consumer.close()
        group = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": "g"})
        (offset,) = group.committed([TopicPartition("kept", 0)], timeout=10)
        group.close()
    assert message is not None
    assert message.value() == b"before"
    assert committed[0].offset < 0  # the other group never committed
    assert offset.offset == 1
