"""A real Apache Kafka broker on loopback: single-node KRaft, started from Kafka's released jars.

The jars come from Maven Central (`kappa/local/kafka/pom.xml`, fetched once into `kappa/local/kafka/target/libs`,
gitignored). Tests and local runs use it the same way::

    with KafkaBroker.start(tmp_dir) as broker:
        broker.create_topic("kappa-dev-raw-events", partitions=4)
        ...  # produce/consume on broker.bootstrap_servers ("127.0.0.1:<port>")

The broker is its own process group: `stop()` ends it (and nothing else) with SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from kappa.local.ports import LOOPBACK, free_port, is_listening
from kappa.maven import MavenError, copy_dependencies

KAFKA_VERSION = "4.1.1"
"""Pinned with kappa/local/kafka/pom.xml (a test checks they agree)."""
KAFKA_POM = Path(__file__).resolve().parent / "kafka" / "pom.xml"
LIBS_DIR = KAFKA_POM.parent / "target" / "libs"
_STAMP = LIBS_DIR / f".kafka-{KAFKA_VERSION}"
START_TIMEOUT_S = 90.0
# Modest heap: the machines running the tests also run Flink's mini-cluster.
JVM_OPTIONS = ("-Xms128m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true")

_LOG4J = """\
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = out
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = info
"""


class KafkaBrokerError(RuntimeError):
    """The broker could not be fetched, started or asked something; the message says why and what to do."""


def broker_classpath() -> Path:
    """The directory of the broker's jars, fetched with Maven on first use (later calls reuse it)."""
    if _STAMP.is_file():
        return LIBS_DIR
    if shutil.which("java") is None:
        raise KafkaBrokerError(
            "Java 17+ is required to run the local Kafka broker (apt-get install openjdk-17-jre-headless)"
        )
    try:
        return copy_dependencies(
            KAFKA_POM,
            LIBS_DIR,
            purpose=f"the Apache Kafka {KAFKA_VERSION} broker jars",
            finish=lambda libs: (libs / _STAMP.name).write_text(KAFKA_VERSION + "\n"),
        )
    except MavenError as error:
        raise KafkaBrokerError(str(error)) from None


def server_properties(*, directory: Path, port: int, controller_port: int) -> str:
    """A combined broker+controller node on loopback, replication factor 1 everywhere, no auto-created topics."""
    values = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{LOOPBACK}:{controller_port}",
        "listeners": f"PLAINTEXT://{LOOPBACK}:{port},CONTROLLER://{LOOPBACK}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(directory / "data"),
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "4",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "4",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Consumers join a fresh group at once instead of waiting 3 s for more members.
        "group.initial.rebalance.delay.ms": "0",
    }
    return "".join(f"{key}={value}\n" for key, value in values.items())


