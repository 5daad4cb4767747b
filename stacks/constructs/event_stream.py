"""`EventStream`: a KMS-encrypted Kinesis data stream (on-demand or provisioned) that owns its grants.

Used for the raw events stream (the Kappa log) and reusable for the insights stream. Granting write
access to a function also sets the stream's name in the function's environment, so the permission and
the setting that needs it cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.compliance import acknowledge
from stacks.config import StreamConfig

PRODUCER_ACTIONS: Final = ("kinesis:PutRecord", "kinesis:PutRecords")


@dataclass(frozen=True, kw_only=True)
class EventStreamProps:
    stream_name: str
    settings: StreamConfig
    removal_policy: cdk.RemovalPolicy
    description: str


class EventStream(Construct):
    """The stream (`stream`) and its customer-managed key with yearly rotation (`key`)."""

    def __init__(self, scope: Construct, construct_id: str, *, props: EventStreamProps) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"Encrypts the {props.stream_name} Kinesis stream ({props.description})",
            alias=f"alias/{props.stream_name}",
            enable_key_rotation=True,
            removal_policy=props.removal_policy,
        )
        provisioned = props.settings.mode == "provisioned"
        self.stream = kinesis.Stream(
            self,
            "Stream",
            stream_name=props.stream_name,
            stream_mode=kinesis.StreamMode.PROVISIONED if provisioned else kinesis.StreamMode.ON_DEMAND,
            shard_count=props.settings.shard_count if provisioned else None,
            retention_period=cdk.Duration.hours(props.settings.retention_hours),
            encryption=kinesis.StreamEncryption.KMS,
            encryption_key=self.key,
            removal_policy=props.removal_policy,
        )
        acknowledge(
            self.stream,
            "AwsSolutions-KDS3",
            "A customer-managed key is deliberate: its key policy decides who may read the log (Flink, "
            "Firehose, replays), it rotates yearly and its use is audited; aws/kinesis allows neither.",
        )

    def grant_write_to(self, function: lambda_.Function, *, env_var: str) -> None:
        """Let `function` put records; tell it the stream name in `env_var`.

        Narrower than `Stream.grant_write`: a Kinesis producer needs only `kms:GenerateDataKey` on the
        stream key (no `ReEncrypt*`/`GenerateDataKey*` wildcards).
        """
        function.add_environment(env_var, self.stream.stream_name)
        iam.Grant.add_to_principal(
            grantee=function,
            actions=list(PRODUCER_ACTIONS),
            resource_arns=[self.stream.stream_arn],
        )
        self.key.grant(function, "kms:GenerateDataKey")

    def grant_read_to(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` read records (and decrypt with the key)."""
        return self.stream.grant_read(grantee)
