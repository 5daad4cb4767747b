"""The delivery stack's template: tables, queues, event sources, routes, keys and least-privilege grants.

One synthesis per module (cdk-nag runs during it: an unacknowledged finding fails the fixture), with a small
upstream stack standing in for the ingestion API and holding the processing stack's insights stream (the real
`EventStream` construct: customer-managed key).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_kinesis as kinesis
from aws_cdk.assertions import Match, Template

from stacks.compliance import acknowledge
from stacks.config import CDK_JSON, AppConfig, load_config
from stacks.constructs.event_stream import EventStream, EventStreamProps
from stacks.delivery_stack import STREAM_CONSUMER_ACTIONS, DeliveryStack
from stacks.lambda_build import build_function
from tests.stacks.cdk_checks import cfn_lint, synth_stack_with_nag

pytestmark = [pytest.mark.slow, pytest.mark.cdk]

UPSTREAM_ACKNOWLEDGED = (
    "APIG1",
    "APIG2",
    "APIG3",
    "APIG4",
    "APIG6",
    "COG4",
    "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
)


class Synthesized:
    def __init__(self, outdir: Path, stack: DeliveryStack) -> None:
        self.outdir = outdir
        self.path = outdir / "Delivery.template.json"
        self.json: dict[str, Any] = json.loads(self.path.read_text())
        self.template = Template.from_json(self.json)
        self.stack = stack

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == kind}


def synthesize(config: AppConfig, tmp: Path) -> Synthesized:
    for name in ("fanout", "webhooks_api"):
        build_function(name, tmp / "lambda", sources_only=True)
    app = cdk.App(outdir=str(tmp / "cdk.out"))
    upstream = cdk.Stack(app, "Upstream")
    insights = EventStream(
        upstream,
        "Insights",
        props=EventStreamProps(
            stream_name=config.names.insights_stream(config.processing.job_version),
            settings=config.processing.insights_stream,
            removal_policy=cdk.RemovalPolicy.DESTROY,
            description="test stand-in for the processing stack's insights stream",
        ),
    )
    api = apigateway.RestApi(upstream, "Api", deploy_options=apigateway.StageOptions(stage_name="v1"))
    api.root.resource_for_path("v1/events").add_method("POST", apigateway.MockIntegration())
    for rule in UPSTREAM_ACKNOWLEDGED:
        acknowledge(
            upstream, f"AwsSolutions-{rule}", "test stand-in for the ingestion API and the insights stream"
        )
    stack = DeliveryStack(
        app,
        "Delivery",
        settings=config.delivery,
        names=config.names,
        insights_stream=insights.stream,
        api=api,
        api_stage_name="v1",
        retain_data=config.retain_data,
        lambda_build_dir=tmp / "lambda",
    )
    return Synthesized(synth_stack_with_nag(app), stack)


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    return synthesize(load_config(env_name="dev"), tmp_path_factory.mktemp("delivery-dev"))


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    return synthesize(load_config(env_name="prod"), tmp_path_factory.mktemp("delivery-prod"))


def test_synthesizes_clean_under_cdk_nag_and_cfn_lint(dev: Synthesized) -> None:
    # cdk-nag ran during synthesis (the fixture would have failed); cfn-lint must find nothing at all.
    assert cfn_lint(dev.path) == []


def test_tables_have_pitr_customer_managed_keys_and_the_delivery_log_expires(dev: Synthesized) -> None:
    dev.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": "kappa-dev-webhook-subscriptions",
            "KeySchema": [{"AttributeName": "subscription_id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": Match.any_value()},
        },
    )
    dev.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": "kappa-dev-webhook-deliveries",
            "KeySchema": [
                {"AttributeName": "subscription_id", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": Match.any_value()},
        },
    )


def test_both_keys_rotate(dev: Synthesized) -> None:
    keys = dev.resources("AWS::KMS::Key")
    assert len(keys) == 2
    assert all(k["Properties"]["EnableKeyRotation"] for k in keys.values())


def test_queues_are_kms_encrypted_tls_only_and_retries_fall_into_the_dead_letter_queue(
    dev: Synthesized,
) -> None:
    queues = dev.resources("AWS::SQS::Queue")
    assert len(queues) == 3
    assert all("KmsMasterKeyId" in q["Properties"] for q in queues.values())
    assert all(q["Properties"]["MessageRetentionPeriod"] == 14 * 86400 for q in queues.values())
    dev.template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": "kappa-dev-webhook-retries",
            "VisibilityTimeout": 6 * 60,
            "RedrivePolicy": {"deadLetterTargetArn": Match.any_value(), "maxReceiveCount": 5},
        },
    )
    dev.template.has_resource_properties("AWS::SQS::Queue", {"QueueName": "kappa-dev-webhook-dlq"})
    policies = dev.resources("AWS::SQS::QueuePolicy")
    assert len(policies) == 3
    for policy in policies.values():
        statement = policy["Properties"]["PolicyDocument"]["Statement"][0]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_insights_event_source_mapping_bisects_reports_partial_failures_and_has_a_destination(
    dev: Synthesized,
) -> None:
    dev.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": Match.any_value(),
            "BatchSize": 100,
            "ParallelizationFactor": 2,
            "MaximumBatchingWindowInSeconds": 1,
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 3,
            "MaximumRecordAgeInSeconds": 3600,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "StartingPosition": "TRIM_HORIZON",
            "DestinationConfig": {"OnFailure": {"Destination": Match.any_value()}},
        },
    )
    # the destination is the failed-batches queue, under the name ResourceNames gives it (as locally)
    queue_ids = {q["Properties"].get("QueueName"): key for key, q in dev.resources("AWS::SQS::Queue").items()}
    destinations = [
        mapping["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
        for mapping in dev.resources("AWS::Lambda::EventSourceMapping").values()
        if "DestinationConfig" in mapping["Properties"]
    ]
    assert destinations == [{"Fn::GetAtt": [queue_ids["kappa-dev-insights-failed-batches"], "Arn"]}]


def test_the_retry_queue_feeds_the_same_function_with_partial_failures(dev: Synthesized) -> None:
    mappings = dev.resources("AWS::Lambda::EventSourceMapping")
    assert len({json.dumps(m["Properties"]["FunctionName"]) for m in mappings.values()}) == 1
    dev.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": 5},
        },
    )


def test_functions_are_arm64_python_312_with_their_settings(dev: Synthesized) -> None:
    functions = dev.resources("AWS::Lambda::Function")
    assert len(functions) == 2
    by_service = {
        f["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]: f for f in functions.values()
    }
    assert set(by_service) == {"fanout", "webhooks_api"}
    # fixed names: the monitoring stack watches the functions by name (ResourceNames)
    assert by_service["fanout"]["Properties"]["FunctionName"] == "kappa-dev-webhook-fanout"
    assert by_service["webhooks_api"]["Properties"]["FunctionName"] == "kappa-dev-webhooks-api"
    for function in functions.values():
        assert function["Properties"]["Runtime"] == "python3.12"
        assert function["Properties"]["Architectures"] == ["arm64"]
        assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}
    fanout_env = by_service["fanout"]["Properties"]["Environment"]["Variables"]
    assert fanout_env["ALLOW_LOOPBACK_TARGETS"] == "false"
    assert fanout_env["READ_TIMEOUT_SECONDS"] == "15"
    assert fanout_env["CONNECT_TIMEOUT_SECONDS"] == "5"
    assert (fanout_env["MAX_CONCURRENCY"], fanout_env["MAX_CONCURRENCY_PER_SUBSCRIBER"]) == ("32", "4")
    assert {"SUBSCRIPTIONS_TABLE", "DELIVERY_LOG_TABLE", "RETRY_QUEUE_URL", "DEAD_LETTER_QUEUE_URL"} <= set(
        fanout_env
    )
    assert by_service["fanout"]["Properties"]["Timeout"] == 60
    api_env = by_service["webhooks_api"]["Properties"]["Environment"]["Variables"]
    assert api_env["ADMIN_API_KEY_IDS"] == {"Ref": _logical_id(dev, "AWS::ApiGateway::ApiKey")}
    assert api_env["SECRET_ROTATION_GRACE_HOURS"] == "24"
    assert "SIGNING_SECRETS_KEY_ID" in api_env


def test_every_webhooks_route_requires_an_api_key_and_proxies_to_the_api_function(dev: Synthesized) -> None:
    methods = dev.resources("AWS::ApiGateway::Method")
    assert sorted(m["Properties"]["HttpMethod"] for m in methods.values()) == sorted(
        ["GET", "POST", "GET", "PATCH", "DELETE", "POST", "GET"]
    )
    for method in methods.values():
        assert method["Properties"]["ApiKeyRequired"] is True
        assert method["Properties"]["Integration"]["Type"] == "AWS_PROXY"
    paths = {r["Properties"]["PathPart"] for r in dev.resources("AWS::ApiGateway::Resource").values()}
    assert paths == {"webhooks", "{id}", "rotate-secret", "deliveries"}


def test_the_admin_key_has_its_own_throttled_usage_plan_and_the_routes_are_deployed(dev: Synthesized) -> None:
    dev.template.has_resource_properties(
        "AWS::ApiGateway::UsagePlan",
        {
            "Throttle": {"RateLimit": 10, "BurstLimit": 20},
            "ApiStages": [{"ApiId": Match.any_value(), "Stage": "v1"}],
        },
    )
    dev.template.has_resource_properties(
        "AWS::ApiGateway::UsagePlanKey",
        {"KeyId": {"Ref": _logical_id(dev, "AWS::ApiGateway::ApiKey")}, "KeyType": "API_KEY"},
    )
    deployment = next(iter(dev.resources("AWS::ApiGateway::Deployment").values()))
    assert deployment["Properties"]["StageName"] == "v1"
    assert len(deployment["DependsOn"]) >= 7


def test_grants_are_least_privilege(dev: Synthesized) -> None:
    fanout = _policy_actions(dev, "Fanout")
    api = _policy_actions(dev, "WebhooksApi")
    signing_key = _logical_id(dev, "AWS::KMS::Key", "SigningSecretsKey")
    subscriptions = _logical_id(dev, "AWS::DynamoDB::Table", "Subscriptions")
    # the fan-out may decrypt secrets and disable a subscription, but not write or delete subscriptions
    assert "kms:Decrypt" in fanout[signing_key]
    assert "dynamodb:UpdateItem" in fanout[subscriptions]
    assert not {"dynamodb:PutItem", "dynamodb:DeleteItem"} & fanout[subscriptions]
    # the API encrypts new secrets but can never decrypt one
    assert "kms:Encrypt" in api[signing_key]
    assert "kms:Decrypt" not in api[signing_key]
    # neither touches a queue it does not need
    assert not any(action.startswith("sqs:") for actions in api.values() for action in actions)


def test_the_fanout_may_read_and_decrypt_any_job_versions_insights_stream_after_a_cutover(
    dev: Synthesized,
) -> None:
    # `kappa cutover v2` maps the fan-out onto kappa-dev-insights-v2, a stream `kappa replay` created with the
    # running insights stream's key: the role allows exactly an event source mapping's reads on this
    # environment's insights streams, and decrypting with that key
    statements = _statements(dev, "Fanout")
    versions = [s for s in statements if _arn_text(s["Resource"]).endswith(":stream/kappa-dev-insights-*")]
    assert len(versions) == 1
    assert sorted(_as_list(versions[0]["Action"])) == sorted(STREAM_CONSUMER_ACTIONS)
    assert ":kinesis:" in _arn_text(versions[0]["Resource"])
    upstream = json.loads((dev.outdir / "Upstream.template.json").read_text())
    (insights_key,) = [k for k, r in upstream["Resources"].items() if r["Type"] == "AWS::KMS::Key"]
    decrypting = [
        s
        for s in statements
        if insights_key in json.dumps(s["Resource"]) and "kms:Decrypt" in _as_list(s["Action"])
    ]
    assert decrypting, f"the fan-out cannot decrypt with the insights key {insights_key}: {statements}"
    assert all(set(_as_list(s["Action"])) <= {"kms:Decrypt"} for s in decrypting)


def test_prod_retains_data_and_never_allows_loopback_targets(prod: Synthesized) -> None:
    tables = prod.resources("AWS::DynamoDB::Table")
    assert all(t["DeletionPolicy"] == "Retain" for t in tables.values())
    prod.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {"TableName": "kappa-prod-webhook-subscriptions", "DeletionProtectionEnabled": True},
    )
    prod.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"ParallelizationFactor": 4, "MaximumRecordAgeInSeconds": 21600}
    )
    for function in prod.resources("AWS::Lambda::Function").values():
        assert function["Properties"]["Environment"]["Variables"]["ALLOW_LOOPBACK_TARGETS"] == "false"


def _logical_id(synth: Synthesized, kind: str, prefix: str = "") -> str:
    matches = [k for k in synth.resources(kind) if k.startswith(prefix)]
    assert len(matches) == 1, matches
    return matches[0]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _arn_text(resource: Any) -> str:
    """A resource ARN with `Fn::Join` flattened (tokens kept as their JSON), for suffix checks."""
    if isinstance(resource, dict) and "Fn::Join" in resource:
        separator, parts = resource["Fn::Join"]
        return separator.join(p if isinstance(p, str) else json.dumps(p) for p in parts)
    return json.dumps(resource) if not isinstance(resource, str) else resource


def _statements(synth: Synthesized, function_prefix: str) -> list[dict[str, Any]]:
    policy = next(p for k, p in synth.resources("AWS::IAM::Policy").items() if k.startswith(function_prefix))
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def _policy_actions(synth: Synthesized, function_prefix: str) -> dict[str, set[str]]:
    """Actions the function's role may take, keyed by the logical id of the resource they apply to."""
    policy = next(p for k, p in synth.resources("AWS::IAM::Policy").items() if k.startswith(function_prefix))
    granted: dict[str, set[str]] = {}
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for resource in resources:
            key = (
                resource["Fn::GetAtt"][0]
                if isinstance(resource, dict) and "Fn::GetAtt" in resource
                else str(resource)
            )
            granted.setdefault(key, set()).update(actions)
    return granted


