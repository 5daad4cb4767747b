"""`IngestionApi`: the REST API `POST /v1/events` in front of the ingestion function.

One API key and usage plan (rate, burst, daily quota) per configured producer; the request body model
is generated from the event schema (`request_models.py`) and enforced by a request validator; JSON
access logs (with the API key *id*, never the key), X-Ray tracing, execution logs at ERROR without
bodies, and stage-wide throttling. The Lambda proxy integration leaves every answer about events to the
function (docs/ingestion-api.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.compliance import acknowledge
from stacks.config import ProducerConfig
from stacks.constructs.request_models import event_batch_model, event_model

EVENTS_RESOURCE_PATH: Final = ("v1", "events")
API_GATEWAY_MAX_RATE: Final = 10_000
API_GATEWAY_MAX_BURST: Final = 5_000
# `$context.identity.apiKey` (the secret) is deliberately absent.
ACCESS_LOG_FIELDS: Final = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "apiKeyId": "$context.identity.apiKeyId",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatencyMs": "$context.responseLatency",
    "integrationStatus": "$context.integration.status",
    "integrationLatencyMs": "$context.integration.latency",
    "errorType": "$context.error.responseType",
    "errorMessage": "$context.error.message",
    "validationError": "$context.error.validationErrorString",
    "xrayTraceId": "$context.xrayTraceId",
}


@dataclass(frozen=True, kw_only=True)
class IngestionApiProps:
    api_name: str
    stage_name: str
    handler: lambda_.IFunction
    producers: tuple[ProducerConfig, ...]
    removal_policy: cdk.RemovalPolicy
    access_log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS


class IngestionApi(Construct):
    """`api`, `stage`, `access_log_group`, and per producer name its `api_keys` and `usage_plans`."""

    def __init__(self, scope: Construct, construct_id: str, *, props: IngestionApiProps) -> None:
        super().__init__(scope, construct_id)
        self.access_log_group = logs.LogGroup(
            self, "AccessLogs", retention=props.access_log_retention, removal_policy=props.removal_policy
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=props.api_name,
            description="Kappa Commerce event ingestion: POST /v1/events (docs/ingestion-api.md)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            api_key_source_type=apigw.ApiKeySourceType.HEADER,
            # Execution logging needs the account's API Gateway CloudWatch role; kept on stack deletion
            # because it is one setting per account and region that other APIs rely on too.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=cdk.RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=props.stage_name,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # never log request bodies (events) or headers (API keys)
                access_log_destination=apigw.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
                throttling_rate_limit=min(API_GATEWAY_MAX_RATE, sum(p.rate_limit for p in props.producers)),
                throttling_burst_limit=min(
                    API_GATEWAY_MAX_BURST, sum(p.burst_limit for p in props.producers)
                ),
            ),
        )
        self.stage = self.api.deployment_stage
        acknowledge(
            self.stage,
            "AwsSolutions-APIG3",
            "Producers are known back-end systems with their own API keys, usage-plan throttling and daily "
            "quotas; the WAF common rule set would block normal batches (its body limit is 8 KB). A web "
            "ACL can be associated per environment without changing this stack.",
        )
        role = self.api.node.try_find_child("CloudWatchRole")
        if role is not None:
            acknowledge(
                role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                "The account-level API Gateway logging role uses the AWS-managed policy AWS documents for "
                "exactly this purpose (write execution and access logs).",
            )

        self.event_model = self._add_model(
            "EventModel",
            name="Event",
            description="One behaviour event as producers send it (generated from events/schemas).",
            document=event_model(),
        )
        self.request_model = self._add_model(
            "EventBatchModel",
            name="EventBatch",
            description="The POST /v1/events body; each event is validated by the ingestion function.",
            document=event_batch_model(),
        )
        self.request_validator = self.api.add_request_validator(
            "RequestValidator",
            request_validator_name="body-and-parameters",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        resource = self.api.root
        for part in EVENTS_RESOURCE_PATH:
            resource = resource.add_resource(part)
        self.events_method = resource.add_method(
            "POST",
            apigw.LambdaIntegration(props.handler, proxy=True, allow_test_invoke=False),
            api_key_required=True,
            request_models={"application/json": self.request_model},
            request_validator=self.request_validator,
            operation_name="PostEvents",
        )
        for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            acknowledge(
                self.events_method,
                rule,
                "The ingestion contract (DESIGN.md) authenticates producers, which are server-side systems, "
                "by API key: each has its own key, usage plan, throttle and quota, and the key id is stamped "
                "on every event; there are no end users to put behind Cognito or IAM.",
            )

        self.api_keys: dict[str, apigw.IApiKey] = {}
        self.usage_plans: dict[str, apigw.UsagePlan] = {}
        for producer in props.producers:
            scope_id = f"Producer-{producer.name}"
            plan = self.api.add_usage_plan(
                f"{scope_id}-Plan",
                name=f"{props.api_name}-{producer.name}",
                description=f"Limits of producer {producer.name}",
                throttle=apigw.ThrottleSettings(
                    rate_limit=producer.rate_limit, burst_limit=producer.burst_limit
                ),
                quota=(
                    apigw.QuotaSettings(limit=producer.quota_per_day, period=apigw.Period.DAY)
                    if producer.quota_per_day
                    else None
                ),
                api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.stage)],
            )
            # API Gateway generates the key value: it never appears in the template or in logs.
            key = self.api.add_api_key(
                f"{scope_id}-Key",
                api_key_name=f"{props.api_name}-{producer.name}",
                description=f"API key of producer {producer.name}",
            )
            plan.add_api_key(key)
            self.api_keys[producer.name] = key
            self.usage_plans[producer.name] = plan

    def _add_model(
        self, construct_id: str, *, name: str, description: str, document: dict[str, Any]
    ) -> apigw.IModel:
        """A model holding `document` verbatim (the L2 `JsonSchema` type would need every keyword re-mapped)."""
        model = apigw.CfnModel(
            self,
            construct_id,
            rest_api_id=self.api.rest_api_id,
            name=name,
            content_type="application/json",
            description=description,
            schema=document,
        )
        # A changed model must produce a new deployment, as the L2 `add_model` arranges.
        self.api.latest_deployment.add_to_logical_id({"model": name, "schema": document})
        # Referencing the model by `Ref` (its name) also orders it before the method in CloudFormation.
        return apigw.Model.from_model_name(self, f"{construct_id}Ref", model.ref)

    @property
    def events_url(self) -> str:
        """`https://.../<stage>/v1/events` (a token until deployment)."""
        return self.api.url_for_path("/" + "/".join(EVENTS_RESOURCE_PATH))
