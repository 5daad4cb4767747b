"""The processing stack: the Managed Flink application, its property groups, insights stream and IAM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from flink_app.settings import KafkaSink, KafkaSource, KinesisSink, KinesisSource, settings_from_properties
from stacks.config import ResourceNames, load_config
from stacks.processing_stack import (
    CONNECTOR_JAR,
    KAFKA_START_POSITIONS,
    PYTHON_FILES,
    RUN_OPTIONS_GROUP,
    KafkaJobLog,
    job_property_groups,
)

pytestmark = [pytest.mark.slow, pytest.mark.cdk]


def template(synthesized_apps: dict[str, tuple[cdk.App, Path]], env: str) -> dict[str, Any]:
    return json.loads((synthesized_apps[env][1] / "Processing.template.json").read_text())


def resources(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in doc["Resources"].values() if r["Type"] == kind]


def test_application_runs_pyflink_on_flink_2_2_with_checkpoints_and_config(synthesized_apps) -> None:
    config = load_config(env_name="prod").processing
    Template.from_json(template(synthesized_apps, "prod")).has_resource_properties(
        "AWS::KinesisAnalyticsV2::Application",
        {
            "ApplicationName": "kappa-prod-analytics-v1",
            "RuntimeEnvironment": "FLINK-2_2",
            "ApplicationConfiguration": {
                "ApplicationSnapshotConfiguration": {"SnapshotsEnabled": True},
                "FlinkApplicationConfiguration": {
                    "CheckpointConfiguration": {
                        "ConfigurationType": "CUSTOM",
                        "CheckpointingEnabled": True,
                        "CheckpointInterval": config.checkpoint_interval_ms,
                    },
                    "MonitoringConfiguration": Match.object_like({"MetricsLevel": "TASK"}),
                    "ParallelismConfiguration": {
                        "ConfigurationType": "CUSTOM",
                        "Parallelism": config.parallelism,
                        "ParallelismPerKPU": config.parallelism_per_kpu,
                        "AutoScalingEnabled": True,
                    },
                },
                "ApplicationCodeConfiguration": Match.object_like({"CodeContentType": "ZIPFILE"}),
            },
        },
    )


def test_property_groups_name_the_python_entry_jar_streams_and_version(synthesized_apps) -> None:
    (application,) = resources(template(synthesized_apps, "dev"), "AWS::KinesisAnalyticsV2::Application")
    groups = {
        g["PropertyGroupId"]: g["PropertyMap"]
        for g in application["Properties"]["ApplicationConfiguration"]["EnvironmentProperties"][
            "PropertyGroups"
        ]
    }
    assert groups[RUN_OPTIONS_GROUP] == {
        "python": "main.py",
        "jarfile": CONNECTOR_JAR,
        "pyFiles": PYTHON_FILES,
    }
    assert groups["job"]["job_version"] == "v1"
    # an idle shard must not hold the watermark back for good (Flink: table.exec.source.idle-timeout)
    assert groups["job"]["source.idle_timeout_ms"] == "30000"
    assert groups["source"]["type"] == "kinesis"
    assert groups["source"]["kinesis.start_position"] == "TRIM_HORIZON"
    assert "Fn::ImportValue" in json.dumps(
        groups["source"]["kinesis.stream_arn"]
    )  # the ingestion stack's stream
    assert groups["sink"]["type"] == "kinesis"


def test_job_properties_from_config_override_the_defaults() -> None:
    config = load_config(
        {
            "environments": {
                "dev": {"processing": {"job_properties": {"analytics": {"abandonment.after_minutes": "45"}}}}
            }
        }
    ).processing
    groups = job_property_groups(config, raw_stream_arn="raw", insights_stream_arn="out")
    assert groups["analytics"] == {"abandonment.after_minutes": "45"}
    assert groups["source"]["kinesis.stream_arn"] == "raw"


def test_kafka_property_groups_follow_the_contract() -> None:
    # GIVEN the MSK log's endpoints WHEN the groups are built THEN source and sink are the contract's kafka groups
    config = load_config(env_name="dev").processing
    log = KafkaJobLog(
        bootstrap_servers="b-1:9098,b-2:9098", raw_topic="raw", insights_topic="out", group_id="g"
    )
    groups = job_property_groups(config, kafka=log)
    assert groups["source"] == {
        "type": "kafka", "kafka.bootstrap_servers": "b-1:9098,b-2:9098", "kafka.topic": "raw",
        "kafka.group_id": "g", "kafka.start_position": "GROUP_OFFSETS", "kafka.security": "iam",
    }  # fmt: skip
    assert groups["sink"] == {
        "type": "kafka", "kafka.bootstrap_servers": "b-1:9098,b-2:9098", "kafka.topic": "out",
        "kafka.security": "iam",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("kinesis_position", "kafka_position"),
    [("TRIM_HORIZON", "GROUP_OFFSETS"), ("LATEST", "LATEST"), ("AT_TIMESTAMP", "TIMESTAMP")],
)
def test_start_position_maps_to_kafka_words(kinesis_position: str, kafka_position: str) -> None:
    config = load_config(
        {"environments": {"dev": {"processing": {"start_position": kinesis_position}}}}
    ).processing
    log = KafkaJobLog(bootstrap_servers="b:9098", raw_topic="raw", insights_topic="out", group_id="g")
    assert job_property_groups(config, kafka=log)["source"]["kafka.start_position"] == kafka_position


@pytest.mark.parametrize(
    "logs",
    [
        {},
        {"raw_stream_arn": "raw"},
        {
            "raw_stream_arn": "raw",
            "insights_stream_arn": "out",
            "kafka": KafkaJobLog(bootstrap_servers="b:9098", raw_topic="r", insights_topic="o", group_id="g"),
        },
    ],
)
def test_property_groups_need_exactly_one_log(logs: dict) -> None:
    with pytest.raises(ValueError, match="either both stream ARNs"):
        job_property_groups(load_config(env_name="dev").processing, **logs)


def test_insights_stream_is_versioned_and_encrypted_with_its_own_key(synthesized_apps) -> None:
    Template.from_json(template(synthesized_apps, "dev")).has_resource_properties(
        "AWS::Kinesis::Stream",
        {
            "Name": "kappa-dev-insights-v1",
            "StreamEncryption": {"EncryptionType": "KMS", "KeyId": Match.any_value()},
        },
    )


def test_role_is_least_privilege_with_no_wildcard_actions(synthesized_apps) -> None:
    doc = template(synthesized_apps, "dev")
    (role,) = resources(doc, "AWS::IAM::Role")
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "kinesisanalytics.amazonaws.com"
    }
    actions = [
        action
        for policy in resources(doc, "AWS::IAM::Policy")
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    ]
    assert "kinesis:PutRecords" in actions
    assert "kinesis:GetRecords" in actions
    assert "s3:GetObject" in actions
    assert not [a for a in actions if "*" in a]


def test_application_logs_to_its_own_log_group(synthesized_apps) -> None:
    doc = template(synthesized_apps, "dev")
    assert len(resources(doc, "AWS::Logs::LogGroup")) == 1
    (option,) = resources(doc, "AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption")
    assert option["Properties"]["ApplicationName"] == "kappa-dev-analytics-v1"
    assert "log-stream" in json.dumps(option["Properties"]["CloudWatchLoggingOption"]["LogStreamARN"])


def test_missing_application_zip_is_a_clear_error(tmp_path: Path, all_lambdas_build_dir: Path) -> None:
    from stacks.application import build_app

    context = json.loads((Path(__file__).parents[2] / "cdk.json").read_text())["context"]
    with pytest.raises(FileNotFoundError, match="run `make package-flink` first"):
        build_app(
            {
                **context,
                "lambda_build_dir": str(all_lambdas_build_dir),
                "flink_package": str(tmp_path / "none.zip"),
            },
            outdir=tmp_path / "out",
        )


@pytest.mark.parametrize("log_backend", ["kinesis", "msk"])
@pytest.mark.parametrize("start_position", ["TRIM_HORIZON", "LATEST"])
def test_the_job_accepts_the_property_groups_the_stack_writes(log_backend: str, start_position: str) -> None:
    # GIVEN the property groups the stack gives the application, on either log
    config = load_config(
        {"environments": {"dev": {"processing": {"start_position": start_position}}}}
    ).processing
    names = ResourceNames("kappa-dev")
    logs: dict = (
        {
            "raw_stream_arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/kappa-dev-raw-events",
            "insights_stream_arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/kappa-dev-insights-v1",
        }
        if log_backend == "kinesis"
        else {
            "kafka": KafkaJobLog(
                bootstrap_servers="boot-abc.c2.kafka-serverless.eu-west-1.amazonaws.com:9098",
                raw_topic=names.raw_topic,
                insights_topic=names.insights_topic,
                group_id=names.flink_consumer_group("v1"),
            )
        }
    )
    groups = job_property_groups(config, **logs)
    # WHEN the job reads them (the one reader of application properties)
    settings = settings_from_properties(groups)
    # THEN it accepts every key, and reads and writes the log the stack named
    if log_backend == "kinesis":
        assert isinstance(settings.source, KinesisSource)
        assert isinstance(settings.sink, KinesisSink)
        assert settings.source.start_position == start_position
    else:
        assert isinstance(settings.source, KafkaSource)
        assert isinstance(settings.sink, KafkaSink)
        assert (settings.source.topic, settings.source.group_id) == (
            names.raw_topic,
            "kappa-dev-analytics-v1",
        )
        assert settings.sink.topic == names.insights_topic
        assert settings.source.security == settings.sink.security == "iam"
        assert settings.source.start_position == KAFKA_START_POSITIONS[start_position]


def test_the_idle_timeout_comes_from_config_and_zero_turns_it_off() -> None:
    config = load_config({"environments": {"dev": {"processing": {"source_idle_timeout_ms": 0}}}}).processing
    groups = job_property_groups(config, raw_stream_arn="raw", insights_stream_arn="out")
    assert groups["job"]["source.idle_timeout_ms"] == "0"
