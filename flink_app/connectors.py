"""Sources and sinks as Flink SQL DDL, chosen by the settings' type: `files` (local and archive replays),
`kafka` (MSK, and the local broker) or `kinesis` (Managed Flink). Only this module knows connector options;
everything between source and sink is the same for all.

The builders return DDL strings (unit-tested without a cluster); `create_source`/`create_sinks` run them.
Kafka and Kinesis tables need their SQL connectors: the uber-jar built by `flink_app/pom.xml` (Kafka by
default, Kinesis with the `kinesis` profile). A local run adds it to `pipeline.jars` (flink_app/main.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flink_app.settings import (
    DiagnosticsSettings,
    FilesSink,
    FilesSource,
    JobSettings,
    KafkaSecurity,
    KafkaSink,
    KafkaSource,
    KinesisSink,
    KinesisSource,
    Sink,
    at_timestamp_for_kinesis,
    epoch_millis,
)
from flink_app.sql import Insert, interval

if TYPE_CHECKING:
    from pyflink.table import TableEnvironment

SOURCE_TABLE = "raw_events"
INSIGHTS_TABLE = "insights_sink"
LATE_TABLE = "late_events_sink"
STATS_TABLE = "job_stats_sink"

KAFKA_STARTUP_MODES = {
    "GROUP_OFFSETS": "group-offsets",
    "EARLIEST": "earliest-offset",
    "LATEST": "latest-offset",
    "TIMESTAMP": "timestamp",
}
"""`source.kafka.start_position` → the connector's `scan.startup.mode`."""
EPOCH_MILLIS_FUNCTION = "epoch_millis"
"""The Java function (flink_app/java_functions.py, dev.kappa.flink.time.EpochMillis) that reads `occurred_at`
into epoch milliseconds for the source's event time."""
KAFKA_TRANSACTION_TIMEOUT_MS = 900_000
"""Exactly-once producers' transaction timeout. The connector defaults to 1 h, which brokers refuse above their
`transaction.max.timeout.ms` (15 min by default, and on MSK): the job would fail at its first transaction."""

# The event contract (events/schemas/event.schema.json) as far as the job reads it. Fields the job does not
# use (page, search, context, properties, _meta) are not declared: JSON ignores them, with or without `_meta`.
EVENT_COLUMNS = """\
  `event_id` STRING,
  `event_type` STRING,
  `occurred_at` STRING,
  `user_id` STRING,
  `session_id` STRING,
  `product` ROW<`product_id` STRING, `price` DOUBLE, `currency` STRING>,
  `quantity` INT,
  `order` ROW<`order_id` STRING, `items` ARRAY<ROW<`product_id` STRING, `quantity` INT, `price` DOUBLE>>,
              `total` DOUBLE, `currency` STRING>"""


def source_ddl(settings: JobSettings) -> str:
    """CREATE TABLE for the raw events: JSON columns, event time `ts` (+ `ts_ms`), watermark, processing time."""
    source = settings.source
    millis = f"{EPOCH_MILLIS_FUNCTION}(`occurred_at`)"
    columns = (
        f"{EVENT_COLUMNS},\n"
        f"  `ts_ms` AS {millis},\n"
        f"  `ts` AS TO_TIMESTAMP_LTZ({millis}, 3),\n"
        "  `proc_time` AS PROCTIME(),\n"
        f"  WATERMARK FOR `ts` AS `ts` - {interval(settings.watermark_out_of_orderness_ms)}"
    )
    options = _json_options(settings.skip_malformed_events)
    if isinstance(source, FilesSource):
        options = {"connector": "filesystem", "path": source.path, **options}
        if not source.bounded:
            options["source.monitor-interval"] = f"{source.monitor_interval_ms} ms"
    elif isinstance(source, KinesisSource):
        options = {
            "connector": "kinesis",
            "stream.arn": source.stream_arn,
            "aws.region": source.region,
            "source.init.position": source.start_position,
            **options,
        }
        if source.start_position == "AT_TIMESTAMP" and source.start_timestamp:
            options["source.init.timestamp"] = at_timestamp_for_kinesis(source.start_timestamp)
    elif isinstance(source, KafkaSource):
        options = {**_kafka_source_options(source), **options}
    else:  # pragma: no cover - settings validation makes this unreachable
        raise TypeError(f"unknown source settings {source!r}")
    return f"CREATE TABLE `{SOURCE_TABLE}` (\n{columns}\n) WITH (\n{_with(options)}\n)"


