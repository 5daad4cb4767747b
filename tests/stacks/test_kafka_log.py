"""`KafkaLog` on its own: MSK Serverless with IAM auth in isolated subnets, least-privilege security groups,
topics created at deploy and retained, grants scoped to one topic; cdk-nag and cfn-lint clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from stacks.config import MskConfig, ResourceNames
from stacks.constructs.kafka_log import KafkaLog, KafkaLogProps
from tests.stacks.cdk_checks import cfn_lint, synth_stack_with_nag

pytestmark = [pytest.mark.slow, pytest.mark.cdk]


@pytest.fixture(scope="module")
def synthesized(
    all_lambdas_build_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], Path]:
    outdir = tmp_path_factory.mktemp("kafka-log")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Log", env=cdk.Environment(region="eu-west-1"))
    # As in the project's stacks: CDK's redundant DependsOn on function roles (see IngestionStack).
    stack.template_options.metadata = {"cfn-lint": {"config": {"ignore_checks": ["W3005"]}}}
    log = KafkaLog(
        stack,
        "Log",
        props=KafkaLogProps(
            names=ResourceNames("kappa-dev"),
            settings=MskConfig(availability_zones=("eu-west-1a", "eu-west-1b"), raw_partitions=6),
            lambda_build_dir=all_lambdas_build_dir,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        ),
    )
    producer = lambda_.Function(
        stack,
        "Producer",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(e, c): pass"),
    )
    log.grant_produce(producer, topic=log.raw_topic)
    cdk.Validations.of(producer).acknowledge(
        cdk.Acknowledgment(
            id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            reason="test stand-in producer, never deployed",
        ),
        cdk.Acknowledgment(id="AwsSolutions-L1", reason="test stand-in producer, never deployed"),
    )
    synth_stack_with_nag(app)
    path = outdir / "Log.template.json"
    return json.loads(path.read_text()), path


def test_the_cluster_is_serverless_with_iam_auth_in_two_isolated_subnets(synthesized) -> None:
    doc, _ = synthesized
    template = Template.from_json(doc)
    template.has_resource_properties(
        "AWS::MSK::ServerlessCluster",
        {
            "ClusterName": "kappa-dev-log",
            "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}},
            "VpcConfigs": [{"SubnetIds": Match.any_value(), "SecurityGroups": Match.any_value()}],
        },
    )
    template.resource_count_is("AWS::EC2::Subnet", 2)
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.resource_count_is("AWS::EC2::InternetGateway", 0)


def test_security_groups_open_only_the_broker_port_and_https_to_endpoints(synthesized) -> None:
    doc, _ = synthesized
    rules = [
        r["Properties"]
        for r in doc["Resources"].values()
        if r["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")
    ]
    assert {(r["FromPort"], r["ToPort"]) for r in rules} == {(9098, 9098), (443, 443)}
    assert not [r for r in rules if r.get("CidrIp") == "0.0.0.0/0"]


def test_topics_are_created_at_deploy_from_config_and_retained(synthesized) -> None:
    doc, _ = synthesized
    (topics,) = [r for r in doc["Resources"].values() if r["Type"] == "Custom::KafkaTopics"]
    assert topics["DeletionPolicy"] == "Retain"
    assert topics["Properties"]["Topics"] == [
        {"Name": "kappa-dev-raw-events", "Partitions": "6", "Config": {"retention.ms": "604800000"}},
        {"Name": "kappa-dev-insights", "Partitions": "2", "Config": {"retention.ms": "604800000"}},
    ]


def test_a_producer_may_write_the_raw_topic_only_and_is_told_where_it_is(synthesized) -> None:
    doc, _ = synthesized
    template = Template.from_json(doc)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": {
                    "LOG_BACKEND": "kafka",
                    "RAW_TOPIC": "kappa-dev-raw-events",
                    "KAFKA_SECURITY": "iam",
                    "KAFKA_BOOTSTRAP_SERVERS": Match.any_value(),
                }
            },
            "Handler": "index.handler",
        },
    )
    statements = [
        s
        for r in doc["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and "Producer" in json.dumps(r["Properties"]["Roles"])
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {
        a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {"kafka-cluster:Connect", "kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"}
    assert "kappa-dev-raw-events" in json.dumps(statements)
    assert "kappa-dev-insights" not in json.dumps(statements)


def test_the_template_is_cfn_lint_clean(synthesized) -> None:
    _, path = synthesized
    assert cfn_lint(path) == []
