"""The deployment configuration: `cdk.json` context per environment, validated once into frozen objects.

Only this module reads CDK context. It imports no CDK code, so the local runtime (`kappa local up`) uses
the same settings and resource names as the stacks. Select an environment with `-c env=prod`
(default `dev`); any setting can be overridden with `-c overrides='{"ingestion": {...}}'`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = REPO_ROOT / "cdk.json"
DEFAULT_LAMBDA_BUILD_DIR = REPO_ROOT / "build" / "lambda"
DEFAULT_FLINK_PACKAGE = REPO_ROOT / "build" / "flink" / "kappa-analytics.zip"
"""Where `make package-flink` writes the Managed Flink application zip."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProducerConfig(_Frozen):
    """One API client with its own key and usage plan."""

    name: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    rate_limit: float = Field(gt=0, le=10_000, description="steady requests/second")
    burst_limit: int = Field(gt=0, le=5_000)
    quota_per_day: int | None = Field(default=None, gt=0)


class StreamConfig(_Frozen):
    """A Kinesis data stream: on-demand by default, or provisioned with a shard count."""

    mode: Literal["on_demand", "provisioned"] = "on_demand"
    shard_count: int = Field(default=1, ge=1, le=500)
    retention_hours: int = Field(default=24, ge=24, le=8760)


LIVE_ALIAS = "live"
"""The alias a function with provisioned concurrency is invoked through (its triggers are mapped to it)."""


class LambdaConfig(_Frozen):
    memory_mb: int = Field(default=512, ge=128, le=10_240)
    timeout_seconds: int = Field(default=29, ge=1, le=900)
    reserved_concurrency: int | None = Field(default=None, ge=1)
    provisioned_concurrency: int | None = Field(default=None, ge=1)

    def invoked_name(self, function_name: str) -> str:
        """What triggers invoke: `name:live` with provisioned concurrency, else the function itself."""
        return f"{function_name}:{LIVE_ALIAS}" if self.provisioned_concurrency else function_name


class ArchiveConfig(_Frozen):
    """Firehose → S3 archive of the raw stream (the replay source beyond the stream's retention)."""

    buffer_seconds: int = Field(default=60, ge=0, le=900)
    buffer_mb: int = Field(default=64, ge=1, le=128)
    infrequent_access_after_days: int = Field(default=30, ge=30)
    glacier_after_days: int = Field(
        default=180, ge=60, description="to Glacier Instant Retrieval: replays read it without a restore"
    )
    expire_after_days: int | None = Field(default=None, ge=1)
    access_logs_expire_after_days: int = Field(default=365, ge=1, description="S3 server access logs")

    @model_validator(mode="after")
    def _lifecycle_in_order(self) -> ArchiveConfig:
        # S3 keeps objects 30 days in Standard-IA before a colder transition.
        if self.glacier_after_days < self.infrequent_access_after_days + 30:
            raise ValueError(
                f"glacier_after_days ({self.glacier_after_days}) must be at least "
                f"infrequent_access_after_days + 30 ({self.infrequent_access_after_days + 30})"
            )
        if self.expire_after_days is not None and self.expire_after_days <= self.glacier_after_days:
            raise ValueError(
                f"expire_after_days ({self.expire_after_days}) must be after glacier_after_days "
                f"({self.glacier_after_days})"
            )
        return self


class IngestionConfig(_Frozen):
    stage_name: str = Field(default="v1", pattern=r"^[A-Za-z0-9_]{1,64}$")
    producers: tuple[ProducerConfig, ...] = (ProducerConfig(name="default", rate_limit=100, burst_limit=200),)
    raw_stream: StreamConfig = StreamConfig()
    function: LambdaConfig = LambdaConfig()
    archive: ArchiveConfig = ArchiveConfig()
    put_records_time_budget_seconds: float = Field(default=8.0, gt=0, le=25)

    @model_validator(mode="after")
    def _budget_inside_timeout(self) -> IngestionConfig:
        if self.put_records_time_budget_seconds >= self.function.timeout_seconds:
            raise ValueError(
                f"put_records_time_budget_seconds ({self.put_records_time_budget_seconds:g}) must be shorter "
                f"than function.timeout_seconds ({self.function.timeout_seconds})"
            )
        return self


