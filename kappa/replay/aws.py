"""Kappa replay in AWS: a second Managed Flink application for a new job version, its own insights stream,
reading the raw stream from a timestamp (or the S3 archive), then comparison and cut-over.

The running version's application is the template: same code, role, runtime and analytics properties;
only the job version, source start and sink stream change. Insight ids do not depend on the job version,
so after cut-over the fan-out's delivery log recognises what the old version already delivered.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from events.timefmt import format_rfc3339, parse_rfc3339
from stacks.config import AppConfig

RUN_OPTIONS_GROUP = "kinesis.analytics.flink.run.options"
AWS_MANAGED_KINESIS_KEY = "alias/aws/kinesis"
"""For a running stream without a customer-managed key; readers need no key grant for it."""
ESM_SETTINGS = (
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "FunctionResponseTypes",
    "DestinationConfig",
)


class ReplayError(RuntimeError):
    """A replay step cannot go on; the message says what is missing and what to do."""


@dataclass(frozen=True, kw_only=True)
class ReplaySource:
    """Where the new version starts reading: the raw stream from a timestamp, or the S3 archive."""

    from_timestamp: datetime | None = None
    """Read the raw stream from here (must be within the stream's retention); None with archive=False: from the oldest record."""
    archive: bool = False
    """Read the S3 archive instead: refused in AWS for now (`ARCHIVE_REPLAY_REFUSED` says why)."""


ARCHIVE_REPLAY_REFUSED = (
    "replaying the S3 archive in AWS is not supported: Flink's files source hands the archive's files to its "
    "readers in no particular order (its split assigner does not sort them), so most of the history would "
    "arrive behind the watermark and be counted late instead of analysed. Replay the raw stream instead "
    "(--from, within its retention; raise raw_stream.retention_hours in cdk.json, up to 8760, to keep more), "
    "or copy the archive into a local data directory's archive/ folder and replay it with --data-dir, which "
    "reads it in order."
)

KAFKA_REPLAY_REFUSED = (
    "the running application reads the raw topic on MSK (log.backend msk): `kappa replay` in AWS supports "
    "only the Kinesis backend so far (a replayed version there needs its own consumer group and insights "
    "topic, not built yet; docs/log-backends.md). Replay locally instead: copy the archive into a data "
    "directory's archive/ folder and run `kappa replay --data-dir`."
)


def replay_application_request(
    template: dict[str, Any],
    *,
    config: AppConfig,
    job_version: str,
    insights_stream_arn: str,
    source: ReplaySource,
) -> dict[str, Any]:
    """The `CreateApplication` request of the replayed version, derived from the running application's
    `DescribeApplication` detail (pure: tested without AWS)."""
    names = config.names
    configuration = template["ApplicationConfigurationDescription"]
    groups = {
        g["PropertyGroupId"]: dict(g["PropertyMap"])
        for g in configuration["EnvironmentPropertyDescriptions"]["PropertyGroupDescriptions"]
    }
    groups.setdefault("job", {})["job_version"] = job_version
    groups["sink"] = {"type": "kinesis", "kinesis.stream_arn": insights_stream_arn}
    if source.archive:
        raise ReplayError(ARCHIVE_REPLAY_REFUSED)
    raw = dict(groups.get("source", {}))
    if raw.get("type") == "kafka":
        raise ReplayError(KAFKA_REPLAY_REFUSED)
    if raw.get("type") != "kinesis":
        raise ReplayError("the running application does not read the raw stream, which a replay in AWS needs")
    raw.pop("kinesis.start_timestamp", None)
    if source.from_timestamp is None:
        raw["kinesis.start_position"] = "TRIM_HORIZON"
    else:
        raw["kinesis.start_position"] = "AT_TIMESTAMP"
        raw["kinesis.start_timestamp"] = format_rfc3339(source.from_timestamp)
    groups["source"] = raw
    flink = configuration["FlinkApplicationConfigurationDescription"]
    code = configuration["ApplicationCodeConfigurationDescription"]
    s3_code = code["CodeContentDescription"]["S3ApplicationCodeLocationDescription"]
    return {
        "ApplicationName": names.flink_application(job_version),
        "ApplicationDescription": f"Kappa Commerce analytics, job version {job_version} (replay)",
        "RuntimeEnvironment": template["RuntimeEnvironment"],
        "ServiceExecutionRole": template["ServiceExecutionRole"],
        "ApplicationMode": template.get("ApplicationMode", "STREAMING"),
        "ApplicationConfiguration": {
            "ApplicationCodeConfiguration": {
                "CodeContentType": code["CodeContentType"],
                "CodeContent": {
                    "S3ContentLocation": {
                        "BucketARN": s3_code["BucketARN"],
                        "FileKey": s3_code["FileKey"],
                        **(
                            {"ObjectVersion": s3_code["ObjectVersion"]}
                            if s3_code.get("ObjectVersion")
                            else {}
                        ),
                    }
                },
            },
            "EnvironmentProperties": {
                "PropertyGroups": [
                    {"PropertyGroupId": group_id, "PropertyMap": values}
                    for group_id, values in groups.items()
                ]
            },
            "FlinkApplicationConfiguration": {
                "CheckpointConfiguration": _configuration_of(flink["CheckpointConfigurationDescription"]),
                "MonitoringConfiguration": _configuration_of(flink["MonitoringConfigurationDescription"]),
                "ParallelismConfiguration": _configuration_of(flink["ParallelismConfigurationDescription"]),
            },
            "ApplicationSnapshotConfiguration": {"SnapshotsEnabled": True},
        },
        "Tags": [{"Key": "Project", "Value": config.project}, {"Key": "JobVersion", "Value": job_version}],
    }


def _configuration_of(description: dict[str, Any]) -> dict[str, Any]:
    """Describe* output carries read-only fields (CurrentParallelism…); keep what Create accepts."""
    accepted = {
        "ConfigurationType",
        "CheckpointingEnabled",
        "CheckpointInterval",
        "MinPauseBetweenCheckpoints",
        "LogLevel",
        "MetricsLevel",
        "Parallelism",
        "ParallelismPerKPU",
        "AutoScalingEnabled",
    }
    result = {k: v for k, v in description.items() if k in accepted}
    if result.get("ConfigurationType") == "DEFAULT":
        return {"ConfigurationType": "DEFAULT"}
    return result


@dataclass
class AwsReplay:
    """The AWS side of `kappa replay`, `kappa compare` and `kappa cutover` (boto3 clients injected)."""

    config: AppConfig
    kinesis: Any
    flink: Any
    lambda_: Any
    account_id: str
    sleep: Callable[[float], None] = time.sleep

    def start(
        self, job_version: str, source: ReplaySource, *, progress: Callable[[str], None] = print
    ) -> str:
        """Create the version's insights stream and application, then start it; returns the application name."""
        names = self.config.names
        running = names.flink_application(self.config.processing.job_version)
        if job_version == self.config.processing.job_version:
            raise ReplayError(f"{job_version} is the running version; pick a new --job-version")
        if source.archive:
            raise ReplayError(ARCHIVE_REPLAY_REFUSED)
        if self.config.on_kafka:
            raise ReplayError(KAFKA_REPLAY_REFUSED)
        try:
            template = self.flink.describe_application(ApplicationName=running)["ApplicationDetail"]
        except self.flink.exceptions.ResourceNotFoundException:
            raise ReplayError(
                f"the running application {running} does not exist: deploy the stacks first (cdk deploy)"
            ) from None
        stream_name = names.insights_stream(job_version)
        key_id = self._stream_key(names.insights_stream(self.config.processing.job_version))
        progress(f"creating insights stream {stream_name} (encrypted with the running stream's key {key_id})")
        stream_arn = self._create_stream(stream_name, key_id=key_id)
        request = replay_application_request(
            template,
            config=self.config,
            job_version=job_version,
            insights_stream_arn=stream_arn,
            source=source,
        )
        progress(f"creating application {request['ApplicationName']} from {running}'s code and settings")
        self.flink.create_application(**request)
        self._add_logging(template, request["ApplicationName"])
        progress(f"starting {request['ApplicationName']} with fresh state")
        self.flink.start_application(
            ApplicationName=request["ApplicationName"],
            RunConfiguration={
                "ApplicationRestoreConfiguration": {"ApplicationRestoreType": "SKIP_RESTORE_FROM_SNAPSHOT"}
            },
        )
        return request["ApplicationName"]

    def _stream_key(self, running_stream: str) -> str:
        """The KMS key the running insights stream is encrypted with: the replay's stream uses it too, so the
        fan-out (granted decrypt on it by the delivery stack) can read the new stream after a cut-over. This
        holds across cut-overs, whose streams the stacks did not create (no `alias/<stream>` exists for them)."""
        try:
            summary = self.kinesis.describe_stream_summary(StreamName=running_stream)[
                "StreamDescriptionSummary"
            ]
        except self.kinesis.exceptions.ResourceNotFoundException:
            raise ReplayError(
                f"the running version's insights stream {running_stream} does not exist: deploy the stacks "
                "first (cdk deploy), or set processing.job_version to the version the fan-out reads"
            ) from None
        if summary.get("EncryptionType") == "KMS" and summary.get("KeyId"):
            return str(summary["KeyId"])
        return AWS_MANAGED_KINESIS_KEY

    def _create_stream(self, name: str, *, key_id: str) -> str:
        # A re-run of the same replay reuses its stream.
        with contextlib.suppress(self.kinesis.exceptions.ResourceInUseException):
            self.kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
        for _ in range(120):
            summary = self.kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
            if summary["StreamStatus"] == "ACTIVE":
                break
            self.sleep(1)
        else:
            raise ReplayError(f"stream {name} did not become ACTIVE within 2 minutes")
        if summary.get("EncryptionType") != "KMS":
            self.kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key_id)
        return summary["StreamARN"]

    def _add_logging(self, template: dict[str, Any], application: str) -> None:
        for option in template.get("CloudWatchLoggingOptionDescriptions", []):
            detail = self.flink.describe_application(ApplicationName=application)["ApplicationDetail"]
            self.flink.add_application_cloud_watch_logging_option(
                ApplicationName=application,
                CurrentApplicationVersionId=detail["ApplicationVersionId"],
                CloudWatchLoggingOption={"LogStreamARN": option["LogStreamARN"]},
            )

    def read_insights(self, job_version: str, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """Insights of one version whose event time lies in [start, end), read from its stream's shards."""
        stream = self.config.names.insights_stream(job_version)
        shards = self.kinesis.list_shards(StreamName=stream)["Shards"]
        for shard in shards:
            iterator = self.kinesis.get_shard_iterator(
                StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = self.kinesis.get_records(ShardIterator=iterator, Limit=10_000)
                for record in page["Records"]:
                    insight = orjson.loads(record["Data"])
                    if start <= parse_rfc3339(insight["occurred_at"]) < end:
                        yield insight
                if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
                    break
                iterator = page.get("NextShardIterator")

    def cutover(
        self, to_version: str, *, overlap_seconds: int, progress: Callable[[str], None] = print
    ) -> None:
        """Point the fan-out at `to_version`'s insights stream, then stop the old version's application.

        The new mapping starts `overlap_seconds` before now so nothing near the switch is missed; what the
        old version already delivered has the same webhook ids and is skipped by the delivery log.
        """
        names = self.config.names
        from_version = self.config.processing.job_version
        # The stack maps the insights stream to the function, or to its `live` alias when it has
        # provisioned concurrency: move the mapping of whichever it is.
        function = self.config.delivery.function.invoked_name(names.fanout_function)
        old_stream = self._stream_arn(names.insights_stream(from_version))
        new_stream = self._stream_arn(names.insights_stream(to_version))
        mappings = self.lambda_.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
        old = [m for m in mappings if m["EventSourceArn"] == old_stream]
        if not old:
            raise ReplayError(
                f"{function} has no event source mapping on {names.insights_stream(from_version)}"
            )
        if any(m["EventSourceArn"] == new_stream for m in mappings):
            raise ReplayError(
                f"{function} already reads {names.insights_stream(to_version)}: cut-over done before"
            )
        settings = {k: old[0][k] for k in ESM_SETTINGS if k in old[0]}
        starting = datetime.fromtimestamp(time.time() - overlap_seconds).astimezone()
        progress(f"mapping {function} to {names.insights_stream(to_version)} from {format_rfc3339(starting)}")
        self.lambda_.create_event_source_mapping(
            FunctionName=function,
            EventSourceArn=new_stream,
            StartingPosition="AT_TIMESTAMP",
            StartingPositionTimestamp=starting,
            Enabled=True,
            **copy.deepcopy(settings),
        )
        for mapping in old:
            progress(f"removing the mapping on {names.insights_stream(from_version)}")
            self.lambda_.delete_event_source_mapping(UUID=mapping["UUID"])
        progress(f"stopping {names.flink_application(from_version)}")
        self.flink.stop_application(ApplicationName=names.flink_application(from_version))

    def _stream_arn(self, name: str) -> str:
        try:
            return self.kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
                "StreamARN"
            ]
        except self.kinesis.exceptions.ResourceNotFoundException:
            raise ReplayError(f"insights stream {name} does not exist") from None