@pytest.fixture(scope="module")
def with_ingestion(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The delivery stack on the real ingestion stack's API (a stand-in stack for the insights stream)."""
    from stacks.ingestion_stack import IngestionStack

    tmp = tmp_path_factory.mktemp("delivery-with-ingestion")
    for name in ("fanout", "webhooks_api", "ingest"):
        build_function(name, tmp / "lambda", sources_only=True)
    config = load_config(env_name="dev")
    # the feature flags of cdk.json (the ingestion stack's access-log bucket relies on one)
    app = cdk.App(outdir=str(tmp / "cdk.out"), context=json.loads(CDK_JSON.read_text())["context"])
    ingestion = IngestionStack(
        app,
        "Ingestion",
        settings=config.ingestion,
        names=config.names,
        retain_data=False,
        lambda_build_dir=tmp / "lambda",
    )
    processing = cdk.Stack(app, "Processing")
    stream = kinesis.Stream(processing, "Insights", encryption=kinesis.StreamEncryption.MANAGED)
    stack = DeliveryStack(
        app,
        "Delivery",
        settings=config.delivery,
        names=config.names,
        insights_stream=stream,
        api=ingestion.api,
        api_stage_name=ingestion.api_stage_name,
        lambda_build_dir=tmp / "lambda",
    )
    return Synthesized(synth_stack_with_nag(app), stack)


def test_routes_attach_to_the_ingestion_api_under_its_v1_resource_without_a_cycle(
    with_ingestion: Synthesized,
) -> None:
    # Synthesis succeeded with cdk-nag (a dependency cycle would have failed it). The routes hang off the
    # ingestion stack's existing /v1 resource, by import: the ingestion template has no webhooks route.
    ingestion = json.loads((with_ingestion.outdir / "Ingestion.template.json").read_text())
    ingestion_paths = {
        r["Properties"]["PathPart"]
        for r in ingestion["Resources"].values()
        if r["Type"] == "AWS::ApiGateway::Resource"
    }
    assert "webhooks" not in ingestion_paths
    assert "v1" in ingestion_paths
    webhooks = next(
        r
        for r in with_ingestion.resources("AWS::ApiGateway::Resource").values()
        if r["Properties"]["PathPart"] == "webhooks"
    )
    assert "Fn::ImportValue" in webhooks["Properties"]["ParentId"]
    assert "v1" not in {
        r["Properties"]["PathPart"] for r in with_ingestion.resources("AWS::ApiGateway::Resource").values()
    }
    assert cfn_lint(with_ingestion.path) == []
