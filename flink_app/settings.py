"""Job settings: Managed Flink property groups in, one frozen, validated `JobSettings` object out.

This is the only module that reads application properties. On Managed Flink they come from
`/etc/flink/application_properties.json`; locally from a JSON file of the same shape::

    [{"PropertyGroupId": "job", "PropertyMap": {"job_version": "v1"}}, ...]

Every value is a string (that is how Managed Flink stores them); each is converted and checked here, and
all problems are reported together, in plain words, with the group and key to fix.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from events.timefmt import parse_rfc3339

MANAGED_FLINK_PROPERTIES = Path("/etc/flink/application_properties.json")
RUN_OPTIONS_GROUP = "kinesis.analytics.flink.run.options"
"""Managed Flink's own group (python=main.py, jarfile=...); not ours to read."""

StartPosition = Literal["LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"]
KafkaStartPosition = Literal["GROUP_OFFSETS", "EARLIEST", "LATEST", "TIMESTAMP"]
KafkaSecurity = Literal["iam", "plaintext"]
DeliveryGuarantee = Literal["at-least-once", "exactly-once"]
ExecutionMode = Literal["thread", "process"]
StateBackend = Literal["hashmap", "rocksdb"]
STATE_BACKENDS: tuple[StateBackend, ...] = ("hashmap", "rocksdb")
DiagnosticsType = Literal["files", "log", "discard"]
ViewTriggers = Literal["first_in_session", "none"]

_STREAM_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:kinesis:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):stream/([A-Za-z0-9_.-]{1,128})$"
)
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_JOB_VERSION = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
# host:port, host a DNS name, an IPv4 address or a bracketed IPv6 address (MSK gives DNS names, port 9098 for IAM).
_BOOTSTRAP_SERVER = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$")
# Kafka's own rule for topic names (and a sane one for consumer groups): 1-249 of [a-zA-Z0-9._-].
_KAFKA_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CONNECTOR_JAR_NAME = "kappa-flink-connectors.jar"
DEFAULT_CONNECTOR_JAR = Path(__file__).resolve().parent / "target" / CONNECTOR_JAR_NAME
"""Where `flink_app/pom.xml` builds the connector uber-jar (`make package-flink`); a local run adds it to
`pipeline.jars` when a source or sink is kafka. On Managed Flink the run options' `jarfile` provides it."""


class SettingsError(ValueError):
    """The application properties are invalid; the message lists every problem with its group and key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid application properties:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True, slots=True, kw_only=True)
class FilesSource:
    """Newline-delimited JSON files (optionally .gz) under `path`, e.g. the archive `archive/dt=.../hour=.../`."""

    path: str
    monitor_interval_ms: int = 0
    """0 reads what is there and ends (bounded); > 0 keeps watching the directory for new files."""

    @property
    def bounded(self) -> bool:
        return self.monitor_interval_ms == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class KinesisSource:
    stream_arn: str
    region: str
    start_position: StartPosition = "LATEST"
    start_timestamp: str | None = None
    """RFC 3339, only with AT_TIMESTAMP."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KafkaSource:
    """A Kafka topic (MSK, or the local broker), records keyed by user_id, values the event JSON."""

    bootstrap_servers: str
    topic: str
    group_id: str
    """Offsets are committed to this group on checkpoints; GROUP_OFFSETS resumes from them."""
    start_position: KafkaStartPosition = "GROUP_OFFSETS"
    """GROUP_OFFSETS falls back to the earliest offset for partitions the group has not committed yet."""
    start_timestamp: str | None = None
    """RFC 3339, only with TIMESTAMP: the first record read per partition is the first at or after it."""
    security: KafkaSecurity = "iam"
    bounded: bool = False
    """True: stop at the latest offsets there are when the job starts (a replay up to now, and the tests);
    False: keep reading new records (the live job)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FilesSink:
    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KinesisSink:
    stream_arn: str
    region: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KafkaSink:
    """A Kafka topic: one insight JSON per record, keyed by the insight's user_id when it has one."""

    bootstrap_servers: str
    topic: str
    security: KafkaSecurity = "iam"
    delivery_guarantee: DeliveryGuarantee = "at-least-once"
    """exactly-once writes in Kafka transactions committed on checkpoints: readers with
    isolation.level=read_committed see insights a checkpoint interval later, and never twice."""


