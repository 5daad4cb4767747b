"""Sources and sinks as Flink SQL DDL, chosen by the settings' type: `files` (local and archive replays) or
`kinesis` (Managed Flink). Only this module knows connector options; everything between source and sink is
the same for both.

The builders return DDL strings (unit-tested without a cluster); `create_source`/`create_sinks` run them.
Kinesis tables need `flink-sql-connector-aws-kinesis-streams` (the uber-jar built by `flink_app/pom.xml`);
it is not on the local classpath, so local runs use `files`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flink_app.settings import (
    DiagnosticsSettings,
    FilesSink,
    FilesSource,
    JobSettings,
    KinesisSink,
    KinesisSource,
    at_timestamp_for_kinesis,
)
from flink_app.sql import interval

if TYPE_CHECKING:
    from pyflink.table import TableEnvironment

SOURCE_TABLE = "raw_events"
INSIGHTS_TABLE = "insights_sink"
LATE_TABLE = "late_events_sink"
STATS_TABLE = "job_stats_sink"

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


def epoch_millis_sql(column: str) -> str:
    """SQL for the epoch milliseconds of an RFC 3339 string column, offsets and 0-9 fraction digits included.

    `2026-11-25T12:00:00.5+02:00` → seconds of the date-time part (read as UTC; the job sets the session time
    zone to UTC) + the first three fraction digits − the offset. Pure JVM expressions: parsing in a Python
    UDF would cost a Python call per event.
    """
    length = f"CHAR_LENGTH({column})"
    zulu = f"UPPER(SUBSTR({column}, {length}, 1)) = 'Z'"
    zone_at = f"(CASE WHEN {zulu} THEN {length} ELSE {length} - 5 END)"
    fraction = (
        f"(CASE WHEN SUBSTR({column}, 20, 1) = '.' THEN SUBSTR({column}, 21, {zone_at} - 21) ELSE '' END)"
    )
    millis = f"CAST(SUBSTR(CONCAT({fraction}, '000'), 1, 3) AS BIGINT)"
    offset_seconds = (
        f"(CASE WHEN {zulu} THEN 0 ELSE "
        f"(CASE WHEN SUBSTR({column}, {length} - 5, 1) = '-' THEN -1 ELSE 1 END) * "
        f"(CAST(SUBSTR({column}, {length} - 4, 2) AS BIGINT) * 3600 + CAST(SUBSTR({column}, {length} - 1, 2) AS BIGINT) * 60)"
        " END)"
    )
    seconds = f"UNIX_TIMESTAMP(CONCAT(SUBSTR({column}, 1, 10), ' ', SUBSTR({column}, 12, 8)))"
    return f"(({seconds} - {offset_seconds}) * 1000 + {millis})"


def source_ddl(settings: JobSettings) -> str:
    """CREATE TABLE for the raw events: JSON columns, event time `ts` (+ `ts_ms`), watermark, processing time."""
    source = settings.source
    millis = epoch_millis_sql("`occurred_at`")
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
    else:  # pragma: no cover - settings validation makes this unreachable
        raise TypeError(f"unknown source settings {source!r}")
    return f"CREATE TABLE `{SOURCE_TABLE}` (\n{columns}\n) WITH (\n{_with(options)}\n)"


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
    """One JSON insight per record/line. Kinesis records get a random partition key (see docs/flink-job.md)."""
    return _text_sink_ddl(
        INSIGHTS_TABLE, settings.sink, subdirectory=None, roll_every_ms=settings.checkpoint_interval_ms
    )


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


def _text_sink_ddl(
    name: str, sink: FilesSink | KinesisSink, *, subdirectory: str | None, roll_every_ms: int = 300_000
) -> str:
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
    t_env.execute_sql(source_ddl(settings))
    return SOURCE_TABLE


def create_sinks(t_env: TableEnvironment, settings: JobSettings) -> None:
    t_env.execute_sql(insights_sink_ddl(settings))
    for table in diagnostics_sink_ddls(settings.diagnostics):
        t_env.execute_sql(table.ddl)
