"""The processing stack: the PyFlink job on Managed Service for Apache Flink and the insights stream it writes.

On `log.backend: msk` the job runs in the log's VPC (its subnets and client security group), reads the raw
topic as consumer group `flink_consumer_group(job_version)` and writes the insights topic: no insights
stream then. Exposes `insights_stream` (+ `insights_key`; None on msk) for the delivery stack, and
`application_name` / `insights_stream_name` for stacks that watch by name. The job reads its settings from the property
groups built here (`job`, `source`, `sink`, `diagnostics`, `analytics`: the shape `flink_app/settings.py`
reads), so the stack and the job cannot disagree on a key without a test failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisanalyticsv2 as flink
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from stacks.compliance import acknowledge, logical_id_of, nag_arn, nag_pseudo
from stacks.config import ProcessingConfig, ResourceNames
from stacks.constructs.event_stream import EventStream, EventStreamProps
from stacks.constructs.kafka_log import KafkaLog

PYTHON_ENTRY: Final = "main.py"
CONNECTOR_JAR: Final = "lib/kappa-flink-connectors.jar"
"""Path of the connector uber-jar inside the application zip (`flink_app/packaging.py` puts it there)."""
PYTHON_FILES: Final = "lib/python"
"""The zip's directory holding flink_app, events and their 3.12 wheels; pyFiles ships it to the Python UDF
workers (the job's UDFs live in flink_app, not in main.py)."""
RUN_OPTIONS_GROUP: Final = "kinesis.analytics.flink.run.options"
KAFKA_START_POSITIONS: Final = {
    "TRIM_HORIZON": "GROUP_OFFSETS",
    "LATEST": "LATEST",
    "AT_TIMESTAMP": "TIMESTAMP",
}
"""`processing.start_position` (Kinesis words) on Kafka: TRIM_HORIZON becomes the group's committed offsets,
which start at the earliest offset while the group has none (docs/contract.md); AT_TIMESTAMP needs
`kafka.start_timestamp` in `processing.job_properties.source`."""
FLINK_VPC_DESCRIBE_ACTIONS: Final = (
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
)
"""Managed Flink in a VPC (developer guide, "VPC application permissions"): EC2's Describe* actions support
no resource-level permissions."""


@dataclass(frozen=True, kw_only=True)
class KafkaJobLog:
    """Where the job reads and writes when the log is MSK (the contract's `source`/`sink` kafka groups)."""

    bootstrap_servers: str
    raw_topic: str
    insights_topic: str
    group_id: str


def job_property_groups(
    settings: ProcessingConfig,
    *,
    raw_stream_arn: str | None = None,
    insights_stream_arn: str | None = None,
    kafka: KafkaJobLog | None = None,
) -> dict[str, dict[str, str]]:
    """The job's property groups for Managed Flink: defaults from config, `job_properties` merged on top.

    Give the Kinesis stream ARNs, or `kafka` (MSK, IAM auth) — not both.
    """
    if (kafka is None) == (raw_stream_arn is None or insights_stream_arn is None):
        raise ValueError("job_property_groups needs either both stream ARNs (Kinesis) or `kafka` (MSK)")
    source, sink = _log_groups(settings, raw_stream_arn, insights_stream_arn, kafka)
    groups: dict[str, dict[str, str]] = {
        "job": {
            "job_version": settings.job_version,
            "python.execution_mode": "thread",
            "checkpoint.interval_ms": str(settings.checkpoint_interval_ms),
            # Without it a shard with no traffic holds the watermark, and every window and timer, back for good.
            "source.idle_timeout_ms": str(settings.source_idle_timeout_ms),
        },
        "source": source,
        "sink": sink,
        "diagnostics": {"type": "log"},
    }
    for group_id, properties in settings.job_properties.items():
        groups[group_id] = {**groups.get(group_id, {}), **properties}
    groups[RUN_OPTIONS_GROUP] = {"python": PYTHON_ENTRY, "jarfile": CONNECTOR_JAR, "pyFiles": PYTHON_FILES}
    return groups


def _log_groups(
    settings: ProcessingConfig,
    raw_stream_arn: str | None,
    insights_stream_arn: str | None,
    kafka: KafkaJobLog | None,
) -> tuple[dict[str, str], dict[str, str]]:
    """The `source` and `sink` groups for the Kinesis streams or, with `kafka`, the MSK topics."""
    if kafka is None:
        return (
            {
                "type": "kinesis",
                "kinesis.stream_arn": str(raw_stream_arn),
                "kinesis.start_position": settings.start_position,
            },
            {"type": "kinesis", "kinesis.stream_arn": str(insights_stream_arn)},
        )
    return (
        {
            "type": "kafka",
            "kafka.bootstrap_servers": kafka.bootstrap_servers,
            "kafka.topic": kafka.raw_topic,
            "kafka.group_id": kafka.group_id,
            "kafka.start_position": KAFKA_START_POSITIONS[settings.start_position],
            "kafka.security": "iam",
        },
        {
            "type": "kafka",
            "kafka.bootstrap_servers": kafka.bootstrap_servers,
            "kafka.topic": kafka.insights_topic,
            "kafka.security": "iam",
        },
    )


class ProcessingStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: ProcessingConfig,
        names: ResourceNames,
        raw_stream: kinesis.IStream | None,
        archive_bucket: s3.IBucket,
        application_package: Path,
        retain_data: bool,
        kafka_log: KafkaLog | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        if (raw_stream is None) == (kafka_log is None):
            raise ValueError(
                "ProcessingStack reads exactly one log: give raw_stream (Kinesis) or kafka_log (MSK)"
            )
        if not application_package.is_file():
            raise FileNotFoundError(
                f"Managed Flink application zip not found at {application_package}: run `make package-flink` first"
            )
        removal = cdk.RemovalPolicy.RETAIN if retain_data else cdk.RemovalPolicy.DESTROY
        self.application_name = names.flink_application(settings.job_version)
        self.insights_stream_name = names.insights_stream(settings.job_version)
        self.insights_stream: kinesis.Stream | None = None
        self.insights_key: kms.Key | None = None
        insights: EventStream | None = None
        if kafka_log is None:
            insights = EventStream(
                self,
                "Insights",
                props=EventStreamProps(
                    stream_name=self.insights_stream_name,
                    settings=settings.insights_stream,
                    removal_policy=removal,
                    description=f"insights of job version {settings.job_version}",
                ),
            )
            self.insights_stream = insights.stream
            self.insights_key = insights.key

        code = s3_assets.Asset(self, "Code", path=str(application_package))
        log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=removal
        )
        log_stream = logs.LogStream(self, "LogStream", log_group=log_group, removal_policy=removal)

        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("kinesisanalytics.amazonaws.com"),
            description=f"{self.application_name}: read the raw log and archive, write insights, log",
        )
        # Statement order as before MSK existed, so Kinesis environments' templates did not change.
        if raw_stream is not None:
            raw_stream.grant_read(role)
        self._allow_archive_reads(role, names, archive_bucket)
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[code.bucket.arn_for_objects(code.s3_object_key)]
            )
        )
        vpc_configurations = None
        if kafka_log is not None:
            group_id = names.flink_consumer_group(settings.job_version)
            kafka_log.grant_consume(role, topic=kafka_log.raw_topic, group=group_id)
            kafka_log.grant_write(role, topic=kafka_log.insights_topic)
            self._allow_vpc_networking(role, kafka_log)
            groups = job_property_groups(
                settings,
                kafka=KafkaJobLog(
                    bootstrap_servers=kafka_log.bootstrap_servers,
                    raw_topic=kafka_log.raw_topic,
                    insights_topic=kafka_log.insights_topic,
                    group_id=group_id,
                ),
            )
            vpc_configurations = [
                flink.CfnApplication.VpcConfigurationProperty(
                    subnet_ids=kafka_log.subnet_ids,
                    security_group_ids=[kafka_log.client_security_group.security_group_id],
                )
            ]
        else:
            assert raw_stream is not None
            assert insights is not None
            self._allow_insight_writes(role, names, insights)
            groups = job_property_groups(
                settings,
                raw_stream_arn=raw_stream.stream_arn,
                insights_stream_arn=insights.stream.stream_arn,
            )
        self._allow_logging(role, log_group)
        self.application = flink.CfnApplication(
            self,
            "Application",
            application_name=self.application_name,
            application_description=f"Kappa Commerce analytics, job version {settings.job_version}",
            runtime_environment=settings.runtime,
            service_execution_role=role.role_arn,
            application_mode="STREAMING",
            application_configuration=flink.CfnApplication.ApplicationConfigurationProperty(
                application_code_configuration=flink.CfnApplication.ApplicationCodeConfigurationProperty(
                    code_content_type="ZIPFILE",
                    code_content=flink.CfnApplication.CodeContentProperty(
                        s3_content_location=flink.CfnApplication.S3ContentLocationProperty(
                            bucket_arn=code.bucket.bucket_arn, file_key=code.s3_object_key
                        )
                    ),
                ),
                application_snapshot_configuration=flink.CfnApplication.ApplicationSnapshotConfigurationProperty(
                    snapshots_enabled=settings.snapshots
                ),
                environment_properties=flink.CfnApplication.EnvironmentPropertiesProperty(
                    property_groups=[
                        flink.CfnApplication.PropertyGroupProperty(
                            property_group_id=group_id, property_map=values
                        )
                        for group_id, values in groups.items()
                    ]
                ),
                flink_application_configuration=flink.CfnApplication.FlinkApplicationConfigurationProperty(
                    checkpoint_configuration=flink.CfnApplication.CheckpointConfigurationProperty(
                        configuration_type="CUSTOM",
                        checkpointing_enabled=True,
                        checkpoint_interval=settings.checkpoint_interval_ms,
                        min_pause_between_checkpoints=min(5_000, settings.checkpoint_interval_ms),
                    ),
                    monitoring_configuration=flink.CfnApplication.MonitoringConfigurationProperty(
                        configuration_type="CUSTOM",
                        log_level=settings.log_level,
                        # TASK level: the dashboard's back-pressure and per-operator figures need it.
                        metrics_level="TASK",
                    ),
                    parallelism_configuration=flink.CfnApplication.ParallelismConfigurationProperty(
                        configuration_type="CUSTOM",
                        parallelism=settings.parallelism,
                        parallelism_per_kpu=settings.parallelism_per_kpu,
                        auto_scaling_enabled=settings.autoscaling,
                    ),
                ),
                vpc_configurations=vpc_configurations,
            ),
        )
        # Managed Flink checks the role's permissions (logging, code) when the application is created.
        default_policy = role.node.try_find_child("DefaultPolicy")
        assert default_policy is not None
        self.application.node.add_dependency(default_policy)
        logging_option = flink.CfnApplicationCloudWatchLoggingOption(
            self,
            "Logging",
            application_name=self.application_name,
            cloud_watch_logging_option=flink.CfnApplicationCloudWatchLoggingOption.CloudWatchLoggingOptionProperty(
                log_stream_arn=self.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=f"{log_group.log_group_name}:log-stream:{log_stream.log_stream_name}",
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            ),
        )
        logging_option.add_dependency(self.application)
        cdk.CfnOutput(self, "ApplicationName", value=self.application_name)
        if self.insights_stream is not None:
            cdk.CfnOutput(self, "InsightsStreamName", value=self.insights_stream_name)

    def _allow_vpc_networking(self, role: iam.Role, kafka_log: KafkaLog) -> None:
        """Managed Flink creates its ENIs in the log's subnets with the client security group (developer
        guide, "VPC application permissions"); creation is scoped to those subnets and that group."""
        role.add_to_policy(iam.PolicyStatement(actions=list(FLINK_VPC_DESCRIBE_ACTIONS), resources=["*"]))
        interfaces = self.format_arn(service="ec2", resource="network-interface", resource_name="*")
        subnets = [
            self.format_arn(service="ec2", resource="subnet", resource_name=subnet_id)
            for subnet_id in kafka_log.subnet_ids
        ]
        security_group = self.format_arn(
            service="ec2",
            resource="security-group",
            resource_name=kafka_log.client_security_group.security_group_id,
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:CreateNetworkInterface"], resources=[interfaces, *subnets, security_group]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface"],
                resources=[interfaces],
            )
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "EC2 Describe* (VPCs, subnets, security groups, DHCP options, network interfaces) support no "
            "resource-level permissions; Managed Flink calls them to place the job in the log's VPC.",
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{nag_arn(self, 'ec2', 'network-interface/*')}]",
            "Managed Flink creates and deletes its own network interfaces, whose ids are known only then; "
            "creation is also bound to the log's subnets and client security group.",
        )

    def _allow_archive_reads(self, role: iam.Role, names: ResourceNames, archive_bucket: s3.IBucket) -> None:
        """Replays read the S3 archive (`archive/` prefix only); by physical name, so no wildcard export."""
        bucket_arn = self.format_arn(
            service="s3", region="", account="", resource=names.archive_bucket(self.account)
        )
        role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket_arn]))
        role.add_to_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[f"{bucket_arn}/archive/*"])
        )
        if archive_bucket.encryption_key is not None:
            archive_bucket.encryption_key.grant(role, "kms:Decrypt")
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::"
            f"{nag_arn(self, 's3', names.archive_bucket(nag_pseudo(self.account, 'AccountId')), regional=False, in_account=False)}"
            "/archive/*]",
            "Replays read any object under the archive/ prefix (partitioned dt=/hour=); nothing else in the bucket.",
        )

    def _allow_insight_writes(self, role: iam.Role, names: ResourceNames, insights: EventStream) -> None:
        """Write this version's insights stream, and the `<prefix>-insights-<version>` streams a replayed job
        version writes to (`kappa replay` creates them with this stack's insights key; the same role runs it)."""
        replay_streams = self.format_arn(
            service="kinesis", resource="stream", resource_name=f"{names.insights_stream()}-*"
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStream",
                         "kinesis:DescribeStreamSummary", "kinesis:ListShards"],
                resources=[insights.stream.stream_arn, replay_streams],
            )
        )  # fmt: skip
        insights.key.grant(role, "kms:GenerateDataKey")
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{nag_arn(self, 'kinesis', f'stream/{names.insights_stream()}-*')}]",
            "A replayed job version (kappa replay) writes to its own versioned insights stream of this "
            "environment; the streams are created at replay time, so their names are known only by prefix.",
        )

    def _allow_logging(self, role: iam.Role, log_group: logs.LogGroup) -> None:
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:DescribeLogStreams", "logs:PutLogEvents"],
                resources=[f"{log_group.log_group_arn}"],
            )
        )
        # Managed Flink checks that the logging destination exists by listing the account's log groups.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:DescribeLogGroups"],
                resources=[
                    self.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{nag_arn(self, 'logs', 'log-group:*')}]",
            "logs:DescribeLogGroups has no resource-level scoping beyond the account's log groups; Managed "
            "Flink calls it to validate its CloudWatch logging option.",
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{logical_id_of(log_group)}.Arn>]",
            "The job's own log group (the ARN CloudFormation returns ends in :*, covering its log streams).",
        )
