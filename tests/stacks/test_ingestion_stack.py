"""The ingestion stack: every resource and setting issue 3 asks for, cdk-nag and cfn-lint clean.

Also the request-model converter (`stacks/constructs/request_models.py`), whose tests need no synthesis.
The dev and prod apps are synthesized once for the module (they differ in stream mode, concurrency,
retention and removal policies).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsonschema
import pytest
from aws_cdk.assertions import Match, Template

from events import MAX_EVENTS_PER_REQUEST, event_schema
from lambdas.ingest import settings as ingest_settings
from lambdas.ingest.request import RequestRefusedError, read_events
from stacks.config import CDK_JSON, ConfigError, load_config
from stacks.constructs.request_models import SchemaConversionError, event_batch_model, event_model, to_draft4
from stacks.constructs.stream_archive import ARCHIVE_DATA_PREFIX, ARCHIVE_ERROR_PREFIX
from stacks.ingestion_stack import IngestionStack
from tests.stacks.cdk_checks import cfn_lint

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_DEPRECATED", "quiet")

CDK_CONTEXT = json.loads(CDK_JSON.read_text())["context"]
TEMPLATE = "Ingestion.template.json"


# --- the request models (no synthesis) -------------------------------------------------------------


def all_keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for value in node.values() for k in all_keys(value)}
    if isinstance(node, list):
        return {k for value in node for k in all_keys(value)}
    return set()


VALID_EVENT = {
    "event_id": "e-1",
    "event_type": "add_to_cart",
    "occurred_at": "2026-11-25T12:00:00Z",
    "user_id": "u-1",
    "session_id": "s-1",
    "product": {"product_id": "p-1", "price": 9.5, "currency": "EUR"},
    "quantity": 1,
    "context": {"app": "web"},
}


def test_the_event_model_is_valid_draft_4_without_keywords_api_gateway_lacks() -> None:
    model = event_model()
    jsonschema.Draft4Validator.check_schema(model)
    assert model["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert not all_keys(model) & {"$ref", "$defs", "$id", "if", "then", "else", "const", "propertyNames"}


def test_the_event_model_has_the_schemas_fields_except_meta() -> None:
    model, schema = event_model(), event_schema()
    assert set(model["properties"]) == set(schema["properties"]) - {"_meta"}
    assert model["required"] == schema["required"]
    assert model["additionalProperties"] is False
    assert model["properties"]["user_id"] == {**schema["$defs"]["identifier"]}
    assert model["properties"]["order"]["properties"]["items"]["items"]["required"] == [
        "product_id",
        "quantity",
        "price",
    ]


@pytest.mark.parametrize(
    ("change", "valid"),
    [
        ({}, True),
        ({"event_type": "click"}, False),
        ({"colour": "red"}, False),
        ({"user_id": ""}, False),
        ({"quantity": "2"}, False),
        ({"product": {"product_id": "p-1", "price": -1, "currency": "EUR"}}, False),
        ({"context": {"a": {"nested": True}}}, False),
    ],
)
def test_the_event_model_checks_what_draft_4_can_say(change: dict, valid: bool) -> None:
    assert jsonschema.Draft4Validator(event_model()).is_valid({**VALID_EVENT, **change}) is valid


def test_the_enforced_batch_model_is_the_envelope_only() -> None:
    model = event_batch_model()
    jsonschema.Draft4Validator.check_schema(model)
    events = model["properties"]["events"]
    assert (events["minItems"], events["maxItems"]) == (1, MAX_EVENTS_PER_REQUEST)
    assert model["required"] == ["events"]
    assert model["additionalProperties"] is False
    # One bad event must not fail the whole request at the gateway: the Lambda answers per event.
    assert jsonschema.Draft4Validator(model).is_valid({"events": [VALID_EVENT, {"event_id": 1}, "x", None]})


@pytest.mark.parametrize(
    "body",
    [
        {"events": [VALID_EVENT]},
        {"events": [VALID_EVENT] * 500},
        {"events": []},
        {"events": [VALID_EVENT] * 501},
        {"events": "x"},
        {"events": {"a": 1}},
        {"event": []},
        {"events": [VALID_EVENT], "extra": 1},
        [],
        "events",
    ],
)
def test_the_gateway_and_the_function_agree_on_which_envelopes_are_bad(body: Any) -> None:
    # GIVEN a JSON body WHEN judged by the gateway's model and by the function's envelope check
    gateway_accepts = jsonschema.Draft4Validator(event_batch_model()).is_valid(body)
    try:
        read_events(content_type="application/json", body=json.dumps(body))
        function_accepts = True
    except RequestRefusedError:
        function_accepts = False
    # THEN they agree, so the gateway's 400 never hides a per-event answer the function would give
    assert gateway_accepts is function_accepts


def test_conversion_inlines_refs_and_turns_const_and_boolean_schemas_into_draft_4() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/kind"}, "b": True, "c": False, "d": {"exclusiveMinimum": 0}},
        "$defs": {"kind": {"const": "x", "description": "the kind"}},
    }
    assert to_draft4(schema) == {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {
            "a": {"enum": ["x"], "description": "the kind"},
            "b": {},
            "c": {"not": {}},
            "d": {"minimum": 0, "exclusiveMinimum": True},
        },
    }


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        (
            {"type": "object", "unevaluatedProperties": False},
            "keyword 'unevaluatedProperties' has no draft-4 conversion",
        ),
        ({"properties": {"a": {"$ref": "#/$defs/missing"}}}, "$ref #/$defs/missing points nowhere"),
        ({"properties": {"a": {"$ref": "other.json#/x"}}}, "only local $refs"),
        ({"$defs": {"n": {"items": {"$ref": "#/$defs/n"}}}, "items": {"$ref": "#/$defs/n"}}, "is recursive"),
    ],
)
def test_a_schema_the_converter_cannot_express_is_an_error_naming_it(schema: dict, problem: str) -> None:
    with pytest.raises(SchemaConversionError, match=problem.replace("$", r"\$")):
        to_draft4(schema)


# --- configuration the stack relies on ------------------------------------------------------------


def test_archive_lifecycle_days_must_be_in_order() -> None:
    with pytest.raises(
        ConfigError,
        match=r"glacier_after_days \(80\) must be at least infrequent_access_after_days \+ 30 \(90\)",
    ):
        load_config(
            {
                **CDK_CONTEXT,
                "overrides": {
                    "ingestion": {"archive": {"infrequent_access_after_days": 60, "glacier_after_days": 80}}
                },
            }
        )


def test_the_retry_budget_must_fit_inside_the_function_timeout() -> None:
    with pytest.raises(ConfigError, match=r"must be shorter than function\.timeout_seconds"):
        load_config(
            {
                **CDK_CONTEXT,
                "overrides": {
                    "ingestion": {"put_records_time_budget_seconds": 20, "function": {"timeout_seconds": 10}}
                },
            }
        )


def test_the_lambda_build_dir_comes_from_context() -> None:
    assert load_config({**CDK_CONTEXT, "lambda_build_dir": "/tmp/elsewhere"}).lambda_build_dir == Path(
        "/tmp/elsewhere"
    )
    assert load_config(CDK_CONTEXT).lambda_build_dir.parts[-2:] == ("build", "lambda")


# --- the synthesized stack -------------------------------------------------------------------------


class Synthesized:
    def __init__(self, app: cdk.App, outdir: Path) -> None:
        self.stack = app.node.find_child("Ingestion")
        self.path = outdir / TEMPLATE
        self.json: dict[str, Any] = json.loads(self.path.read_text())
        self.template = Template.from_json(self.json)

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == kind}

    def only(self, kind: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(kind)
        assert len(found) == 1, f"expected one {kind}, found {list(found)}"
        return next(iter(found.items()))

    def logical_id(self, kind: str, fragment: str = "") -> str:
        ids = [k for k in self.resources(kind) if fragment in k]
        assert len(ids) == 1, f"{kind} {fragment}: {ids}"
        return ids[0]


@pytest.fixture(scope="module")
def synthesized(synthesized_apps: dict[str, tuple[cdk.App, Path]]) -> dict[str, Synthesized]:
    return {env: Synthesized(app, outdir) for env, (app, outdir) in synthesized_apps.items()}


@pytest.fixture(scope="module")
def dev(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["dev"]


@pytest.fixture(scope="module")
def prod(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["prod"]


@pytest.mark.slow
@pytest.mark.cdk
def test_both_environments_pass_cdk_nag_and_cfn_lint(synthesized: dict[str, Synthesized]) -> None:
    # cdk-nag ran in the fixture (synthesis fails on any unacknowledged finding); cfn-lint here
    assert cfn_lint(*(s.path for s in synthesized.values())) == []


@pytest.mark.slow
@pytest.mark.cdk
def test_the_stack_exposes_what_other_stacks_build_on(dev: Synthesized) -> None:
    stack = dev.stack
    assert isinstance(stack, IngestionStack)
    assert stack.resolve(stack.raw_stream.stream_name) == {"Ref": dev.logical_id("AWS::Kinesis::Stream")}
    assert stack.resolve(stack.archive_bucket.bucket_name) == {
        "Ref": dev.logical_id("AWS::S3::Bucket", "ArchiveBucket")
    }
    assert stack.resolve(stack.api.rest_api_id) == {"Ref": dev.logical_id("AWS::ApiGateway::RestApi")}
    assert stack.resolve(stack.ingest_function.function_name) == {
        "Ref": dev.logical_id("AWS::Lambda::Function", "Ingest")
    }
    assert set(stack.api_keys) == {"default"}


@pytest.mark.slow
@pytest.mark.cdk
def test_the_raw_stream_is_on_demand_by_default_and_kms_encrypted_with_a_rotating_key(
    dev: Synthesized,
) -> None:
    key = dev.logical_id("AWS::KMS::Key", "RawEvents")
    dev.template.has_resource_properties(
        "AWS::Kinesis::Stream",
        {
            "Name": "kappa-dev-raw-events",
            "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
            "ShardCount": Match.absent(),
            "RetentionPeriodHours": 24,
            "StreamEncryption": {"EncryptionType": "KMS", "KeyId": {"Fn::GetAtt": [key, "Arn"]}},
        },
    )
    assert dev.json["Resources"][key]["Properties"]["EnableKeyRotation"] is True


@pytest.mark.slow
@pytest.mark.cdk
def test_prod_provisions_shards_and_keeps_a_week(prod: Synthesized) -> None:
    prod.template.has_resource_properties(
        "AWS::Kinesis::Stream",
        {"StreamModeDetails": {"StreamMode": "PROVISIONED"}, "ShardCount": 4, "RetentionPeriodHours": 168},
    )


@pytest.mark.slow
@pytest.mark.cdk
@pytest.mark.parametrize(("env", "policy"), [("dev", "Delete"), ("prod", "Retain")])
def test_data_is_retained_only_where_configured(
    synthesized: dict[str, Synthesized], env: str, policy: str
) -> None:
    app = synthesized[env]
    for kind in ("AWS::Kinesis::Stream", "AWS::S3::Bucket", "AWS::KMS::Key"):
        for logical_id, resource in app.resources(kind).items():
            assert resource["DeletionPolicy"] == policy, (env, logical_id)
    auto_delete = app.resources("Custom::S3AutoDeleteObjects")
    assert len(auto_delete) == (2 if env == "dev" else 0)


@pytest.mark.slow
@pytest.mark.cdk
def test_the_function_is_python_312_on_arm_with_tracing_and_its_settings(dev: Synthesized) -> None:
    stream = dev.logical_id("AWS::Kinesis::Stream")
    dev.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "lambdas.ingest.handler.handler",
            "Runtime": "python3.12",
            "Architectures": ["arm64"],
            "MemorySize": 512,
            "Timeout": 29,
            "TracingConfig": {"Mode": "Active"},
            "Environment": {
                "Variables": {
                    ingest_settings.RAW_STREAM_NAME_ENV: {"Ref": stream},
                    ingest_settings.PUT_RECORDS_TIME_BUDGET_ENV: "8",
                    "POWERTOOLS_SERVICE_NAME": "ingest",
                    "POWERTOOLS_METRICS_NAMESPACE": "KappaCommerce",
                }
            },
        },
    )


@pytest.mark.slow
@pytest.mark.cdk
def test_prod_reserves_concurrency_and_the_api_calls_the_provisioned_alias(prod: Synthesized) -> None:
    prod.template.has_resource_properties("AWS::Lambda::Function", {"ReservedConcurrentExecutions": 200})
    alias_id, alias = prod.only("AWS::Lambda::Alias")
    assert alias["Properties"]["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 5}
    _, method = prod.only("AWS::ApiGateway::Method")
    assert {"Ref": alias_id} in method["Properties"]["Integration"]["Uri"]["Fn::Join"][1]
    _, permission = prod.only("AWS::Lambda::Permission")
    assert permission["Properties"]["FunctionName"] == {"Ref": alias_id}


@pytest.mark.slow
@pytest.mark.cdk
def test_the_function_may_only_put_records_on_the_raw_stream(dev: Synthesized) -> None:
    role = dev.logical_id("AWS::IAM::Role", "IngestFunctionServiceRole")
    policies = [
        p for p in dev.resources("AWS::IAM::Policy").values() if p["Properties"]["Roles"] == [{"Ref": role}]
    ]
    assert len(policies) == 1
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    by_action = {json.dumps(s["Action"]): s["Resource"] for s in statements}
    assert by_action == {
        json.dumps(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]): "*",
        json.dumps(["kinesis:PutRecord", "kinesis:PutRecords"]): {
            "Fn::GetAtt": [dev.logical_id("AWS::Kinesis::Stream"), "Arn"]
        },
        json.dumps("kms:GenerateDataKey"): {
            "Fn::GetAtt": [dev.logical_id("AWS::KMS::Key", "RawEvents"), "Arn"]
        },
    }


@pytest.mark.slow
@pytest.mark.cdk
def test_post_v1_events_requires_an_api_key_validates_the_generated_model_and_proxies_to_the_function(
    dev: Synthesized,
) -> None:
    _, method = dev.only("AWS::ApiGateway::Method")
    props = method["Properties"]
    assert (props["HttpMethod"], props["ApiKeyRequired"], props["Integration"]["Type"]) == (
        "POST",
        True,
        "AWS_PROXY",
    )
    function = dev.logical_id("AWS::Lambda::Function", "Ingest")
    assert {"Fn::GetAtt": [function, "Arn"]} in props["Integration"]["Uri"]["Fn::Join"][1]
    paths = {r["Properties"]["PathPart"] for r in dev.resources("AWS::ApiGateway::Resource").values()}
    assert paths == {"v1", "events"}
    models = {
        m["Properties"]["Name"]: (k, m["Properties"])
        for k, m in dev.resources("AWS::ApiGateway::Model").items()
    }
    assert models["EventBatch"][1]["Schema"] == event_batch_model()
    assert models["Event"][1]["Schema"] == event_model()
    assert props["RequestModels"] == {"application/json": {"Ref": models["EventBatch"][0]}}
    validator_id, validator = dev.only("AWS::ApiGateway::RequestValidator")
    assert props["RequestValidatorId"] == {"Ref": validator_id}
    assert (
        validator["Properties"]["ValidateRequestBody"],
        validator["Properties"]["ValidateRequestParameters"],
    ) == (True, True)
    dev.template.has_resource_properties(
        "AWS::ApiGateway::RestApi", {"EndpointConfiguration": {"Types": ["REGIONAL"]}}
    )


@pytest.mark.slow
@pytest.mark.cdk
def test_the_stage_traces_throttles_and_writes_access_logs_without_the_api_key(dev: Synthesized) -> None:
    _, stage = dev.only("AWS::ApiGateway::Stage")
    props = stage["Properties"]
    assert props["StageName"] == "v1"
    assert props["TracingEnabled"] is True
    log_group = dev.logical_id("AWS::Logs::LogGroup", "ApiAccessLogs")
    assert props["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": [log_group, "Arn"]}
    access_format = json.loads(props["AccessLogSetting"]["Format"])
    assert access_format["apiKeyId"] == "$context.identity.apiKeyId"
    assert "$context.identity.apiKey" not in access_format.values()
    assert props["MethodSettings"] == [
        {
            "DataTraceEnabled": False,
            "HttpMethod": "*",
            "LoggingLevel": "ERROR",
            "MetricsEnabled": True,
            "ResourcePath": "/*",
            "ThrottlingBurstLimit": 200,
            "ThrottlingRateLimit": 100,
        }
    ]


@pytest.mark.slow
@pytest.mark.cdk
def test_every_producer_has_its_own_key_and_usage_plan(prod: Synthesized) -> None:
    config = load_config({**CDK_CONTEXT, "env": "prod"})
    plans = {
        p["Properties"]["UsagePlanName"]: (k, p["Properties"])
        for k, p in prod.resources("AWS::ApiGateway::UsagePlan").items()
    }
    keys = {
        k["Properties"]["Name"]: logical for logical, k in prod.resources("AWS::ApiGateway::ApiKey").items()
    }
    links = {
        (u["Properties"]["UsagePlanId"]["Ref"], u["Properties"]["KeyId"]["Ref"])
        for u in prod.resources("AWS::ApiGateway::UsagePlanKey").values()
    }
    assert len(plans) == len(keys) == len(links) == len(config.ingestion.producers) == 2
    for producer in config.ingestion.producers:
        name = f"kappa-prod-ingestion-{producer.name}"
        plan_id, plan = plans[name]
        assert plan["Throttle"] == {"RateLimit": producer.rate_limit, "BurstLimit": producer.burst_limit}
        assert "Quota" not in plan
        assert (plan_id, keys[name]) in links
        assert "Value" not in prod.json["Resources"][keys[name]]["Properties"]


@pytest.mark.slow
@pytest.mark.cdk
def test_a_daily_quota_is_set_when_configured(dev: Synthesized) -> None:
    dev.template.has_resource_properties(
        "AWS::ApiGateway::UsagePlan",
        {"Quota": {"Limit": 5_000_000, "Period": "DAY"}, "Throttle": {"RateLimit": 100, "BurstLimit": 200}},
    )


@pytest.mark.slow
@pytest.mark.cdk
def test_firehose_archives_the_stream_as_gzip_ndjson_in_hour_prefixes(prod: Synthesized) -> None:
    _, delivery = prod.only("AWS::KinesisFirehose::DeliveryStream")
    props = delivery["Properties"]
    stream, bucket = (
        prod.logical_id("AWS::Kinesis::Stream"),
        prod.logical_id("AWS::S3::Bucket", "ArchiveBucket"),
    )
    assert props["DeliveryStreamType"] == "KinesisStreamAsSource"
    assert props["KinesisStreamSourceConfiguration"]["KinesisStreamARN"] == {"Fn::GetAtt": [stream, "Arn"]}
    s3 = props["ExtendedS3DestinationConfiguration"]
    assert s3["BucketARN"] == {"Fn::GetAtt": [bucket, "Arn"]}
    assert s3["CompressionFormat"] == "GZIP"
    assert s3["Prefix"] == ARCHIVE_DATA_PREFIX == "archive/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/"
    assert s3["ErrorOutputPrefix"] == ARCHIVE_ERROR_PREFIX
    assert s3["FileExtension"] == ".ndjson.gz"
    assert s3["ProcessingConfiguration"] == {
        "Enabled": True,
        "Processors": [{"Type": "AppendDelimiterToRecord", "Parameters": []}],
    }
    assert s3["BufferingHints"] == {"IntervalInSeconds": 300, "SizeInMBs": 128}
    archive_key = prod.logical_id("AWS::KMS::Key", "Archive")
    assert s3["EncryptionConfiguration"] == {
        "KMSEncryptionConfig": {"AWSKMSKeyARN": {"Fn::GetAtt": [archive_key, "Arn"]}}
    }
    assert s3["CloudWatchLoggingOptions"]["Enabled"] is True


@pytest.mark.slow
@pytest.mark.cdk
def test_firehose_may_read_the_stream_and_write_new_archive_objects_but_not_delete(dev: Synthesized) -> None:
    role = dev.logical_id("AWS::IAM::Role", "DeliveryRole")
    policies = [
        p for p in dev.resources("AWS::IAM::Policy").values() if p["Properties"]["Roles"] == [{"Ref": role}]
    ]
    actions = {
        a
        for s in policies[0]["Properties"]["PolicyDocument"]["Statement"]
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert actions == {
        "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards",
        "kms:Decrypt", "kms:GenerateDataKey",
        "s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload",
        "logs:PutLogEvents", "logs:CreateLogStream",
    }  # fmt: skip
    trust = dev.json["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


@pytest.mark.slow
@pytest.mark.cdk
def test_the_archive_bucket_is_encrypted_versioned_private_tls_only_logged_and_tiered(
    prod: Synthesized,
) -> None:
    bucket = prod.logical_id("AWS::S3::Bucket", "ArchiveBucket")
    logs_bucket = prod.logical_id("AWS::S3::Bucket", "AccessLogs")
    archive_key = prod.logical_id("AWS::KMS::Key", "Archive")
    props = prod.json["Resources"][bucket]["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {
            "BucketKeyEnabled": True,
            "ServerSideEncryptionByDefault": {
                "KMSMasterKeyID": {"Fn::GetAtt": [archive_key, "Arn"]},
                "SSEAlgorithm": "aws:kms",
            },
        }
    ]
    assert prod.json["Resources"][archive_key]["Properties"]["EnableKeyRotation"] is True
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    assert props["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": logs_bucket},
        "LogFilePrefix": "archive-bucket/",
    }
    [rule] = props["LifecycleConfiguration"]["Rules"]
    assert rule["Transitions"] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
        {"StorageClass": "GLACIER_IR", "TransitionInDays": 180},
    ]
    assert rule["ExpirationInDays"] == 730
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    prod.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            },
        },
    )


@pytest.mark.slow
@pytest.mark.cdk
def test_the_access_logs_bucket_is_private_s3_encrypted_and_expires_logs(dev: Synthesized) -> None:
    logs_bucket = dev.logical_id("AWS::S3::Bucket", "AccessLogs")
    props = dev.json["Resources"][logs_bucket]["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert props["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 365
    dev.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": logs_bucket},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Principal": {"Service": "logging.s3.amazonaws.com"}})]
                )
            },
        },
    )


@pytest.mark.slow
@pytest.mark.cdk
def test_the_account_logging_role_for_api_gateway_survives_stack_deletion(dev: Synthesized) -> None:
    _, account = dev.only("AWS::ApiGateway::Account")
    role = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    assert dev.json["Resources"][role]["DeletionPolicy"] == "Retain"


@pytest.mark.slow
@pytest.mark.cdk
def test_resources_other_stacks_watch_by_name_have_fixed_physical_names(dev: Synthesized) -> None:
    stack = dev.stack
    plain = {
        "api_name": "kappa-dev-ingestion",
        "api_stage_name": "v1",
        "ingest_function_name": "kappa-dev-ingest",
        "raw_stream_name": "kappa-dev-raw-events",
        "delivery_stream_name": "kappa-dev-raw-events-archive",
    }
    assert {attribute: getattr(stack, attribute) for attribute in plain} == plain
    dev.template.has_resource_properties("AWS::ApiGateway::RestApi", {"Name": "kappa-dev-ingestion"})
    dev.template.has_resource_properties("AWS::Lambda::Function", {"FunctionName": "kappa-dev-ingest"})
    dev.template.has_resource_properties(
        "AWS::KinesisFirehose::DeliveryStream", {"DeliveryStreamName": "kappa-dev-raw-events-archive"}
    )
    # The bucket name carries the account id: a pseudo parameter, so using it elsewhere needs no export.
    archive_name = {"Fn::Join": ["", ["kappa-dev-archive-", {"Ref": "AWS::AccountId"}]]}
    assert stack.resolve(stack.archive_bucket_name) == archive_name
    dev.template.has_resource_properties("AWS::S3::Bucket", {"BucketName": archive_name})