class ProcessingConfig(_Frozen):
    """The Managed Flink application and its job properties."""

    runtime: Literal["FLINK-2_2"] = "FLINK-2_2"
    parallelism: int = Field(default=1, ge=1, le=256)
    parallelism_per_kpu: int = Field(default=1, ge=1, le=8)
    autoscaling: bool = True
    checkpoint_interval_ms: int = Field(default=60_000, ge=1_000)
    snapshots: bool = True
    log_level: Literal["INFO", "WARN", "ERROR", "DEBUG"] = "INFO"
    job_version: str = Field(default="v1", pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    start_position: Literal["LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"] = "TRIM_HORIZON"
    source_idle_timeout_ms: int = Field(
        default=30_000,
        ge=0,
        le=3_600_000,
        description=(
            "job.source.idle_timeout_ms: a shard (or MSK partition) without records this long stops holding the "
            "watermark back, so windows and timers still fire when some shards carry no traffic; 0 = never"
        ),
    )
    insights_stream: StreamConfig = StreamConfig()
    job_properties: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="extra Managed Flink property groups, e.g. analytics thresholds"
    )


RETRY_QUEUE_MAX_RECEIVES = 5
"""A retry message whose handling fails this often (infrastructure trouble) moves to the dead-letter queue."""
RETRY_QUEUE_VISIBILITY_FACTOR = 6
"""The retry queue's visibility timeout in fan-out timeouts: Lambda's advice for a queue that triggers a
function is at least six times the function's timeout, so a message is not handed out again while a slow
invocation still works on it."""


class DeliveryConfig(_Frozen):
    """Webhook fan-out: the event source mapping, HTTP behaviour, retries and retention."""

    batch_size: int = Field(default=100, ge=1, le=10_000)
    parallelization_factor: int = Field(default=2, ge=1, le=10)
    max_batching_window_seconds: int = Field(default=1, ge=0, le=300)
    max_retry_attempts: int = Field(default=3, ge=0, le=10_000)
    max_record_age_seconds: int = Field(default=3600, ge=60, le=604_800)
    function: LambdaConfig = LambdaConfig(memory_mb=1024, timeout_seconds=60)
    api_function: LambdaConfig = LambdaConfig(memory_mb=256, timeout_seconds=10)
    connect_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    read_timeout_seconds: float = Field(default=15.0, gt=0, le=30)
    secret_rotation_grace_hours: int = Field(default=24, ge=0, le=720)
    delivery_log_ttl_days: int = Field(default=30, ge=1, le=365)
    allow_loopback_targets: bool = Field(default=False, description="local runtime only; never in AWS")
    max_concurrency: int = Field(default=32, ge=1, le=256, description="parallel deliveries per invocation")
    max_concurrency_per_subscriber: int = Field(
        default=4, ge=1, le=64, description="parallel deliveries to one subscriber per invocation"
    )
    kafka_min_pollers: int = Field(
        default=1, ge=1, le=200, description="MSK event source mapping: provisioned event pollers, at least"
    )
    kafka_max_pollers: int = Field(
        default=2, ge=1, le=2000, description="MSK event source mapping: provisioned event pollers, at most"
    )

    @model_validator(mode="after")
    def _pollers_in_order(self) -> DeliveryConfig:
        if self.kafka_min_pollers > self.kafka_max_pollers:
            raise ValueError(
                f"kafka_min_pollers ({self.kafka_min_pollers}) must not exceed kafka_max_pollers "
                f"({self.kafka_max_pollers})"
            )
        return self

    @property
    def retry_queue_visibility_timeout_seconds(self) -> int:
        """The retry queue's visibility timeout: `RETRY_QUEUE_VISIBILITY_FACTOR` × the fan-out's timeout."""
        return RETRY_QUEUE_VISIBILITY_FACTOR * self.function.timeout_seconds