def _kafka_source_options(source: KafkaSource) -> dict[str, str]:
    """Values are the event JSON (the record key, user_id, is not read: the value carries it too)."""
    options = {
        "connector": "kafka",
        "topic": source.topic,
        "properties.bootstrap.servers": source.bootstrap_servers,
        "properties.group.id": source.group_id,
        "scan.startup.mode": KAFKA_STARTUP_MODES[source.start_position],
    }
    if source.start_position == "GROUP_OFFSETS":
        # Partitions the group has no committed offset for start at the beginning (a new job version replays
        # the retained log); the connector's default would be to fail.
        options["properties.auto.offset.reset"] = "earliest"
    if source.start_position == "TIMESTAMP" and source.start_timestamp:
        options["scan.startup.timestamp-millis"] = str(epoch_millis(source.start_timestamp))
    if source.bounded:
        options["scan.bounded.mode"] = "latest-offset"
    return {**options, **kafka_security_options(source.security)}


def kafka_security_options(security: KafkaSecurity) -> dict[str, str]:
    """`iam`: TLS + SASL AWS_MSK_IAM with the job's role (aws-msk-iam-auth in the uber-jar); `plaintext`: none.

    The class names are aws-msk-iam-auth's own: the uber-jar relocates that library's references to Kafka into
    the connector's shaded kafka-clients, not its package (flink_app/pom.xml).
    """
    if security == "plaintext":
        return {"properties.security.protocol": "PLAINTEXT"}
    return {
        "properties.security.protocol": "SASL_SSL",
        "properties.sasl.mechanism": "AWS_MSK_IAM",
        "properties.sasl.jaas.config": "software.amazon.msk.auth.iam.IAMLoginModule required;",
        "properties.sasl.client.callback.handler.class": "software.amazon.msk.auth.iam.IAMClientCallbackHandler",
    }


def _json_options(skip_malformed: bool) -> dict[str, str]:
    return {
        "format": "json",
        "json.fail-on-missing-field": "false",
        "json.ignore-parse-errors": "true" if skip_malformed else "false",
    }


@dataclass(frozen=True, slots=True)
class SinkTable:
    name: str
    ddl: str


def insights_sink_ddl(settings: JobSettings) -> str:
    """One JSON insight per record/line. Kinesis records get a random partition key (see docs/flink-job.md);
    Kafka records are keyed by the insight's user_id (no key when it has none)."""
    if isinstance(settings.sink, KafkaSink):
        return _kafka_insights_sink_ddl(settings.sink, job_version=settings.job_version)
    return _text_sink_ddl(
        INSIGHTS_TABLE, settings.sink, subdirectory=None, roll_every_ms=settings.checkpoint_interval_ms
    )


def _kafka_insights_sink_ddl(sink: KafkaSink, *, job_version: str) -> str:
    options = {
        "connector": "kafka",
        "topic": sink.topic,
        "properties.bootstrap.servers": sink.bootstrap_servers,
        # The record key: the user_id column as raw UTF-8 (null → no key); the value: the line alone.
        "key.format": "raw",
        "key.fields": "user_id",
        "value.format": "raw",
        "value.fields-include": "EXCEPT_KEY",
        # Kafka's partitioner: the same user's insights land on the same partition, in order.
        "sink.partitioner": "default",
        "sink.delivery-guarantee": sink.delivery_guarantee,
    }
    if sink.delivery_guarantee == "exactly-once":
        # Transactional ids must not collide with another job's: one prefix per job version and topic.
        options["sink.transactional-id-prefix"] = f"kappa-analytics-{job_version}-{sink.topic}"
        options["properties.transaction.timeout.ms"] = str(KAFKA_TRANSACTION_TIMEOUT_MS)
    options.update(kafka_security_options(sink.security))
    return f"CREATE TABLE `{INSIGHTS_TABLE}` (\n  `line` STRING,\n  `user_id` STRING\n) WITH (\n{_with(options)}\n)"


