"""The whole CDK app on `log.backend: msk` (cdk.json's `dev-msk`): every stack passes cdk-nag (at synthesis)
and cfn-lint, and each stack uses the MSK Serverless log instead of Kinesis streams."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from stacks.application import build_app
from stacks.config import CDK_JSON, load_config
from stacks.processing_stack import RUN_OPTIONS_GROUP
from tests.stacks.cdk_checks import cfn_lint, synth_with_nag

pytestmark = [pytest.mark.slow, pytest.mark.cdk]
ENV = "dev-msk"
STACKS = ("Ingestion", "Processing", "Delivery", "Monitoring")
CONFIG = load_config(env_name=ENV)
NAMES = CONFIG.names


@pytest.fixture(scope="module")
def outdir(
    all_lambdas_build_dir: Path, flink_package: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The example MSK environment of cdk.json, synthesized once for this module with cdk-nag."""
    context = json.loads(CDK_JSON.read_text())["context"]
    out = tmp_path_factory.mktemp("cdk-msk")
    app = build_app(
        {
            **context,
            "env": ENV,
            "lambda_build_dir": str(all_lambdas_build_dir),
            "flink_package": str(flink_package),
        },
        outdir=out,
    )
    synth_with_nag(app)  # raises NagFindingsError listing any unacknowledged finding
    return out


def template(outdir: Path, stack: str) -> dict[str, Any]:
    return json.loads((outdir / f"{stack}.template.json").read_text())


def resources(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in doc["Resources"].values() if r["Type"] == kind]


def statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s for p in resources(doc, "AWS::IAM::Policy") for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else action


def statements_with(doc: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in statements(doc) if action in actions_of(s)]


# ------------------------------------------------------------------------------------------ the whole app
def test_every_stack_synthesizes_and_is_cfn_lint_clean(outdir: Path) -> None:
    assert sorted(p.name for p in outdir.glob("*.template.json")) == sorted(
        f"{s}.template.json" for s in STACKS
    )
    assert cfn_lint(*sorted(outdir.glob("*.template.json"))) == []


def test_no_kinesis_stream_exists_on_msk(outdir: Path) -> None:
    for stack in STACKS:
        Template.from_json(template(outdir, stack)).resource_count_is("AWS::Kinesis::Stream", 0)


# ------------------------------------------------------------------------------------------ ingestion
def test_the_log_is_one_serverless_cluster_with_iam_auth(outdir: Path) -> None:
    ingestion = Template.from_json(template(outdir, "Ingestion"))
    ingestion.resource_count_is("AWS::MSK::ServerlessCluster", 1)
    ingestion.has_resource_properties(
        "AWS::MSK::ServerlessCluster",
        {"ClusterName": NAMES.kafka_cluster, "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}}},
    )


def test_ingest_function_runs_in_the_vpc_and_produces_to_the_raw_topic(outdir: Path) -> None:
    doc = template(outdir, "Ingestion")
    Template.from_json(doc).has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": NAMES.ingest_function,
            "VpcConfig": {"SecurityGroupIds": [{"Fn::GetAtt": [Match.string_like_regexp("ClientSecurityGroup"), "GroupId"]}],
                          "SubnetIds": Match.any_value()},
            "Environment": {
                "Variables": Match.object_like(
                    {"LOG_BACKEND": "kafka", "RAW_TOPIC": NAMES.raw_topic, "KAFKA_SECURITY": "iam",
                     "KAFKA_BOOTSTRAP_SERVERS": Match.any_value()}
                )
            },
        },
    )  # fmt: skip
    (write,) = statements_with(doc, "kafka-cluster:WriteData")
    assert f"/{NAMES.raw_topic}" in json.dumps(write["Resource"])
    assert "RAW_STREAM_NAME" not in json.dumps(resources(doc, "AWS::Lambda::Function"))