class MonitoringConfig(_Frozen):
    alarm_emails: tuple[str, ...] = ()
    alarm_https_endpoints: tuple[str, ...] = ()
    api_5xx_rate_threshold: float = Field(default=0.01, gt=0, le=1)
    iterator_age_threshold_seconds: int = Field(default=300, ge=1)

    @field_validator("alarm_https_endpoints")
    @classmethod
    def _https_only(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if not url.startswith("https://"):
                raise ValueError(f"alarm endpoint {url!r} must use https://")
        return value


MSK_SERVERLESS_MAX_PARTITIONS = 2400
"""MSK Serverless quota: partitions per cluster (leader partitions; the service keeps 3 replicas itself)."""


class MskConfig(_Frozen):
    """MSK Serverless as the log: the VPC it lives in and the topics created at deploy."""

    availability_zones: tuple[str, ...] = Field(
        default=(),
        description="2 or 3 AZs of the deploy region, named explicitly (no context lookup at synth time)",
    )
    vpc_cidr: str = Field(default="10.40.0.0/16", pattern=r"^[0-9]{1,3}(\.[0-9]{1,3}){3}/(1[6-9]|2[0-4])$")
    raw_partitions: int = Field(default=4, ge=1, le=MSK_SERVERLESS_MAX_PARTITIONS)
    insights_partitions: int = Field(default=2, ge=1, le=MSK_SERVERLESS_MAX_PARTITIONS)
    retention_hours: int = Field(
        default=168, ge=1, le=8760, description="topics' retention.ms; the replay window before the archive"
    )
    consumer_lag_threshold_seconds: int = Field(
        default=300, ge=1, description="alarm when a consumer group's EstimatedMaxTimeLag exceeds this"
    )

    @field_validator("availability_zones")
    @classmethod
    def _distinct_zones(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError(f"availability zones must be distinct, got {list(value)}")
        for zone in value:
            if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-[0-9][a-z]", zone):
                raise ValueError(f"{zone!r} is not an availability zone name such as 'eu-west-1a'")
        return value


class LogConfig(_Frozen):
    """Which service holds the Kappa log (raw events and insights): Kinesis (default) or MSK Serverless."""

    backend: Literal["kinesis", "msk"] = "kinesis"
    msk: MskConfig = MskConfig()

    @model_validator(mode="after")
    def _msk_needs_zones(self) -> LogConfig:
        zones = self.msk.availability_zones
        if self.backend == "msk" and not 2 <= len(zones) <= 3:
            raise ValueError(
                "log.msk.availability_zones must list 2 or 3 availability zones of the region when "
                f"log.backend is 'msk' (MSK Serverless needs subnets in at least two), got {list(zones)}"
            )
        return self


class AppConfig(_Frozen):
    """Everything one environment needs; stacks receive parts of it as keyword-only settings."""

    project: str = Field(default="kappa", pattern=r"^[a-z][a-z0-9-]{1,20}$")
    env_name: str = Field(default="dev", pattern=r"^[a-z][a-z0-9-]{1,15}$")
    account: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]$")
    retain_data: bool = Field(default=False, description="RETAIN buckets/streams/tables on stack deletion")
    tags: dict[str, str] = Field(default_factory=dict)
    lambda_build_dir: Path = Field(
        default=DEFAULT_LAMBDA_BUILD_DIR,
        description="where `stacks.lambda_build` put the Lambda assets (context key `lambda_build_dir`)",
    )
    flink_package: Path = Field(
        default=DEFAULT_FLINK_PACKAGE,
        description="the Managed Flink application zip built by `make package-flink` (context key `flink_package`)",
    )
    ingestion: IngestionConfig = IngestionConfig()
    processing: ProcessingConfig = ProcessingConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    monitoring: MonitoringConfig = MonitoringConfig()
    log: LogConfig = LogConfig()

    @model_validator(mode="after")
    def _loopback_never_in_prod(self) -> AppConfig:
        if self.delivery.allow_loopback_targets and self.env_name == "prod":
            raise ValueError("delivery.allow_loopback_targets must be false in prod")
        if self.log.backend == "msk" and self.region is not None:
            foreign = [zone for zone in self.log.msk.availability_zones if zone[:-1] != self.region]
            if foreign:
                raise ValueError(f"log.msk.availability_zones {foreign} are not in region {self.region!r}")
        return self

    @property
    def on_kafka(self) -> bool:
        """True when the log is MSK Serverless (topics) rather than Kinesis (streams)."""
        return self.log.backend == "msk"

    @property
    def prefix(self) -> str:
        """Prefix of every physical resource name: `<project>-<env>`."""
        return f"{self.project}-{self.env_name}"

    @property
    def names(self) -> ResourceNames:
        return ResourceNames(self.prefix)


class ResourceNames:
    """Physical names shared by the stacks and the local runtime (one list, not two)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    @property
    def raw_stream(self) -> str:
        return f"{self.prefix}-raw-events"

    @property
    def raw_archive_delivery_stream(self) -> str:
        """The Firehose delivery stream copying the raw stream into the S3 archive."""
        return f"{self.prefix}-raw-events-archive"

    def archive_bucket(self, account: str) -> str:
        """The S3 archive bucket; bucket names are global, so the account id makes it unique.

        In an environment-agnostic stack `account` is the `AWS::AccountId` token, which resolves in
        whichever stack uses the name (no cross-stack export).
        """
        return f"{self.prefix}-archive-{account}"

    @property
    def ingestion_api(self) -> str:
        return f"{self.prefix}-ingestion"

    @property
    def ingest_function(self) -> str:
        return f"{self.prefix}-ingest"

    @property
    def raw_topic(self) -> str:
        """The raw events topic when the log is MSK (same name as the Kinesis stream)."""
        return f"{self.prefix}-raw-events"

    @property
    def insights_topic(self) -> str:
        return f"{self.prefix}-insights"

    @property
    def kafka_cluster(self) -> str:
        """The MSK Serverless cluster (1-64 characters)."""
        return f"{self.prefix}-log"

    def flink_consumer_group(self, job_version: str) -> str:
        """The Flink job's consumer group on the raw topic: one per job version, so a replay has its own."""
        return f"{self.prefix}-analytics-{job_version}"

    @property
    def fanout_consumer_group(self) -> str:
        """The fan-out event source mapping's consumer group on the insights topic."""
        return f"{self.prefix}-webhook-fanout"

    def insights_stream(self, job_version: str | None = None) -> str:
        return f"{self.prefix}-insights" + (f"-{job_version}" if job_version else "")

    def flink_application(self, job_version: str) -> str:
        return f"{self.prefix}-analytics-{job_version}"

    @property
    def subscriptions_table(self) -> str:
        return f"{self.prefix}-webhook-subscriptions"

    @property
    def delivery_log_table(self) -> str:
        return f"{self.prefix}-webhook-deliveries"

    @property
    def retry_queue(self) -> str:
        return f"{self.prefix}-webhook-retries"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.prefix}-webhook-dlq"

    @property
    def failed_batches_queue(self) -> str:
        """The insights event source mapping's on-failure destination (pointers to batches that failed every
        retry): about the insights stream's records, not webhook deliveries, hence `insights-`."""
        return f"{self.prefix}-insights-failed-batches"

    @property
    def fanout_function(self) -> str:
        return f"{self.prefix}-webhook-fanout"

    @property
    def webhooks_api_function(self) -> str:
        return f"{self.prefix}-webhooks-api"

    @property
    def alarm_topic(self) -> str:
        return f"{self.prefix}-alarms"