def insert_statement(insert: Insert, sink: Sink) -> str:
    """The INSERT of an analysis into its table. Into a Kafka insights table, the insight's user_id is taken
    from the JSON for the record key: one JSON_VALUE per insight (insights are few next to events), and the
    analyses' SQL stays the same for every sink."""
    if insert.table == INSIGHTS_TABLE and isinstance(sink, KafkaSink):
        return (
            f"INSERT INTO `{INSIGHTS_TABLE}`\n"
            f"SELECT `line`, JSON_VALUE(`line`, '$.user_id') AS `user_id` FROM (\n{insert.query}\n) AS `insight`(`line`)"
        )
    return insert.statement


def diagnostics_sink_ddls(diagnostics: DiagnosticsSettings) -> list[SinkTable]:
    """Late events (the side output) and per-window duplicate counts: files, task manager log, or discarded."""
    tables = []
    for name, subdirectory in ((LATE_TABLE, "late"), (STATS_TABLE, "stats")):
        if diagnostics.type == "files":
            assert diagnostics.path is not None
            ddl = _text_sink_ddl(name, FilesSink(path=diagnostics.path), subdirectory=subdirectory)
        elif diagnostics.type == "log":
            ddl = _ddl(name, {"connector": "print", "print-identifier": subdirectory})
        else:
            ddl = _ddl(name, {"connector": "blackhole"})
        tables.append(SinkTable(name, ddl))
    return tables


def _text_sink_ddl(name: str, sink: Sink, *, subdirectory: str | None, roll_every_ms: int = 300_000) -> str:
    if isinstance(sink, FilesSink):
        path = sink.path.rstrip("/") + (f"/{subdirectory}" if subdirectory else "")
        # A row format only commits part files that have rolled, at the next checkpoint: rolling about
        # as often as the job checkpoints keeps insight latency near the checkpoint interval.
        roll = f"{max(roll_every_ms, 1000) // 1000} s"
        options = {
            "connector": "filesystem",
            "path": path,
            "format": "raw",
            "sink.rolling-policy.file-size": "64MB",
            "sink.rolling-policy.rollover-interval": roll,
            "sink.rolling-policy.check-interval": roll,
        }
    elif isinstance(sink, KinesisSink):
        options = {
            "connector": "kinesis",
            "stream.arn": sink.stream_arn,
            "aws.region": sink.region,
            "format": "raw",
            "sink.partitioner": "random",
            "sink.fail-on-error": "false",
        }
    else:  # pragma: no cover
        raise TypeError(f"unknown sink settings {sink!r}")
    return _ddl(name, options)


def _ddl(name: str, options: dict[str, str]) -> str:
    return f"CREATE TABLE `{name}` (\n  `line` STRING\n) WITH (\n{_with(options)}\n)"


def _with(options: dict[str, str]) -> str:
    return ",\n".join(f"  '{key}' = '{_quote(value)}'" for key, value in options.items())


def _quote(value: str) -> str:
    return value.replace("'", "''")


def create_source(t_env: TableEnvironment, settings: JobSettings) -> str:
    """The raw events table, and the Java function(s) its computed columns call (`epoch_millis`)."""
    from flink_app.java_functions import register_source_functions

    register_source_functions(t_env)
    t_env.execute_sql(source_ddl(settings))
    return SOURCE_TABLE


def create_sinks(t_env: TableEnvironment, settings: JobSettings) -> None:
    t_env.execute_sql(insights_sink_ddl(settings))
    for table in diagnostics_sink_ddls(settings.diagnostics):
        t_env.execute_sql(table.ddl)