Source = FilesSource | KinesisSource | KafkaSource
Sink = FilesSink | KinesisSink | KafkaSink


@dataclass(frozen=True, slots=True, kw_only=True)
class DiagnosticsSettings:
    """Where late events and per-minute duplicate counts go: files, the task manager log, or nowhere."""

    type: DiagnosticsType = "log"
    path: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendingSettings:
    window_minutes: int = 10
    slide_minutes: int = 5
    """How often products are evaluated. The rolling sums cost grows with baseline / slide (measured)."""
    baseline_minutes: int = 120
    threshold: float = 3.0
    """How many times its own baseline a product's activity must reach to trend."""
    min_views: int = 20
    """Product views the trend window must reach (no trends on a handful of views)."""
    min_history_minutes: int = 30
    """How long a product must have been seen before it can trend (no trending on cold start)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecommendationSettings:
    top_k: int = 5
    half_life_minutes: int = 240
    horizon_minutes: int = 720
    """Co-occurrences older than this are forgotten entirely (decay keeps weighting younger ones more)."""
    update_minutes: int = 60
    """The model is rebuilt every this many minutes of event time (cost grows with horizon / update)."""
    min_support: float = 1.0
    """Decayed co-occurrence weight a related product needs before it is recommended."""
    copurchase_weight: float = 3.0
    cocart_weight: float = 1.0
    view_triggers: ViewTriggers = "first_in_session"
    """`first_in_session`: the first product view of each session triggers recommendations (as does every
    add_to_cart); `none`: only add_to_cart does."""
    cart_history_minutes: int = 120
    """How far back the shopper's cart changes are read to know what is in the cart."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversionSettings:
    window_minutes: int = 15
    baseline_minutes: int = 120
    drop_threshold: float = 0.5
    """Relative drop that raises the alert: 0.5 means conversion fell below half its baseline."""
    min_sessions: int = 50
    """Sessions with a product view the window needs before a drop is judged (no alerts on noise)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalyticsSettings:
    metrics_window_seconds: int = 60
    session_gap_minutes: int = 30
    abandon_after_minutes: int = 30
    trending: TrendingSettings = field(default_factory=TrendingSettings)
    recommendation: RecommendationSettings = field(default_factory=RecommendationSettings)
    conversion: ConversionSettings = field(default_factory=ConversionSettings)


@dataclass(frozen=True, slots=True, kw_only=True)
class JobSettings:
    """Everything the job needs, validated. Build it with `settings_from_properties`."""

    job_version: str
    source: Source
    sink: Sink
    diagnostics: DiagnosticsSettings = field(default_factory=DiagnosticsSettings)
    analytics: AnalyticsSettings = field(default_factory=AnalyticsSettings)
    parallelism: int | None = None
    python_execution_mode: ExecutionMode = "thread"
    checkpoint_interval_ms: int = 60_000
    checkpoint_dir: str | None = None
    """Where a local run keeps its checkpoints: an absolute path or a URI (file:///..., s3://...). None: the job's
    default, `<temp dir>/kappa-flink-checkpoints`. Ignored on Managed Flink, which owns checkpoint storage."""
    watermark_out_of_orderness_ms: int = 5_000
    source_idle_timeout_ms: int = 0
    dedupe_ttl_minutes: int = 60
    skip_malformed_events: bool = False
    state_backend: StateBackend = "hashmap"
    """`job.state_backend` of a local run: `hashmap` (state as Java objects on the heap, the fastest) or `rocksdb`,
    what Managed Flink always runs (it ignores this setting): a local run on `rocksdb` serializes every state
    access as a deployment does, with incremental checkpoints and `flink_app.main.LOCAL_ROCKSDB_MANAGED_MEMORY_PER_SLOT_MB`."""
    connector_jar: str | None = None
    """`job.connector_jar`: the connector uber-jar a local run adds to `pipeline.jars` when a source or sink
    is kafka. None: `DEFAULT_CONNECTOR_JAR`. Ignored on Managed Flink (the run options' `jarfile`)."""

    @property
    def uses_kafka(self) -> bool:
        return isinstance(self.source, KafkaSource) or isinstance(self.sink, KafkaSink)


def load_property_groups(path: Path | str | None = None) -> dict[str, dict[str, str]]:
    """Read a properties file (Managed Flink's when `path` is None) into {group id: {key: value}}."""
    file = Path(path) if path is not None else MANAGED_FLINK_PROPERTIES
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError([f"properties file {file} does not exist"]) from None
    except json.JSONDecodeError as error:
        raise SettingsError(
            [f"properties file {file} is not valid JSON: {error.msg} (line {error.lineno})"]
        ) from None
    return property_groups_from_document(document, origin=str(file))


def property_groups_from_document(document: Any, *, origin: str = "properties") -> dict[str, dict[str, str]]:
    """Turn the Managed Flink list shape into a dict; values are kept as the strings Managed Flink stores."""
    if not isinstance(document, list):
        raise SettingsError([f"{origin} must be a JSON list of {{'PropertyGroupId', 'PropertyMap'}} objects"])
    groups: dict[str, dict[str, str]] = {}
    problems = []
    for index, entry in enumerate(document):
        if not isinstance(entry, dict) or "PropertyGroupId" not in entry or "PropertyMap" not in entry:
            problems.append(f"{origin}[{index}] must have 'PropertyGroupId' and 'PropertyMap'")
            continue
        group_id, mapping = entry["PropertyGroupId"], entry["PropertyMap"]
        if not isinstance(mapping, dict):
            problems.append(f"{origin}[{index}] ({group_id}): 'PropertyMap' must be an object")
            continue
        if group_id in groups:
            problems.append(f"property group {group_id!r} appears twice in {origin}")
            continue
        groups[str(group_id)] = {str(key): _as_text(value) for key, value in mapping.items()}
    if problems:
        raise SettingsError(problems)
    return groups


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Group:
    """Typed reads from one property group; problems are collected, not raised one at a time."""

    def __init__(self, group_id: str, values: Mapping[str, str], problems: list[str]) -> None:
        self.group_id = group_id
        self._values = dict(values)
        self._read: set[str] = set()
        self._problems = problems

    def _raw(self, key: str) -> str | None:
        self._read.add(key)
        value = self._values.get(key)
        return None if value is None or value.strip() == "" else value.strip()

    def _problem(self, key: str, message: str) -> None:
        self._problems.append(f"{self.group_id}.{key} {message}")

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self._raw(key)
        if value is None and required:
            self._problem(key, "is required")
        return value if value is not None else default

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str | None:
        value = self._raw(key)
        if value is None:
            if default is None:
                self._problem(key, f"is required (one of: {', '.join(options)})")
            return default
        normalized = {option.lower(): option for option in options}.get(value.lower())
        if normalized is None:
            self._problem(key, f"must be one of: {', '.join(options)} (got {value!r})")
            return default
        return normalized

    def integer(self, key: str, default: int, *, minimum: int, maximum: int, unit: str = "") -> int:
        value = self._raw(key)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self._problem(key, f"must be a whole number{unit and ' of ' + unit} (got {value!r})")
            return default
        if not minimum <= number <= maximum:
            self._problem(key, f"must be between {minimum} and {maximum}{unit and ' ' + unit} (got {number})")
            return default
        return number

    def optional_integer(self, key: str, *, minimum: int, maximum: int) -> int | None:
        if self._raw(key) is None:
            return None
        return self.integer(key, minimum, minimum=minimum, maximum=maximum)

    def number(self, key: str, default: float, *, minimum: float, maximum: float) -> float:
        value = self._raw(key)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            self._problem(key, f"must be a number (got {value!r})")
            return default
        if not minimum <= number <= maximum:
            self._problem(key, f"must be between {minimum:g} and {maximum:g} (got {number:g})")
            return default
        return number

    def boolean(self, key: str, default: bool) -> bool:
        value = self._raw(key)
        if value is None:
            return default
        if value.lower() in ("true", "yes", "1"):
            return True
        if value.lower() in ("false", "no", "0"):
            return False
        self._problem(key, f"must be true or false (got {value!r})")
        return default

    def check_unknown_keys(self) -> None:
        for key in sorted(set(self._values) - self._read):
            close = difflib.get_close_matches(key, sorted(self._read), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self._problem(key, f"is not a known property{hint}")


KNOWN_GROUPS = ("job", "source", "sink", "diagnostics", "analytics")


def settings_from_properties(groups: Mapping[str, Mapping[str, str]]) -> JobSettings:
    """Validate the property groups into `JobSettings`; raise `SettingsError` listing every problem."""
    problems: list[str] = []
    for group_id in groups:
        if group_id not in KNOWN_GROUPS and group_id != RUN_OPTIONS_GROUP:
            close = difflib.get_close_matches(group_id, KNOWN_GROUPS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                f"property group {group_id!r} is not known{hint}; known: {', '.join(KNOWN_GROUPS)}"
            )
    job = _Group("job", groups.get("job", {}), problems)
    source_group = _Group("source", groups.get("source", {}), problems)
    sink_group = _Group("sink", groups.get("sink", {}), problems)
    diagnostics_group = _Group("diagnostics", groups.get("diagnostics", {}), problems)
    analytics_group = _Group("analytics", groups.get("analytics", {}), problems)

    job_version = job.text("job_version", "v1") or "v1"
    if not _JOB_VERSION.match(job_version):
        problems.append(
            f"job.job_version may only contain letters, digits and _ . - (1-32 chars), got {job_version!r}"
        )
    parallelism = job.optional_integer("parallelism", minimum=1, maximum=256)
    mode = job.choice("python.execution_mode", ("thread", "process"), "thread")
    checkpoint = job.integer(
        "checkpoint.interval_ms", 60_000, minimum=100, maximum=3_600_000, unit="milliseconds"
    )
    checkpoint_dir = _read_checkpoint_dir(job, problems)
    out_of_orderness = job.integer(
        "watermark.out_of_orderness_ms", 5_000, minimum=0, maximum=86_400_000, unit="milliseconds"
    )
    idle = job.integer("source.idle_timeout_ms", 0, minimum=0, maximum=3_600_000, unit="milliseconds")
    ttl = job.integer("dedupe.ttl_minutes", 60, minimum=1, maximum=7 * 24 * 60, unit="minutes")
    skip_malformed = job.boolean("skip_malformed_events", False)
    connector_jar = job.text("connector_jar")
    state_backend = job.choice("state_backend", STATE_BACKENDS, "hashmap")

    source = _read_source(source_group, problems, job_version=job_version)
    sink = _read_sink(sink_group, problems)
    diagnostics = _read_diagnostics(diagnostics_group)
    analytics = _read_analytics(analytics_group, problems)

    for group in (job, source_group, sink_group, diagnostics_group, analytics_group):
        group.check_unknown_keys()
    if problems:
        raise SettingsError(problems)
    assert source is not None
    assert sink is not None
    return JobSettings(
        job_version=job_version,
        source=source,
        sink=sink,
        diagnostics=diagnostics,
        analytics=analytics,
        parallelism=parallelism,
        python_execution_mode=mode,  # type: ignore[arg-type]
        checkpoint_interval_ms=checkpoint,
        checkpoint_dir=checkpoint_dir,
        watermark_out_of_orderness_ms=out_of_orderness,
        source_idle_timeout_ms=idle,
        dedupe_ttl_minutes=ttl,
        skip_malformed_events=skip_malformed,
        connector_jar=local_path(connector_jar) if connector_jar else None,
        state_backend=state_backend,  # type: ignore[arg-type]
    )


def _read_source(group: _Group, problems: list[str], *, job_version: str) -> Source | None:
    kind = group.choice("type", ("files", "kinesis", "kafka"))
    if kind == "files":
        path = group.text("files.path", required=True)
        interval = group.integer(
            "files.monitor_interval_ms", 0, minimum=0, maximum=86_400_000, unit="milliseconds"
        )
        return FilesSource(path=local_path(path), monitor_interval_ms=interval) if path else None
    if kind == "kinesis":
        arn, region = _stream_arn_and_region(group, problems)
        position = group.choice(
            "kinesis.start_position", ("LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"), "LATEST"
        )
        timestamp = group.text("kinesis.start_timestamp")
        if position == "AT_TIMESTAMP":
            if timestamp is None:
                problems.append(
                    "source.kinesis.start_timestamp is required when start_position is AT_TIMESTAMP"
                )
            else:
                try:
                    parse_rfc3339(timestamp)
                except ValueError:
                    problems.append(
                        "source.kinesis.start_timestamp must be an RFC 3339 timestamp with a timezone, "
                        f"e.g. 2026-11-25T12:00:00Z (got {timestamp!r})"
                    )
        elif timestamp is not None:
            problems.append("source.kinesis.start_timestamp is only allowed with start_position AT_TIMESTAMP")
        if arn is None or region is None:
            return None
        return KinesisSource(
            stream_arn=arn,
            region=region,
            start_position=position,  # type: ignore[arg-type]
            start_timestamp=timestamp if position == "AT_TIMESTAMP" else None,
        )
    if kind == "kafka":
        return _read_kafka_source(group, problems, job_version=job_version)
    return None


def _read_kafka_source(group: _Group, problems: list[str], *, job_version: str) -> KafkaSource | None:
    servers = _bootstrap_servers(group, problems)
    topic = _kafka_name(group, "kafka.topic", problems, required=True)
    group_id = _kafka_name(group, "kafka.group_id", problems) or f"kappa-analytics-{job_version}"
    position = group.choice(
        "kafka.start_position", ("GROUP_OFFSETS", "EARLIEST", "LATEST", "TIMESTAMP"), "GROUP_OFFSETS"
    )
    timestamp = group.text("kafka.start_timestamp")
    if position == "TIMESTAMP":
        if timestamp is None:
            problems.append(
                "source.kafka.start_timestamp is required when kafka.start_position is TIMESTAMP "
                "(RFC 3339, e.g. 2026-11-25T12:00:00Z)"
            )
        else:
            try:
                parse_rfc3339(timestamp)
            except ValueError:
                problems.append(
                    "source.kafka.start_timestamp must be an RFC 3339 timestamp with a timezone, "
                    f"e.g. 2026-11-25T12:00:00Z (got {timestamp!r})"
                )
                timestamp = None
    elif timestamp is not None:
        problems.append(
            "source.kafka.start_timestamp is only allowed with kafka.start_position TIMESTAMP "
            f"(start_position is {position}); remove it or set start_position to TIMESTAMP"
        )
    security = group.choice("kafka.security", ("iam", "plaintext"), "iam")
    bounded = group.boolean("kafka.bounded", False)
    if servers is None or topic is None:
        return None
    return KafkaSource(
        bootstrap_servers=servers,
        topic=topic,
        group_id=group_id,
        start_position=position,  # type: ignore[arg-type]
        start_timestamp=timestamp if position == "TIMESTAMP" else None,
        security=security,  # type: ignore[arg-type]
        bounded=bounded,
    )


def _read_kafka_sink(group: _Group, problems: list[str]) -> KafkaSink | None:
    servers = _bootstrap_servers(group, problems)
    topic = _kafka_name(group, "kafka.topic", problems, required=True)
    security = group.choice("kafka.security", ("iam", "plaintext"), "iam")
    guarantee = group.choice("kafka.delivery_guarantee", ("at-least-once", "exactly-once"), "at-least-once")
    if servers is None or topic is None:
        return None
    return KafkaSink(
        bootstrap_servers=servers,
        topic=topic,
        security=security,  # type: ignore[arg-type]
        delivery_guarantee=guarantee,  # type: ignore[arg-type]
    )


def _bootstrap_servers(group: _Group, problems: list[str]) -> str | None:
    """`host:port[,host:port]`, blanks around commas dropped; every bad entry named."""
    value = group.text("kafka.bootstrap_servers", required=True)
    if value is None:
        return None
    servers = [server.strip() for server in value.split(",")]
    bad = []
    for server in servers:
        match = _BOOTSTRAP_SERVER.match(server)
        if match is None or not 1 <= int(match.group(3)) <= 65535:
            bad.append(server)
    if bad:
        problems.append(
            f"{group.group_id}.kafka.bootstrap_servers must be host:port[,host:port] with ports 1-65535, "
            f"e.g. b-1.kappa.abc123.kafka.eu-west-1.amazonaws.com:9098 (bad: {', '.join(map(repr, bad))})"
        )
        return None
    return ",".join(servers)


def _kafka_name(group: _Group, key: str, problems: list[str], *, required: bool = False) -> str | None:
    value = group.text(key, required=required)
    if value is not None and not _KAFKA_NAME.match(value):
        problems.append(
            f"{group.group_id}.{key} may only contain letters, digits and . _ - (1-249 chars), got {value!r}"
        )
        return None
    return value


def local_path(path: str) -> str:
    """Relative file paths are taken from the working directory; URIs (s3://, file://) are kept as they are."""
    return path if "://" in path else str(Path(path).expanduser().resolve())


def _read_checkpoint_dir(group: _Group, problems: list[str]) -> str | None:
    """A path (made absolute like `files.path`) or a URI Flink's file systems understand, kept as written."""
    value = group.text("checkpoint.dir")
    if value is None:
        return None
    if "://" not in value:
        return local_path(value)
    scheme, _, rest = value.partition("://")
    if not _URI_SCHEME.match(scheme) or not rest.strip("/"):
        problems.append(
            "job.checkpoint.dir must be a path or a URI such as file:///var/kappa/checkpoints "
            f"or s3://bucket/checkpoints (got {value!r})"
        )
    elif scheme.lower() == "file" and not rest.startswith("/"):
        problems.append(
            f"job.checkpoint.dir must name an absolute path in a file URI, e.g. file:///{rest} (got {value!r})"
        )
    return value


def _read_sink(group: _Group, problems: list[str]) -> Sink | None:
    kind = group.choice("type", ("files", "kinesis", "kafka"))
    if kind == "files":
        path = group.text("files.path", required=True)
        return FilesSink(path=local_path(path)) if path else None
    if kind == "kinesis":
        arn, region = _stream_arn_and_region(group, problems)
        return KinesisSink(stream_arn=arn, region=region) if arn and region else None
    if kind == "kafka":
        return _read_kafka_sink(group, problems)
    return None


def _stream_arn_and_region(group: _Group, problems: list[str]) -> tuple[str | None, str | None]:
    arn = group.text("kinesis.stream_arn", required=True)
    region = group.text("kinesis.region")
    if arn is None:
        return None, None
    match = _STREAM_ARN.match(arn)
    if match is None:
        problems.append(
            f"{group.group_id}.kinesis.stream_arn must look like "
            f"arn:aws:kinesis:<region>:<account>:stream/<name> (got {arn!r})"
        )
        return None, None
    arn_region = match.group(1)
    if region is None:
        return arn, arn_region
    if not _REGION.match(region):
        problems.append(
            f"{group.group_id}.kinesis.region must be an AWS region such as eu-west-1 (got {region!r})"
        )
        return arn, None
    if region != arn_region:
        problems.append(
            f"{group.group_id}.kinesis.region is {region} but the stream ARN is in {arn_region}; "
            "drop the region or make them agree"
        )
    return arn, region


def _read_diagnostics(group: _Group) -> DiagnosticsSettings:
    kind = group.choice("type", ("files", "log", "discard"), "log")
    path = group.text("files.path", required=kind == "files")
    return DiagnosticsSettings(type=kind, path=local_path(path) if kind == "files" and path else None)  # type: ignore[arg-type]


def _read_analytics(group: _Group, problems: list[str]) -> AnalyticsSettings:
    day = 24 * 60
    trending = TrendingSettings(
        window_minutes=group.integer("trending.window_minutes", 10, minimum=1, maximum=day, unit="minutes"),
        slide_minutes=group.integer("trending.slide_minutes", 5, minimum=1, maximum=day, unit="minutes"),
        baseline_minutes=group.integer(
            "trending.baseline_minutes", 120, minimum=2, maximum=7 * day, unit="minutes"
        ),
        threshold=group.number("trending.threshold", 3.0, minimum=1.0, maximum=1000.0),
        min_views=group.integer("trending.min_views", 20, minimum=1, maximum=10**9),
        min_history_minutes=group.integer("trending.min_history_minutes", 30, minimum=0, maximum=7 * day),
    )
    if trending.window_minutes % trending.slide_minutes:
        problems.append(
            f"analytics.trending.window_minutes ({trending.window_minutes}) must be a multiple of "
            f"trending.slide_minutes ({trending.slide_minutes})"
        )
    if trending.baseline_minutes <= trending.window_minutes:
        problems.append(
            f"analytics.trending.baseline_minutes ({trending.baseline_minutes}) must be longer than "
            f"trending.window_minutes ({trending.window_minutes})"
        )
    recommendation = RecommendationSettings(
        top_k=group.integer("recommendation.top_k", 5, minimum=1, maximum=50),
        half_life_minutes=group.integer("recommendation.half_life_minutes", 240, minimum=1, maximum=30 * day),
        horizon_minutes=group.integer("recommendation.horizon_minutes", 720, minimum=1, maximum=30 * day),
        update_minutes=group.integer("recommendation.update_minutes", 60, minimum=1, maximum=day),
        min_support=group.number("recommendation.min_support", 1.0, minimum=0.0, maximum=1e9),
        copurchase_weight=group.number("recommendation.copurchase_weight", 3.0, minimum=0.0, maximum=1000.0),
        cocart_weight=group.number("recommendation.cocart_weight", 1.0, minimum=0.0, maximum=1000.0),
        view_triggers=group.choice(  # type: ignore[arg-type]
            "recommendation.view_triggers", ("first_in_session", "none"), "first_in_session"
        ),
        cart_history_minutes=group.integer(
            "recommendation.cart_history_minutes", 120, minimum=1, maximum=7 * day
        ),
    )
    if recommendation.copurchase_weight == 0 and recommendation.cocart_weight == 0:
        problems.append("analytics.recommendation: copurchase_weight and cocart_weight cannot both be 0")
    if recommendation.horizon_minutes % recommendation.update_minutes:
        problems.append(
            f"analytics.recommendation.horizon_minutes ({recommendation.horizon_minutes}) must be a multiple of "
            f"recommendation.update_minutes ({recommendation.update_minutes})"
        )
    conversion = ConversionSettings(
        window_minutes=group.integer("conversion.window_minutes", 15, minimum=1, maximum=day, unit="minutes"),
        baseline_minutes=group.integer(
            "conversion.baseline_minutes", 120, minimum=2, maximum=7 * day, unit="minutes"
        ),
        drop_threshold=group.number("conversion.drop_threshold", 0.5, minimum=0.01, maximum=1.0),
        min_sessions=group.integer("conversion.min_sessions", 50, minimum=1, maximum=10**9),
    )
    if conversion.baseline_minutes <= conversion.window_minutes:
        problems.append(
            f"analytics.conversion.baseline_minutes ({conversion.baseline_minutes}) must be longer than "
            f"conversion.window_minutes ({conversion.window_minutes})"
        )
    metrics_window = group.integer("metrics.window_seconds", 60, minimum=1, maximum=3600, unit="seconds")
    if 3600 % metrics_window:
        problems.append(f"analytics.metrics.window_seconds must divide an hour evenly (got {metrics_window})")
    if conversion.window_minutes * 60 % metrics_window or conversion.baseline_minutes * 60 % metrics_window:
        problems.append(
            "analytics.conversion window and baseline must be whole multiples of metrics.window_seconds"
        )
    return AnalyticsSettings(
        metrics_window_seconds=metrics_window,
        session_gap_minutes=group.integer("session.gap_minutes", 30, minimum=1, maximum=day, unit="minutes"),
        abandon_after_minutes=group.integer(
            "abandonment.after_minutes", 30, minimum=1, maximum=7 * day, unit="minutes"
        ),
        trending=trending,
        recommendation=recommendation,
        conversion=conversion,
    )


def describe(settings: JobSettings) -> list[str]:
    """One line per setting group, for the job's start-up log."""
    return [
        f"job_version={settings.job_version} parallelism={settings.parallelism or 'default'} "
        f"python={settings.python_execution_mode} checkpoint={settings.checkpoint_interval_ms}ms "
        f"checkpoint_dir={settings.checkpoint_dir or 'default'} "
        f"watermark_delay={settings.watermark_out_of_orderness_ms}ms dedupe_ttl={settings.dedupe_ttl_minutes}min"
        + (
            f" connector_jar={settings.connector_jar or DEFAULT_CONNECTOR_JAR}" if settings.uses_kafka else ""
        ),
        f"source={settings.source}",
        f"sink={settings.sink}",
        f"diagnostics={settings.diagnostics}",
        f"analytics={settings.analytics}",
    ]


def at_timestamp_for_kinesis(value: str) -> str:
    """The connector's default AT_TIMESTAMP format is yyyy-MM-dd'T'HH:mm:ss.SSSXXX; normalize RFC 3339 to it."""
    moment: datetime = parse_rfc3339(value)
    offset = moment.strftime("%z")
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}{offset[:3]}:{offset[3:]}"
    )


def epoch_millis(value: str) -> int:
    """An RFC 3339 timestamp as epoch milliseconds (Kafka's record timestamps, `scan.startup.timestamp-millis`).

    >>> epoch_millis("1970-01-01T00:00:01.5+00:00")
    1500
    """
    return (parse_rfc3339(value) - _EPOCH) // timedelta(milliseconds=1)


def groups_as_document(groups: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    """The inverse of `property_groups_from_document` (for writing properties files)."""
    return [{"PropertyGroupId": gid, "PropertyMap": dict(values)} for gid, values in groups.items()]


def override(
    groups: Mapping[str, Mapping[str, str]], changes: Iterable[tuple[str, str, str]]
) -> dict[str, dict[str, str]]:
    """A copy of `groups` with (group, key, value) changes applied; tests and the bench use it."""
    result = {gid: dict(values) for gid, values in groups.items()}
    for group_id, key, value in changes:
        result.setdefault(group_id, {})[key] = value
    return result