CONTEXT_KEYS = ("env", "environments", "overrides", "lambda_build_dir", "flink_package")
"""The CDK context keys `load_config` reads (the app passes exactly these)."""


class ConfigError(ValueError):
    """The configuration is invalid; the message names the environment, the setting and the problem."""


def load_config(
    context: dict[str, Any] | None = None, *, env_name: str | None = None, cdk_json: Path = CDK_JSON
) -> AppConfig:
    """Build the validated config for one environment.

    `context` is the CDK app's context (defaults to `cdk.json`'s); its `environments` maps env names to
    settings, `env` picks one, `overrides` (dict or JSON string) is merged on top, `lambda_build_dir`
    (relative to the repository, or absolute) says where the Lambda assets were built.
    """
    if context is None:
        context = json.loads(cdk_json.read_text()).get("context", {})
    env_name = env_name or context.get("env") or "dev"
    environments = context.get("environments") or {}
    if env_name not in environments:
        known = ", ".join(sorted(environments)) or "none"
        raise ConfigError(f"unknown environment {env_name!r} (cdk.json context 'environments' has: {known})")
    settings = _deep_merge(environments[env_name], _as_dict(context.get("overrides")))
    for key in ("lambda_build_dir", "flink_package"):
        if context.get(key):
            settings[key] = REPO_ROOT / str(context[key])
    try:
        return AppConfig(env_name=env_name, **settings)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors()
        )
        raise ConfigError(f"invalid configuration for environment {env_name!r}: {problems}") from None


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise ConfigError(f"context 'overrides' is not valid JSON: {error.msg}") from None
    if not isinstance(value, dict):
        raise ConfigError("context 'overrides' must be a JSON object")
    return value


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = (
            _deep_merge(merged[key], value)
            if isinstance(merged.get(key), dict) and isinstance(value, dict)
            else value
        )
    return merged