def test_firehose_archives_the_raw_topic_over_private_connectivity(outdir: Path) -> None:
    doc = template(outdir, "Ingestion")
    ingestion = Template.from_json(doc)
    ingestion.has_resource_properties(
        "AWS::KinesisFirehose::DeliveryStream",
        {
            "DeliveryStreamName": NAMES.raw_archive_delivery_stream,
            "DeliveryStreamType": "MSKAsSource",
            "MSKSourceConfiguration": {
                "MSKClusterARN": {"Fn::GetAtt": [Match.string_like_regexp("LogCluster"), "Arn"]},
                "TopicName": NAMES.raw_topic,
                "AuthenticationConfiguration": {"Connectivity": "PRIVATE", "RoleARN": Match.any_value()},
            },
        },
    )
    # The cluster policy lets the Firehose service create its managed VPC connection to the brokers.
    ingestion.has_resource_properties(
        "AWS::MSK::ClusterPolicy",
        {
            "Policy": {
                "Statement": [
                    Match.object_like(
                        {
                            "Principal": {"Service": "firehose.amazonaws.com"},
                            "Action": Match.array_with(
                                ["kafka:CreateVpcConnection", "kafka:GetBootstrapBrokers"]
                            ),
                        }
                    )
                ]
            }
        },
    )
    (read,) = statements_with(doc, "kafka-cluster:ReadData")
    assert f"/{NAMES.raw_topic}" in json.dumps(read["Resource"])
    (stream,) = resources(doc, "AWS::KinesisFirehose::DeliveryStream")
    policy_ids = {k for k, r in doc["Resources"].items() if r["Type"] == "AWS::MSK::ClusterPolicy"}
    assert policy_ids <= set(stream["DependsOn"])


# ------------------------------------------------------------------------------------------ processing
def property_groups(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (application,) = resources(doc, "AWS::KinesisAnalyticsV2::Application")
    return {
        g["PropertyGroupId"]: g["PropertyMap"]
        for g in application["Properties"]["ApplicationConfiguration"]["EnvironmentProperties"][
            "PropertyGroups"
        ]
    }


def test_flink_runs_in_the_logs_subnets_with_the_client_security_group(outdir: Path) -> None:
    (application,) = resources(template(outdir, "Processing"), "AWS::KinesisAnalyticsV2::Application")
    (vpc,) = application["Properties"]["ApplicationConfiguration"]["VpcConfigurations"]
    assert len(vpc["SubnetIds"]) == len(CONFIG.log.msk.availability_zones)
    assert "ClientSecurityGroup" in json.dumps(vpc["SecurityGroupIds"])


def test_flink_property_groups_follow_the_kafka_contract(outdir: Path) -> None:
    groups = property_groups(template(outdir, "Processing"))
    group_id = NAMES.flink_consumer_group(CONFIG.processing.job_version)
    assert {k: v for k, v in groups["source"].items() if k != "kafka.bootstrap_servers"} == {
        "type": "kafka",
        "kafka.topic": NAMES.raw_topic,
        "kafka.group_id": group_id,
        "kafka.start_position": "GROUP_OFFSETS",
        "kafka.security": "iam",
    }
    assert {k: v for k, v in groups["sink"].items() if k != "kafka.bootstrap_servers"} == {
        "type": "kafka",
        "kafka.topic": NAMES.insights_topic,
        "kafka.security": "iam",
    }
    # The bootstrap string comes from the ingestion stack's GetBootstrapBrokers custom resource.
    for group in ("source", "sink"):
        assert "Fn::ImportValue" in json.dumps(groups[group]["kafka.bootstrap_servers"])
    assert groups[RUN_OPTIONS_GROUP]["jarfile"].endswith(".jar")


def test_flink_role_reads_the_raw_topic_as_its_group_and_writes_insights(outdir: Path) -> None:
    doc = template(outdir, "Processing")
    (read,) = statements_with(doc, "kafka-cluster:ReadData")
    assert f"/{NAMES.raw_topic}" in json.dumps(read["Resource"])
    (group,) = statements_with(doc, "kafka-cluster:AlterGroup")
    assert json.dumps(group["Resource"]).endswith(f'"/{NAMES.flink_consumer_group("v1")}"]]}}')
    (write,) = statements_with(doc, "kafka-cluster:WriteData")
    assert f"/{NAMES.insights_topic}" in json.dumps(write["Resource"])


def test_flink_role_network_permissions_are_least_privilege(outdir: Path) -> None:
    doc = template(outdir, "Processing")
    (describe,) = statements_with(doc, "ec2:DescribeSubnets")
    assert describe["Resource"] == "*"
    assert all(a.startswith("ec2:Describe") for a in actions_of(describe))
    (create,) = statements_with(doc, "ec2:CreateNetworkInterface")
    resources_text = json.dumps(create["Resource"])
    assert create["Resource"] != "*"
    assert "network-interface/*" in resources_text
    assert ":subnet/" in resources_text
    assert ":security-group/" in resources_text
    (delete,) = statements_with(doc, "ec2:DeleteNetworkInterface")
    assert "network-interface/*" in json.dumps(delete["Resource"])


# ------------------------------------------------------------------------------------------ delivery
def test_fanout_reads_the_insights_topic_through_an_msk_mapping_with_provisioned_pollers(
    outdir: Path,
) -> None:
    delivery = Template.from_json(template(outdir, "Delivery"))
    delivery.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::ImportValue": Match.string_like_regexp("LogCluster")},
            "Topics": [NAMES.insights_topic],
            "StartingPosition": "TRIM_HORIZON",
            "BatchSize": CONFIG.delivery.batch_size,
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": CONFIG.delivery.max_retry_attempts,
            "MaximumRecordAgeInSeconds": CONFIG.delivery.max_record_age_seconds,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "DestinationConfig": {
                "OnFailure": {
                    "Destination": {"Fn::GetAtt": [Match.string_like_regexp("FailedBatches"), "Arn"]}
                }
            },
            "AmazonManagedKafkaEventSourceConfig": {"ConsumerGroupId": NAMES.fanout_consumer_group},
            "ProvisionedPollerConfig": {
                "MinimumPollers": CONFIG.delivery.kafka_min_pollers,
                "MaximumPollers": CONFIG.delivery.kafka_max_pollers,
            },
        },
    )
    # The retry queue's mapping stays; there is no Kinesis mapping.
    delivery.resource_count_is("AWS::Lambda::EventSourceMapping", 2)


