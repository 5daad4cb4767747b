"""The ingestion stack: how every event enters the Kappa log (API → function → raw stream → S3 archive).

Exposes what the other stacks build on: `raw_stream` (+ `raw_stream_key`), `archive_bucket`, `api`,
`ingest_function` and the producers' `api_keys`; and, for stacks that watch by name, the physical names
`api_name`, `api_stage_name`, `ingest_function_name`, `raw_stream_name`, `delivery_stream_name`,
`archive_bucket_name`.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.compliance import acknowledge
from stacks.config import IngestionConfig, ResourceNames
from stacks.constructs.event_stream import EventStream, EventStreamProps
from stacks.constructs.ingestion_api import IngestionApi, IngestionApiProps
from stacks.constructs.python_function import PythonFunction, PythonFunctionProps
from stacks.constructs.stream_archive import StreamArchive, StreamArchiveProps

# Environment variables of the ingestion function (read by lambdas/ingest/settings.py).
RAW_STREAM_NAME_ENV = "RAW_STREAM_NAME"
PUT_RECORDS_TIME_BUDGET_ENV = "PUT_RECORDS_TIME_BUDGET_SECONDS"


class IngestionStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: IngestionConfig,
        names: ResourceNames,
        retain_data: bool,
        lambda_build_dir: Path,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Every CDK Lambda function (ours and CDK's own S3 auto-delete provider) lists its role in
        # DependsOn although `Role: !GetAtt` already orders it; cfn-lint warns about that redundancy.
        self.template_options.metadata = {"cfn-lint": {"config": {"ignore_checks": ["W3005"]}}}
        data_removal = cdk.RemovalPolicy.RETAIN if retain_data else cdk.RemovalPolicy.DESTROY

        raw = EventStream(
            self,
            "RawEvents",
            props=EventStreamProps(
                stream_name=names.raw_stream,
                settings=settings.raw_stream,
                removal_policy=data_removal,
                description="raw behaviour events, the Kappa log",
            ),
        )
        self.raw_stream: kinesis.Stream = raw.stream
        self.raw_stream_key: kms.Key = raw.key
        self.raw_events = raw

        archive = StreamArchive(
            self,
            "Archive",
            props=StreamArchiveProps(
                source=raw.stream,
                delivery_stream_name=names.raw_archive_delivery_stream,
                bucket_name=names.archive_bucket(self.account),
                settings=settings.archive,
                removal_policy=data_removal,
            ),
        )
        self.archive = archive
        self.archive_bucket: s3.Bucket = archive.bucket

        ingest = PythonFunction(
            self,
            "Ingest",
            props=PythonFunctionProps(
                name="ingest",
                function_name=names.ingest_function,
                description="POST /v1/events: validates, enriches and appends events to the raw stream",
                settings=settings.function,
                build_dir=lambda_build_dir,
                environment={PUT_RECORDS_TIME_BUDGET_ENV: f"{settings.put_records_time_budget_seconds:g}"},
                removal_policy=data_removal,
            ),
        )
        raw.grant_write_to(ingest.function, env_var=RAW_STREAM_NAME_ENV)
        self.ingest_function: lambda_.Function = ingest.function
        self.ingest = ingest
        acknowledge(
            ingest.function,
            "AwsSolutions-L1",
            "Python 3.12 is pinned on purpose: the dependency wheels are built for it and it matches the "
            "Managed Flink 2.2 runtime the shared events package also runs on; upgrades go through CI.",
        )
        acknowledge(
            ingest.function,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs; the "
            "AWS-managed policy follows log service changes better than a copy would.",
        )
        acknowledge(
            ingest.function,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions, so active "
            "tracing needs Resource *; the stream and key permissions name their resources.",
        )

        api = IngestionApi(
            self,
            "Api",
            props=IngestionApiProps(
                api_name=names.ingestion_api,
                stage_name=settings.stage_name,
                handler=ingest.invocable,
                producers=settings.producers,
                removal_policy=data_removal,
            ),
        )
        self.ingestion_api = api
        self.api: apigw.RestApi = api.api
        self.api_keys: dict[str, apigw.IApiKey] = api.api_keys

        # Physical names for stacks that watch these resources by name (monitoring): plain strings, except
        # the bucket's account id, which is the AWS::AccountId pseudo parameter in an env-agnostic stack.
        self.api_name = names.ingestion_api
        self.api_stage_name = settings.stage_name
        self.ingest_function_name = names.ingest_function
        self.raw_stream_name = names.raw_stream
        self.delivery_stream_name = names.raw_archive_delivery_stream
        self.archive_bucket_name = names.archive_bucket(self.account)

        cdk.CfnOutput(self, "EventsUrl", value=api.events_url, description="POST events here")
        cdk.CfnOutput(self, "RawStreamName", value=raw.stream.stream_name)
        cdk.CfnOutput(self, "ArchiveBucketName", value=archive.bucket.bucket_name)
        for producer, key in api.api_keys.items():
            cdk.CfnOutput(
                self,
                f"ApiKeyId-{producer}",
                value=key.key_id,
                description=f"API key id of {producer}: aws apigateway get-api-key --include-value --api-key <id>",
            )
