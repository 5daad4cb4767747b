"""The delivery stack: webhook subscriptions, the fan-out from the insights stream, retries and dead letters.

Inputs are references owned by other stacks (keyword-only): the insights stream to consume and the REST API
to attach `/v1/webhooks` to. The routes are built on an imported view of that API inside this stack, with
this stack's own deployment of the stage, so the dependency only points from here to the API's stack (the
pattern of CDK's "Breaking up Methods and Resources across Stacks"): the API's stack never refers back,
and no cycle can form with the stream (processing) → ingestion chain.

On `log.backend: msk` the fan-out reads the insights topic through an MSK event source mapping (provisioned
pollers, which Lambda needs for bisecting, retries, partial batch responses and the on-failure destination on
Kafka) as consumer group `fanout_consumer_group`; the function itself stays outside the VPC (it calls public
subscribers), the mapping's pollers run in the cluster's subnets.

On Kinesis the fan-out may also read the other job versions' insights streams (`<prefix>-insights-*`): `kappa replay`
creates them with the running stream's key and `kappa cutover` moves the fan-out's event source mapping onto
one (docs/replay.md), so the role must allow it before anyone runs the cut-over.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from lambdas.webhooks_common import delivery_log, environment, subscriptions
from stacks.compliance import acknowledge, nag_arn
from stacks.config import RETRY_QUEUE_MAX_RECEIVES, DeliveryConfig, ResourceNames
from stacks.constructs.kafka_log import KafkaLog
from stacks.constructs.python_function import PythonFunction, PythonFunctionProps
from stacks.lambda_build import DEFAULT_BUILD_DIR

QUEUE_RETENTION = cdk.Duration.days(14)
RETRY_BATCH_SIZE = 10
STREAM_CONSUMER_ACTIONS = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
    "kinesis:SubscribeToShard",
)
"""What a Lambda event source mapping needs on a Kinesis stream (Lambda developer guide). `ListStreams` is
left out: it has no resource-level permission (it would need `*`) and the mapping does not need it."""
RETRY_MAX_CONCURRENCY = 5
"""Retries are worked off by at most this many concurrent invocations, so a mass failure cannot starve the
stream consumer of account concurrency."""
ADMIN_RATE_LIMIT = 10
ADMIN_BURST_LIMIT = 20

# (path below /v1/webhooks, methods)
WEBHOOK_ROUTES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("", ("GET", "POST")),
    ("{id}", ("GET", "PATCH", "DELETE")),
    ("{id}/rotate-secret", ("POST",)),
    ("{id}/deliveries", ("GET",)),
)


class DeliveryStack(cdk.Stack):
    """Tables, queues, keys, the fan-out and management Lambdas, and the admin key for `/v1/webhooks`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeliveryConfig,
        names: ResourceNames,
        insights_stream: kinesis.IStream | None,
        api: apigateway.RestApi,
        api_stage_name: str,
        retain_data: bool = False,
        lambda_build_dir: Path = DEFAULT_BUILD_DIR,
        kafka_log: KafkaLog | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        if (insights_stream is None) == (kafka_log is None):
            raise ValueError(
                "DeliveryStack reads exactly one log: give insights_stream (Kinesis) or kafka_log (MSK)"
            )
        removal = cdk.RemovalPolicy.RETAIN if retain_data else cdk.RemovalPolicy.DESTROY

        self.data_key = kms.Key(
            self,
            "DataKey",
            description=f"{names.prefix}: webhook subscriptions, delivery log and queues",
            enable_key_rotation=True,
            removal_policy=removal,
        )
        self.signing_secrets_key = kms.Key(
            self,
            "SigningSecretsKey",
            description=f"{names.prefix}: webhook signing secrets (encryption context = subscription id)",
            enable_key_rotation=True,
            removal_policy=removal,
        )

        self.subscriptions_table = dynamodb.Table(
            self,
            "Subscriptions",
            table_name=names.subscriptions_table,
            partition_key=dynamodb.Attribute(
                name=subscriptions.PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.data_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=retain_data,
            removal_policy=removal,
        )
        self.delivery_log_table = dynamodb.Table(
            self,
            "DeliveryLog",
            table_name=names.delivery_log_table,
            partition_key=dynamodb.Attribute(
                name=delivery_log.PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(name=delivery_log.SORT_KEY, type=dynamodb.AttributeType.STRING),
            time_to_live_attribute=delivery_log.TTL_ATTRIBUTE,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.data_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=removal,
        )

        self.dead_letter_queue = self._queue("DeadLetters", names.dead_letter_queue, removal)
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This is the webhook dead-letter queue itself; its messages are redriven by `kappa webhooks redrive`.",
        )
        self.failed_batches_queue = self._queue("FailedBatches", names.failed_batches_queue, removal)
        acknowledge(
            self.failed_batches_queue,
            "AwsSolutions-SQS3",
            "On-failure destination of the insights event source mapping (a dead-letter queue of batch pointers).",
        )
        self.retry_queue = self._queue(
            "Retries",
            names.retry_queue,
            removal,
            visibility_timeout=cdk.Duration.seconds(settings.retry_queue_visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=RETRY_QUEUE_MAX_RECEIVES, queue=self.dead_letter_queue
            ),
        )

        shared_environment = {
            environment.SUBSCRIPTIONS_TABLE: self.subscriptions_table.table_name,
            environment.DELIVERY_LOG_TABLE: self.delivery_log_table.table_name,
            environment.ALLOW_LOOPBACK_TARGETS: "true" if settings.allow_loopback_targets else "false",
            environment.DELIVERY_LOG_TTL_DAYS: str(settings.delivery_log_ttl_days),
        }
        self.fanout = PythonFunction(
            self,
            "Fanout",
            props=PythonFunctionProps(
                name="fanout",
                function_name=names.fanout_function,
                description="Delivers insights to webhook subscribers: signs, sends, retries, dead-letters",
                settings=settings.function,
                build_dir=lambda_build_dir,
                environment={
                    **shared_environment,
                    environment.RETRY_QUEUE_URL: self.retry_queue.queue_url,
                    environment.DEAD_LETTER_QUEUE_URL: self.dead_letter_queue.queue_url,
                    environment.CONNECT_TIMEOUT_SECONDS: f"{settings.connect_timeout_seconds:g}",
                    environment.READ_TIMEOUT_SECONDS: f"{settings.read_timeout_seconds:g}",
                    environment.MAX_CONCURRENCY: str(settings.max_concurrency),
                    environment.MAX_CONCURRENCY_PER_SUBSCRIBER: str(settings.max_concurrency_per_subscriber),
                },
            ),
        )
        fanout = self.fanout.function
        self.subscriptions_table.grant_read_data(fanout)
        self.subscriptions_table.grant(fanout, "dynamodb:UpdateItem")  # disable on 410 Gone
        self.delivery_log_table.grant(
            fanout,
            "dynamodb:BatchGetItem",
            "dynamodb:UpdateItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:PutItem",
        )
        self.data_key.grant_encrypt_decrypt(fanout)
        self.signing_secrets_key.grant_decrypt(fanout)
        self.retry_queue.grant_send_messages(fanout)
        self.dead_letter_queue.grant_send_messages(fanout)

        self.insights_mapping: lambda_.CfnEventSourceMapping | None = None
        if kafka_log is not None:
            self.insights_mapping = self._consume_insights_topic(settings, names, kafka_log)
        else:
            assert insights_stream is not None
            self.fanout.invocable.add_event_source(
                event_sources.KinesisEventSource(
                    insights_stream,
                    starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                    batch_size=settings.batch_size,
                    parallelization_factor=settings.parallelization_factor,
                    max_batching_window=cdk.Duration.seconds(settings.max_batching_window_seconds),
                    bisect_batch_on_error=True,
                    retry_attempts=settings.max_retry_attempts,
                    max_record_age=cdk.Duration.seconds(settings.max_record_age_seconds),
                    report_batch_item_failures=True,
                    on_failure=event_sources.SqsDlq(self.failed_batches_queue),
                )
            )
            self._allow_reading_other_versions_insights(names, insights_stream)
        self.fanout.invocable.add_event_source(
            event_sources.SqsEventSource(
                self.retry_queue,
                batch_size=RETRY_BATCH_SIZE,
                max_batching_window=cdk.Duration.seconds(1),
                max_concurrency=RETRY_MAX_CONCURRENCY,
                report_batch_item_failures=True,
            )
        )

        self.admin_api_key = apigateway.ApiKey(
            self,
            "AdminApiKey",
            api_key_name=f"{names.prefix}-webhooks-admin",
            description="Manages webhook subscriptions (/v1/webhooks); not a producer key",
        )
        self.api_function = PythonFunction(
            self,
            "WebhooksApi",
            props=PythonFunctionProps(
                name="webhooks_api",
                function_name=names.webhooks_api_function,
                description="Webhook subscription management API (/v1/webhooks)",
                settings=settings.api_function,
                build_dir=lambda_build_dir,
                environment={
                    **shared_environment,
                    environment.SIGNING_SECRETS_KEY_ID: self.signing_secrets_key.key_arn,
                    environment.SECRET_ROTATION_GRACE_HOURS: str(settings.secret_rotation_grace_hours),
                    environment.ADMIN_API_KEY_IDS: self.admin_api_key.key_id,
                },
            ),
        )
        api_function = self.api_function.function
        self.subscriptions_table.grant_read_write_data(api_function)
        self.delivery_log_table.grant(api_function, "dynamodb:Query")
        self.data_key.grant_encrypt_decrypt(api_function)
        self.signing_secrets_key.grant_encrypt(api_function)

        self.api_methods = self._routes(api, api_stage_name)
        self.admin_usage_plan = apigateway.UsagePlan(
            self,
            "AdminUsagePlan",
            name=f"{names.prefix}-webhooks-admin",
            description="Webhook administration: low rate, admin key only",
            throttle=apigateway.ThrottleSettings(rate_limit=ADMIN_RATE_LIMIT, burst_limit=ADMIN_BURST_LIMIT),
        )
        self.admin_usage_plan.add_api_key(self.admin_api_key)
        self.admin_usage_plan.node.default_child.add_property_override(  # type: ignore[union-attr]
            "ApiStages", [{"ApiId": api.rest_api_id, "Stage": api_stage_name}]
        )
        self.admin_usage_plan.node.add_dependency(self.routes_deployment)

        self._acknowledge_lambda_findings(on_kafka=kafka_log is not None)
        cdk.CfnOutput(self, "AdminApiKeyId", value=self.admin_api_key.key_id)
        cdk.CfnOutput(self, "DeadLetterQueueUrl", value=self.dead_letter_queue.queue_url)
        cdk.CfnOutput(self, "RetryQueueUrl", value=self.retry_queue.queue_url)

    def _consume_insights_topic(
        self, settings: DeliveryConfig, names: ResourceNames, kafka_log: KafkaLog
    ) -> lambda_.CfnEventSourceMapping:
        """The fan-out's MSK event source mapping on the insights topic (L1: the L2 `ManagedKafkaEventSource`
        has no provisioned pollers, which Lambda requires for bisect, retries and partial failures on Kafka)."""
        fanout = self.fanout.invocable
        kafka_log.grant_event_source(self.fanout.function, topic=kafka_log.insights_topic,
                                     group=names.fanout_consumer_group)  # fmt: skip
        self.failed_batches_queue.grant_send_messages(self.fanout.function)
        mapping = lambda_.CfnEventSourceMapping(
            self,
            "InsightsTopicMapping",
            function_name=fanout.function_arn,
            event_source_arn=kafka_log.cluster_arn,
            topics=[kafka_log.insights_topic],
            starting_position="TRIM_HORIZON",
            batch_size=settings.batch_size,
            maximum_batching_window_in_seconds=settings.max_batching_window_seconds,
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=settings.max_retry_attempts,
            maximum_record_age_in_seconds=settings.max_record_age_seconds,
            function_response_types=["ReportBatchItemFailures"],
            destination_config=lambda_.CfnEventSourceMapping.DestinationConfigProperty(
                on_failure=lambda_.CfnEventSourceMapping.OnFailureProperty(
                    destination=self.failed_batches_queue.queue_arn
                )
            ),
            amazon_managed_kafka_event_source_config=lambda_.CfnEventSourceMapping.AmazonManagedKafkaEventSourceConfigProperty(
                consumer_group_id=names.fanout_consumer_group
            ),
            provisioned_poller_config=lambda_.CfnEventSourceMapping.ProvisionedPollerConfigProperty(
                minimum_pollers=settings.kafka_min_pollers, maximum_pollers=settings.kafka_max_pollers
            ),
        )
        # Lambda checks the role when the mapping is created: the policy first.
        policy = self.fanout.function.role.node.try_find_child("DefaultPolicy")  # type: ignore[union-attr]
        if policy is not None:
            mapping.node.add_dependency(policy)
        return mapping

    def _allow_reading_other_versions_insights(self, names: ResourceNames, current: kinesis.IStream) -> None:
        """Read (as an event source) any insights stream of this environment, and decrypt it: after
        `kappa cutover V2` the fan-out's mapping reads `<prefix>-insights-V2`, which `kappa replay` created
        (so its name is known only by prefix) with the running insights stream's key."""
        fanout = self.fanout.function
        versions = self.format_arn(
            service="kinesis", resource="stream", resource_name=f"{names.insights_stream()}-*"
        )
        fanout.add_to_role_policy(
            iam.PolicyStatement(actions=list(STREAM_CONSUMER_ACTIONS), resources=[versions])
        )
        if current.encryption_key is not None:  # None: the AWS-managed aws/kinesis key, no grant needed
            current.encryption_key.grant(fanout, "kms:Decrypt")
        acknowledge(
            fanout,
            f"AwsSolutions-IAM5[Resource::{nag_arn(self, 'kinesis', f'stream/{names.insights_stream()}-*')}]",
            "After `kappa cutover` the fan-out consumes the new job version's insights stream, which `kappa "
            "replay` creates at replay time: only this environment's insights streams, read-only.",
        )

    def _queue(
        self, construct_id: str, name: str | None, removal: cdk.RemovalPolicy, **options: object
    ) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            queue_name=name,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.data_key,
            enforce_ssl=True,
            retention_period=QUEUE_RETENTION,
            removal_policy=removal,
            **options,  # type: ignore[arg-type]
        )

    def _routes(self, api: apigateway.RestApi, stage_name: str) -> list[apigateway.Method]:
        """`/v1/webhooks...` on an imported view of the API, and a deployment of the stage that includes them."""
        imported = apigateway.RestApi.from_rest_api_attributes(
            self, "Api", rest_api_id=api.rest_api_id, root_resource_id=api.rest_api_root_resource_id
        )
        version = api.root.resource_for_path("v1")  # shared with the ingestion routes: get or create
        parent = apigateway.Resource.from_resource_attributes(
            self, "V1", rest_api=imported, resource_id=version.resource_id, path="/v1"
        )
        webhooks = parent.add_resource("webhooks")
        integration = apigateway.LambdaIntegration(self.api_function.invocable, allow_test_invoke=False)
        methods: list[apigateway.Method] = []
        for sub_path, verbs in WEBHOOK_ROUTES:
            resource = webhooks.resource_for_path(sub_path) if sub_path else webhooks
            for verb in verbs:
                method = resource.add_method(verb, integration, api_key_required=True)
                methods.append(method)
                acknowledge(
                    method,
                    "AwsSolutions-APIG4",
                    "Admin-only route: API Gateway requires an API key and the handler admits only the admin key id.",
                )
                acknowledge(
                    method,
                    "AwsSolutions-COG4",
                    "Machine-to-machine admin API authenticated by a dedicated API key; no end-user Cognito pool.",
                )
        # A new deployment whenever the routes change; it re-points the existing stage (and, being a snapshot
        # of the whole API, keeps the other stacks' routes live too).
        self.routes_deployment = apigateway.Deployment(
            self, "RoutesDeployment", api=imported, stage_name=stage_name, description="/v1/webhooks routes"
        )
        self.routes_deployment.add_to_logical_id(json.dumps(WEBHOOK_ROUTES))
        for method in methods:
            self.routes_deployment.node.add_dependency(method)
        return methods

    def _acknowledge_lambda_findings(self, *, on_kafka: bool) -> None:
        for function in (self.fanout, self.api_function):
            _drop_redundant_role_dependency(function.function)
            acknowledge(
                function,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                "AWSLambdaBasicExecutionRole only allows writing this function's own CloudWatch Logs.",
            )
            acknowledge(
                function,
                "AwsSolutions-IAM5[Resource::*]",
                "X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions (active tracing)."
                + (
                    " The MSK event source mapping's pollers need EC2 Describe* and network-interface actions in "
                    "the cluster's VPC, which EC2 does not scope to resources (Lambda developer guide)."
                    if on_kafka and function is self.fanout
                    else ""
                ),
            )
            acknowledge(
                function,
                "AwsSolutions-L1",
                "Python 3.12 is pinned: the assets are built for cp312/aarch64 and match Managed Flink 2.2's Python.",
            )
            for action in ("kms:ReEncrypt*", "kms:GenerateDataKey*"):
                acknowledge(
                    function,
                    f"AwsSolutions-IAM5[Action::{action}]",
                    f"{action} comes from CDK's KMS grant helpers and is scoped to this stack's own keys.",
                )


def _drop_redundant_role_dependency(function: lambda_.Function) -> None:
    """CDK makes the function DependsOn its role although `Role: !GetAtt` already orders them (cfn-lint
    W3005); keep only the dependency on the role's policy, which the GetAtt does not imply."""
    role = function.role
    policy = role.node.try_find_child("DefaultPolicy") if role else None
    if policy is None:
        return
    resource = function.node.default_child
    stack = cdk.Stack.of(function)
    resource.add_override("DependsOn", [stack.get_logical_id(policy.node.default_child)])  # type: ignore[union-attr]