def test_fanout_stays_outside_the_vpc_and_its_role_serves_the_mapping(outdir: Path) -> None:
    doc = template(outdir, "Delivery")
    (fanout,) = [
        f
        for f in resources(doc, "AWS::Lambda::Function")
        if f["Properties"]["FunctionName"] == NAMES.fanout_function
    ]
    assert "VpcConfig" not in fanout["Properties"]
    (brokers,) = statements_with(doc, "kafka:GetBootstrapBrokers")
    assert "kafka:DescribeClusterV2" in actions_of(brokers)
    (group,) = statements_with(doc, "kafka-cluster:AlterGroup")
    assert json.dumps(group["Resource"]).endswith(f'"/{NAMES.fanout_consumer_group}"]]}}')
    (network,) = statements_with(doc, "ec2:CreateNetworkInterface")
    assert "ec2:DescribeSubnets" in actions_of(network)
    sends = statements_with(doc, "sqs:SendMessage")
    assert any("FailedBatches" in json.dumps(s["Resource"]) for s in sends)
    assert statements_with(doc, "kinesis:GetRecords") == []


# ------------------------------------------------------------------------------------------ monitoring
def alarms(outdir: Path) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["AlarmName"]: r["Properties"]
        for r in resources(template(outdir, "Monitoring"), "AWS::CloudWatch::Alarm")
    }


@pytest.mark.parametrize(
    ("alarm", "group", "topic"),
    [
        ("raw-topic-processing-lag", NAMES.flink_consumer_group("v1"), NAMES.raw_topic),
        ("insights-topic-delivery-lag", NAMES.fanout_consumer_group, NAMES.insights_topic),
    ],
)
def test_consumer_lag_alarms_watch_each_group_with_msk_serverless_dimensions(
    outdir: Path, alarm: str, group: str, topic: str
) -> None:
    props = alarms(outdir)[f"{NAMES.prefix}-{alarm}"]
    assert props["Namespace"] == "AWS/Kafka"
    assert props["MetricName"] == "EstimatedMaxTimeLag"
    assert props["Threshold"] == CONFIG.log.msk.consumer_lag_threshold_seconds
    assert sorted(props["Dimensions"], key=lambda d: d["Name"]) == [
        {"Name": "Cluster Name", "Value": NAMES.kafka_cluster},
        {"Name": "Consumer Group", "Value": group},
        {"Name": "Topic", "Value": topic},
    ]


def test_kinesis_alarms_and_rows_are_left_out_on_msk(outdir: Path) -> None:
    names = set(alarms(outdir))
    for kinesis_only in ("raw-stream-write-throttles", "raw-stream-processing-lag", "insights-delivery-lag"):
        assert f"{NAMES.prefix}-{kinesis_only}" not in names
    (dashboard,) = resources(template(outdir, "Monitoring"), "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for kinesis_metric in ("IncomingRecords", "GetRecords.IteratorAgeMilliseconds", "millisBehindLatest"):
        assert kinesis_metric not in body
    assert "The log on MSK Serverless" in body
    assert "BytesInPerSec" in body
    assert "MaxOffsetLag" in body
