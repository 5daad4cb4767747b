"""`StreamArchive`: Firehose copies the log (a Kinesis stream or an MSK topic) into S3 as GZIP NDJSON, hour by
hour (docs/archive-layout.md).

The archive is the replay source beyond the stream's retention, so the bucket is KMS-encrypted,
versioned, TLS-only, closed to the public and access-logged into its own logs bucket; storage moves to
cheaper classes as it ages. Glacier *Instant Retrieval* (not Flexible) keeps old hours readable by a
replay without a restore.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.compliance import acknowledge
from stacks.config import ArchiveConfig
from stacks.constructs.kafka_log import KafkaLog

ARCHIVE_ROOT: Final = "archive/"
ARCHIVE_DATA_PREFIX: Final = "archive/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/"
"""Hour partitions by the time records reached the stream (UTC), e.g. `archive/dt=2026-11-25/hour=13/`."""
ARCHIVE_ERROR_PREFIX: Final = (
    "archive-errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/"
)
ARCHIVE_FILE_EXTENSION: Final = ".ndjson.gz"
WRITTEN_PREFIXES: Final = ("archive/", "archive-errors/")
FIREHOSE_CIDR_MAPPING_ID: Final = "@aws-cdk--aws-kinesisfirehose.CidrBlocks"
ACCESS_LOGS_PREFIX: Final = "archive-bucket/"
INCOMPLETE_UPLOAD_DAYS: Final = 7
NONCURRENT_VERSION_DAYS: Final = 30


@dataclass(frozen=True, kw_only=True)
class KafkaArchiveSource:
    """An MSK Serverless topic as the archive's source (Firehose `MSKAsSource`, IAM auth, private
    connectivity through the managed VPC connection Firehose creates; nothing of ours runs in the VPC)."""

    log: KafkaLog
    topic: str


@dataclass(frozen=True, kw_only=True)
class StreamArchiveProps:
    source: kinesis.IStream | KafkaArchiveSource
    delivery_stream_name: str
    bucket_name: str | None = None
    """A fixed physical name for the archive bucket (None: CloudFormation generates one)."""
    settings: ArchiveConfig
    removal_policy: cdk.RemovalPolicy
    log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS


class StreamArchive(Construct):
    """`bucket` (+ `key`), its `access_logs_bucket`, and the Firehose `delivery_stream` filling it."""

    def __init__(self, scope: Construct, construct_id: str, *, props: StreamArchiveProps) -> None:
        super().__init__(scope, construct_id)
        destroy = props.removal_policy == cdk.RemovalPolicy.DESTROY
        settings = props.settings
        self.access_logs_bucket = s3.Bucket(
            self,
            "AccessLogs",
            # S3 server access logging can only deliver into an SSE-S3 encrypted bucket.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=cdk.Duration.days(settings.access_logs_expire_after_days),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(INCOMPLETE_UPLOAD_DAYS),
                )
            ],
            removal_policy=props.removal_policy,
            auto_delete_objects=destroy,
        )
        acknowledge(
            self.access_logs_bucket,
            "AwsSolutions-S1",
            "This bucket receives the archive bucket's server access logs; logging it into itself would "
            "loop and into another bucket would only move the question. CloudTrail covers its API calls.",
        )

        self.key = kms.Key(
            self,
            "Key",
            description=f"Encrypts the S3 archive written by {props.delivery_stream_name}",
            enable_key_rotation=True,
            removal_policy=props.removal_policy,
        )
        transitions = [
            s3.Transition(
                storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                transition_after=cdk.Duration.days(settings.infrequent_access_after_days),
            ),
            s3.Transition(
                storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                transition_after=cdk.Duration.days(settings.glacier_after_days),
            ),
        ]
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=props.bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix=ACCESS_LOGS_PREFIX,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="archive-storage-classes",
                    transitions=transitions,
                    expiration=(
                        cdk.Duration.days(settings.expire_after_days) if settings.expire_after_days else None
                    ),
                    noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_VERSION_DAYS),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(INCOMPLETE_UPLOAD_DAYS),
                )
            ],
            removal_policy=props.removal_policy,
            auto_delete_objects=destroy,
        )

        self.log_group = logs.LogGroup(
            self, "DeliveryLogs", retention=props.log_retention, removal_policy=props.removal_policy
        )
        self.delivery_role = self._delivery_role(props.source)
        # The construct's own grants would add s3:DeleteObject* and KMS wildcards to the role; an archive
        # that replays depend on gets exactly what Firehose needs (see `_delivery_role`) and no more.
        fixed_role = self.delivery_role.without_policy_updates()
        kafka = props.source if isinstance(props.source, KafkaArchiveSource) else None
        self.delivery_stream = firehose.DeliveryStream(
            self,
            "Delivery",
            delivery_stream_name=props.delivery_stream_name,
            role=fixed_role,
            # The L2 knows Kinesis and Direct PUT sources only; an MSK source is set on the L1 below.
            source=None if kafka else firehose.KinesisStreamSource(props.source),  # type: ignore[arg-type]
            destination=firehose.S3Bucket(
                self.bucket,
                role=fixed_role,
                data_output_prefix=ARCHIVE_DATA_PREFIX,
                error_output_prefix=ARCHIVE_ERROR_PREFIX,
                file_extension=ARCHIVE_FILE_EXTENSION,
                compression=firehose.Compression.GZIP,
                # Records carry no trailing newline; this makes every file newline-delimited JSON.
                processors=[firehose.AppendDelimiterToRecordProcessor()],
                buffering_interval=cdk.Duration.seconds(settings.buffer_seconds),
                buffering_size=cdk.Size.mebibytes(settings.buffer_mb),
                encryption_key=self.key,
                logging_config=firehose.EnableLogging(self.log_group),
            ),
        )
        # Firehose checks its permissions on creation: create the policy first (the role already is,
        # through the RoleARN reference).
        policy = self.delivery_role.node.find_child("DefaultPolicy")
        self.delivery_stream.node.add_dependency(policy)
        if kafka is not None:
            self._read_from_kafka(kafka)
        acknowledge(
            self.delivery_stream,
            "AwsSolutions-KDF1",
            "Firehose supports server-side encryption only for Direct PUT sources, not for a Kinesis stream "
            "or MSK topic: the records are encrypted at rest in the source (KMS) and in S3 (customer-managed "
            "KMS key) and in transit by TLS.",
        )
        _drop_unused_firehose_cidr_mapping(cdk.Stack.of(self))

    def _read_from_kafka(self, source: KafkaArchiveSource) -> None:
        """Make the delivery stream an `MSKAsSource` stream reading `source.topic` (IAM auth, private)."""
        resource = self.delivery_stream.node.default_child
        assert isinstance(resource, firehose.CfnDeliveryStream)
        resource.add_property_override("DeliveryStreamType", "MSKAsSource")
        resource.add_property_override(
            "MSKSourceConfiguration",
            {
                "MSKClusterARN": source.log.cluster_arn,
                "TopicName": source.topic,
                "AuthenticationConfiguration": {
                    "Connectivity": "PRIVATE",
                    "RoleARN": self.delivery_role.role_arn,
                },
            },
        )
        # The topic and the cluster policy for Firehose's VPC connection must exist first.
        self.delivery_stream.node.add_dependency(source.log.topics)
        if source.log.firehose_policy is not None:
            self.delivery_stream.node.add_dependency(source.log.firehose_policy)

    def _delivery_role(self, source: kinesis.IStream | KafkaArchiveSource) -> iam.Role:
        """The Firehose role, per the Firehose developer guide's policy for a Kinesis or MSK source and S3."""
        role = iam.Role(
            self,
            "DeliveryRole",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
            ),
            description="Firehose: read the raw events "
            + ("topic" if isinstance(source, KafkaArchiveSource) else "stream")
            + ", write the S3 archive",
        )
        if isinstance(source, KafkaArchiveSource):
            source.log.grant_firehose_source(role, topic=source.topic)
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{source.log.nag_arn('group', '*')}]",
                "Firehose reads the topic as a consumer group it names itself; DescribeGroup on this "
                "cluster's groups only (read-only).",
            )
        else:
            _allow_kinesis_reads(role, source)
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[self.bucket.bucket_arn],
            )
        )
        object_arns = [self.bucket.arn_for_objects(f"{prefix}*") for prefix in WRITTEN_PREFIXES]
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"], resources=object_arns
            )
        )
        # Decrypt is needed to complete multipart uploads of large files.
        role.add_to_policy(
            iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[self.key.key_arn])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:PutLogEvents", "logs:CreateLogStream"],
                resources=[self.log_group.log_group_arn],
            )
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{_logical_id(self.bucket)}.Arn>/{WRITTEN_PREFIXES[0]}*]",
            "Firehose names every archive object itself (hour prefix + generated file name); the "
            "permission is limited to new objects under archive/.",
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{_logical_id(self.bucket)}.Arn>/{WRITTEN_PREFIXES[1]}*]",
            "Firehose names every error object itself; the permission is limited to archive-errors/.",
        )
        return role


def _allow_kinesis_reads(role: iam.Role, source: kinesis.IStream) -> None:
    role.add_to_policy(
        iam.PolicyStatement(
            actions=[
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:GetShardIterator",
                "kinesis:GetRecords",
                "kinesis:ListShards",
            ],
            resources=[source.stream_arn],
        )
    )
    if source.encryption_key is not None:
        role.add_to_policy(
            iam.PolicyStatement(actions=["kms:Decrypt"], resources=[source.encryption_key.key_arn])
        )


def _logical_id(construct: Construct) -> str:
    resource = construct.node.default_child
    assert isinstance(resource, cdk.CfnElement)
    return cdk.Stack.of(construct).resolve(resource.logical_id)


def _drop_unused_firehose_cidr_mapping(stack: cdk.Stack) -> None:
    """The Firehose construct adds a mapping of Firehose CIDR blocks used only by VPC destinations.

    With an S3 destination nothing references it, which cfn-lint reports (W7001).
    """
    mapping = stack.node.try_find_child(FIREHOSE_CIDR_MAPPING_ID)
    if isinstance(mapping, cdk.CfnMapping):
        stack.node.try_remove_child(FIREHOSE_CIDR_MAPPING_ID)