@dataclass
class KafkaBroker:
    """A running broker. `bootstrap_servers` is what clients need; `create_topic` makes topics (no auto-create)."""

    bootstrap_servers: str
    directory: Path
    process: subprocess.Popen[bytes]
    _admin: object | None = field(default=None, repr=False)

    @classmethod
    def start(cls, directory: Path, *, port: int = 0, timeout_s: float = START_TIMEOUT_S) -> KafkaBroker:
        """Start the broker on `port` (0: a free one) with its storage under `directory`; wait until it answers
        metadata requests.

        Storage formatted by an earlier start is reused as it is (topics, records and committed offsets survive
        a restart, as the local runtime needs); an empty directory is formatted first. Ports may differ between
        starts: clients get `bootstrap_servers` anew, and the node's identity lives in the storage.
        """
        libs = broker_classpath()
        directory.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        controller_port = free_port()
        properties = directory / "server.properties"
        properties.write_text(
            server_properties(directory=directory, port=port, controller_port=controller_port)
        )
        (directory / "log4j2.properties").write_text(_LOG4J)
        java = _java_command(libs, directory)
        if not is_formatted(directory):
            _format_storage(java, directory, properties)
        log = (directory / "broker.log").open("wb")
        process = subprocess.Popen(
            [*java, "kafka.Kafka", str(properties)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() signals the group, nothing else
        )
        log.close()
        broker = cls(bootstrap_servers=f"{LOOPBACK}:{port}", directory=directory, process=process)
        try:
            broker._wait_until_ready(port, timeout_s)
        except BaseException:
            broker.stop()
            raise
        return broker

    def _wait_until_ready(self, port: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise KafkaBrokerError(
                    f"the Kafka broker exited with code {self.process.returncode} while starting; "
                    f"its log ({self.directory / 'broker.log'}) ends with:\n{self.log_tail()}"
                )
            if is_listening(port):
                try:
                    if self.admin().list_topics(timeout=2).brokers:
                        return
                except Exception:  # not ready yet; the deadline decides
                    pass
            time.sleep(0.2)
        raise KafkaBrokerError(
            f"the Kafka broker did not answer on {self.bootstrap_servers} within {timeout_s:g} s; "
            f"its log ends with:\n{self.log_tail()}"
        )

    def admin(self):  # -> confluent_kafka.admin.AdminClient (imported lazily: only Kafka users need it)
        """An admin client on this broker, created once."""
        if self._admin is None:
            from confluent_kafka.admin import AdminClient

            self._admin = AdminClient({"bootstrap.servers": self.bootstrap_servers, "log_level": 0})
        return self._admin

    def create_topic(self, name: str, partitions: int = 1) -> None:
        """Create `name` with `partitions` (replication 1) and wait until every partition has a leader.

        An existing topic with the same partition count is fine (fixtures may ask twice); another count is an error.
        """
        create_topic(self.admin(), name, partitions)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the broker's own log (for error messages)."""
        try:
            text = (self.directory / "broker.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM the broker's process group (a clean shutdown), SIGKILL it if it lingers."""
        self._admin = None
        if self.process.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait_s)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> KafkaBroker:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def create_topic(admin: Any, name: str, partitions: int = 1) -> None:
    """Create `name` with `partitions` (replication 1) through `admin` (a confluent-kafka AdminClient) and wait
    until every partition has a leader; an existing topic with the same partition count is fine."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic

    future = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])[name]
    try:
        future.result(timeout=30)
    except KafkaException as error:
        if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise KafkaBrokerError(f"could not create topic {name!r}: {error.args[0].str()}") from None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        topic = admin.list_topics(topic=name, timeout=5).topics.get(name)
        if topic is not None and topic.error is None and topic.partitions:
            if len(topic.partitions) != partitions:
                raise KafkaBrokerError(
                    f"topic {name!r} already exists with {len(topic.partitions)} partitions, not {partitions}"
                )
            if all(p.leader >= 0 for p in topic.partitions.values()):
                return
        time.sleep(0.1)
    raise KafkaBrokerError(f"topic {name!r} has no leader for every partition after 30 s")


def is_formatted(directory: Path) -> bool:
    """True when `directory` holds storage an earlier start formatted (KRaft writes meta.properties)."""
    return (directory / "data" / "meta.properties").is_file()


def new_cluster_id(random_uuid: Callable[[], uuid.UUID] = uuid.uuid4) -> str:
    """A KRaft cluster id: a random UUID, URL-safe base64 without padding, never starting with "-".

    One id in 64 would start with "-", which `kafka-storage format -t` reads as an option ("expected one
    argument"); Kafka's own `Uuid.randomUuid` draws again in that case, and so does this.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(random_uuid().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _format_storage(java: list[str], directory: Path, properties: Path) -> None:
    cluster_id = new_cluster_id()
    formatted = subprocess.run(
        [*java, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(properties)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if formatted.returncode != 0:
        raise KafkaBrokerError(
            f"formatting the Kafka storage in {directory} failed: {(formatted.stderr or formatted.stdout).strip()[-500:]}"
        )


def _java_command(libs: Path, directory: Path) -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise KafkaBrokerError(
            "Java 17+ is required to run the local Kafka broker (apt-get install openjdk-17-jre-headless)"
        )
    return [
        java,
        *JVM_OPTIONS,
        f"-Dlog4j2.configurationFile={directory / 'log4j2.properties'}",
        "-cp",
        f"{libs}/*",
    ]
