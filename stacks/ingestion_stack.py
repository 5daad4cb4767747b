"""The ingestion stack: how every event enters the Kappa log (API → function → raw log → S3 archive).

The log is a Kinesis stream (default) or, with `log.backend: msk`, the `KafkaLog` (MSK Serverless in its own
VPC, raw and insights topics): the ingest function then runs in the log's VPC and the archive's Firehose
reads the raw topic. Exposes what the other stacks build on: `raw_stream` (+ `raw_stream_key`; None on msk),
`kafka_log` (None on kinesis), `archive_bucket`, `api`, `ingest_function` and the producers' `api_keys`;
and, for stacks that watch by name, the physical names `api_name`, `api_stage_name`, `ingest_function_name`,
`raw_stream_name`, `delivery_stream_name`, `archive_bucket_name`.
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
from stacks.config import IngestionConfig, LogConfig, ResourceNames
from stacks.constructs.event_stream import EventStream, EventStreamProps
from stacks.constructs.ingestion_api import IngestionApi, IngestionApiProps
from stacks.constructs.kafka_log import KafkaLog, KafkaLogProps
from stacks.constructs.python_function import PythonFunction, PythonFunctionProps
from stacks.constructs.stream_archive import KafkaArchiveSource, StreamArchive, StreamArchiveProps

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
        log: LogConfig | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Every CDK Lambda function (ours and CDK's own S3 auto-delete provider) lists its role in
        # DependsOn although `Role: !GetAtt` already orders it; cfn-lint warns about that redundancy.
        self.template_options.metadata = {"cfn-lint": {"config": {"ignore_checks": ["W3005"]}}}
        data_removal = cdk.RemovalPolicy.RETAIN if retain_data else cdk.RemovalPolicy.DESTROY

        log = log or LogConfig()
        self.kafka_log: KafkaLog | None = None
        self.raw_events: EventStream | None = None
        self.raw_stream: kinesis.Stream | None = None
        self.raw_stream_key: kms.Key | None = None
        archive_source: kinesis.IStream | KafkaArchiveSource
        if log.backend == "msk":
            self.kafka_log = KafkaLog(
                self,
                "Log",
                props=KafkaLogProps(
                    names=names,
                    settings=log.msk,
                    lambda_build_dir=lambda_build_dir,
                    removal_policy=data_removal,
                ),
            )
            archive_source = KafkaArchiveSource(log=self.kafka_log, topic=self.kafka_log.raw_topic)
        else:
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
            self.raw_stream = raw.stream
            self.raw_stream_key = raw.key
            self.raw_events = raw
            archive_source = raw.stream

        archive = StreamArchive(
            self,
            "Archive",
            props=StreamArchiveProps(
                source=archive_source,
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
                description="POST /v1/events: validates, enriches and appends events to the raw "
                + ("topic" if self.kafka_log else "stream"),
                settings=settings.function,
                build_dir=lambda_build_dir,
                environment={PUT_RECORDS_TIME_BUDGET_ENV: f"{settings.put_records_time_budget_seconds:g}"},
                removal_policy=data_removal,
                vpc=self.kafka_log.vpc if self.kafka_log else None,
                security_groups=(self.kafka_log.client_security_group,) if self.kafka_log else (),
            ),
        )
        if self.kafka_log is not None:
            self.kafka_log.grant_produce(ingest.function, topic=self.kafka_log.raw_topic)
            acknowledge(
                ingest.function,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
                "AWSLambdaVPCAccessExecutionRole only manages the function's own network interfaces in the "
                "log's VPC (it produces to MSK Serverless, reachable only from inside).",
            )
        else:
            assert self.raw_events is not None
            self.raw_events.grant_write_to(ingest.function, env_var=RAW_STREAM_NAME_ENV)
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
            "tracing needs Resource *; the log (stream and key, or topic) permissions name their resources.",
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
        if self.raw_stream is not None:
            cdk.CfnOutput(self, "RawStreamName", value=self.raw_stream.stream_name)
        if self.kafka_log is not None:
            cdk.CfnOutput(self, "KafkaClusterArn", value=self.kafka_log.cluster_arn)
            cdk.CfnOutput(self, "RawTopic", value=self.kafka_log.raw_topic)
        cdk.CfnOutput(self, "ArchiveBucketName", value=archive.bucket.bucket_name)
        for producer, key in api.api_keys.items():
            cdk.CfnOutput(
                self,
                f"ApiKeyId-{producer}",
                value=key.key_id,
                description=f"API key id of {producer}: aws apigateway get-api-key --include-value --api-key <id>",
            )
