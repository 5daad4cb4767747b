"""The AWS side of replay: the new version's application request, its stream, reading insights, cut-over."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import boto3
import orjson
import pytest
from moto import mock_aws

from kappa.replay.aws import AwsReplay, ReplayError, ReplaySource, replay_application_request
from stacks.config import load_config

CONFIG = load_config(env_name="dev")
ACCOUNT = "123456789012"
RAW_ARN = f"arn:aws:kinesis:eu-west-1:{ACCOUNT}:stream/kappa-dev-raw-events"
RUNNING: dict[str, Any] = {
    "ApplicationName": "kappa-dev-analytics-v1",
    "RuntimeEnvironment": "FLINK-2_2",
    "ServiceExecutionRole": f"arn:aws:iam::{ACCOUNT}:role/flink",
    "ApplicationMode": "STREAMING",
    "ApplicationVersionId": 3,
    "ApplicationConfigurationDescription": {
        "ApplicationCodeConfigurationDescription": {
            "CodeContentType": "ZIPFILE",
            "CodeContentDescription": {
                "S3ApplicationCodeLocationDescription": {"BucketARN": "arn:aws:s3:::assets", "FileKey": "app.zip"}
            },
        },
        "EnvironmentPropertyDescriptions": {
            "PropertyGroupDescriptions": [
                {"PropertyGroupId": "job", "PropertyMap": {"job_version": "v1", "python.execution_mode": "thread"}},
                {
                    "PropertyGroupId": "source",
                    "PropertyMap": {"type": "kinesis", "kinesis.stream_arn": RAW_ARN, "kinesis.start_position": "LATEST"},
                },
                {"PropertyGroupId": "sink", "PropertyMap": {"type": "kinesis", "kinesis.stream_arn": "old"}},
                {"PropertyGroupId": "analytics", "PropertyMap": {"abandonment.after_minutes": "45"}},
                {"PropertyGroupId": "kinesis.analytics.flink.run.options", "PropertyMap": {"python": "main.py"}},
            ]
        },
        "FlinkApplicationConfigurationDescription": {
            "CheckpointConfigurationDescription": {"ConfigurationType": "CUSTOM", "CheckpointingEnabled": True, "CheckpointInterval": 60000},
            "MonitoringConfigurationDescription": {"ConfigurationType": "CUSTOM", "MetricsLevel": "TASK", "LogLevel": "INFO"},
            "ParallelismConfigurationDescription": {
                "ConfigurationType": "CUSTOM", "Parallelism": 2, "ParallelismPerKPU": 1,
                "AutoScalingEnabled": False, "CurrentParallelism": 2,
            },
        },
    },
    "CloudWatchLoggingOptionDescriptions": [{"LogStreamARN": "arn:aws:logs:eu-west-1:1:log-group:g:log-stream:s"}],
}  # fmt: skip


def groups_of(request: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        g["PropertyGroupId"]: g["PropertyMap"]
        for g in request["ApplicationConfiguration"]["EnvironmentProperties"]["PropertyGroups"]
    }


def test_replayed_version_keeps_code_role_and_analytics_but_changes_version_source_and_sink() -> None:
    request = replay_application_request(
        RUNNING,
        config=CONFIG,
        job_version="v2",
        insights_stream_arn="arn:new",
        source=ReplaySource(from_timestamp=datetime(2026, 11, 20, tzinfo=UTC)),
    )
    groups = groups_of(request)
    assert request["ApplicationName"] == "kappa-dev-analytics-v2"
    assert request["ServiceExecutionRole"] == RUNNING["ServiceExecutionRole"]
    assert request["ApplicationConfiguration"]["ApplicationCodeConfiguration"]["CodeContent"] == {
        "S3ContentLocation": {"BucketARN": "arn:aws:s3:::assets", "FileKey": "app.zip"}
    }
    assert groups["job"]["job_version"] == "v2"
    assert groups["analytics"] == {"abandonment.after_minutes": "45"}
    assert groups["source"] == {
        "type": "kinesis",
        "kinesis.stream_arn": RAW_ARN,
        "kinesis.start_position": "AT_TIMESTAMP",
        "kinesis.start_timestamp": "2026-11-20T00:00:00.000Z",
    }
    assert groups["sink"] == {"type": "kinesis", "kinesis.stream_arn": "arn:new"}
    parallelism = request["ApplicationConfiguration"]["FlinkApplicationConfiguration"][
        "ParallelismConfiguration"
    ]
    assert "CurrentParallelism" not in parallelism


def test_replay_from_the_archive_is_refused_with_the_reason_and_the_alternatives() -> None:
    # GIVEN a replay from the S3 archive (Flink's files source would read its files in arbitrary order)
    # WHEN the request is built THEN it is refused, saying why and what to do instead
    with pytest.raises(ReplayError, match="no particular order") as refused:
        replay_application_request(
            RUNNING, config=CONFIG, job_version="v2", insights_stream_arn="a", source=ReplaySource(archive=True)
        )  # fmt: skip
    assert "--from" in str(refused.value)
    assert "--data-dir" in str(refused.value)


def test_replay_of_an_application_on_msk_is_refused_until_supported() -> None:
    # GIVEN the running application reads the raw topic on MSK (log.backend msk)
    running = copy.deepcopy(RUNNING)
    groups = running["ApplicationConfigurationDescription"]["EnvironmentPropertyDescriptions"]
    groups["PropertyGroupDescriptions"][1]["PropertyMap"] = {
        "type": "kafka", "kafka.bootstrap_servers": "b:9098", "kafka.topic": "kappa-dev-raw-events",
        "kafka.security": "iam",
    }  # fmt: skip
    # WHEN a replay request is built THEN it is refused, naming the backend and the local alternative
    with pytest.raises(ReplayError, match=r"log\.backend msk") as refused:
        replay_application_request(
            running, config=CONFIG, job_version="v2", insights_stream_arn="a", source=ReplaySource()
        )
    assert "--data-dir" in str(refused.value)


class FakeFlink:
    """Managed Flink's API as far as replay uses it (moto cannot start applications)."""

    class exceptions:  # noqa: N801 - mirrors boto3's client.exceptions
        class ResourceNotFoundException(Exception):  # noqa: N818 - boto3's name
            pass

    def __init__(self) -> None:
        self.applications = {"kappa-dev-analytics-v1": copy.deepcopy(RUNNING)}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def describe_application(self, ApplicationName: str) -> dict[str, Any]:
        if ApplicationName not in self.applications:
            raise self.exceptions.ResourceNotFoundException(ApplicationName)
        return {"ApplicationDetail": self.applications[ApplicationName]}

    def create_application(self, **request: Any) -> None:
        self.calls.append(("create_application", request))
        self.applications[request["ApplicationName"]] = {"ApplicationVersionId": 1}

    def __getattr__(self, name: str):
        return lambda **kwargs: self.calls.append((name, kwargs))


@pytest.fixture
def aws():
    with mock_aws():
        yield {
            "kinesis": boto3.client("kinesis", region_name="eu-west-1"),
            "lambda": boto3.client("lambda", region_name="eu-west-1"),
        }


def running_insights_stream(aws, name: str = "kappa-dev-insights-v1") -> str:
    """The running version's insights stream as the processing stack makes it: KMS, a customer key."""
    key_arn = boto3.client("kms", region_name="eu-west-1").create_key()["KeyMetadata"]["Arn"]
    aws["kinesis"].create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    aws["kinesis"].start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key_arn)
    return key_arn


def test_start_creates_a_stream_with_the_running_streams_key_and_a_fresh_application(aws) -> None:
    # GIVEN the running v1's insights stream, encrypted with the key the delivery stack lets the fan-out use
    key_arn = running_insights_stream(aws)
    flink = FakeFlink()
    replay = AwsReplay(CONFIG, aws["kinesis"], flink, aws["lambda"], ACCOUNT, sleep=lambda _s: None)
    name = replay.start("v2", ReplaySource(), progress=lambda _m: None)
    assert name == "kappa-dev-analytics-v2"
    summary = aws["kinesis"].describe_stream_summary(StreamName="kappa-dev-insights-v2")[
        "StreamDescriptionSummary"
    ]
    # THEN v2's stream uses the same key, so the fan-out can decrypt it after a cut-over
    assert summary["EncryptionType"] == "KMS"
    assert summary["KeyId"] == key_arn
    calls = dict(flink.calls)
    assert groups_of(calls["create_application"])["sink"]["kinesis.stream_arn"] == summary["StreamARN"]
    assert calls["start_application"]["RunConfiguration"]["ApplicationRestoreConfiguration"] == {
        "ApplicationRestoreType": "SKIP_RESTORE_FROM_SNAPSHOT"
    }
    assert calls["add_application_cloud_watch_logging_option"]["ApplicationName"] == "kappa-dev-analytics-v2"


def test_start_refuses_the_running_version_and_a_missing_deployment(aws) -> None:
    replay = AwsReplay(CONFIG, aws["kinesis"], FakeFlink(), aws["lambda"], ACCOUNT)
    with pytest.raises(ReplayError, match="running version"):
        replay.start("v1", ReplaySource())
    empty = FakeFlink()
    empty.applications.clear()
    with pytest.raises(ReplayError, match="deploy the stacks first"):
        AwsReplay(CONFIG, aws["kinesis"], empty, aws["lambda"], ACCOUNT).start("v2", ReplaySource())
    # the application exists but its insights stream does not: nothing is created
    with pytest.raises(ReplayError, match="insights stream kappa-dev-insights-v1 does not exist"):
        replay.start("v2", ReplaySource(), progress=lambda _m: None)
    assert aws["kinesis"].list_streams()["StreamNames"] == []


def test_start_refuses_an_archive_replay_before_creating_anything(aws) -> None:
    # GIVEN a deployed v1 WHEN v2 is asked to replay the S3 archive
    running_insights_stream(aws)
    flink = FakeFlink()
    replay = AwsReplay(CONFIG, aws["kinesis"], flink, aws["lambda"], ACCOUNT)
    with pytest.raises(ReplayError, match="not supported"):
        replay.start("v2", ReplaySource(archive=True), progress=lambda _m: None)
    # THEN no stream and no application were created
    assert aws["kinesis"].list_streams()["StreamNames"] == ["kappa-dev-insights-v1"]
    assert "create_application" not in dict(flink.calls)


def test_start_on_msk_is_refused_before_creating_anything(aws) -> None:
    # GIVEN an environment whose log is MSK Serverless
    config = load_config(
        {
            "environments": {
                "dev": {
                    "log": {"backend": "msk", "msk": {"availability_zones": ["eu-west-1a", "eu-west-1b"]}}
                }
            }
        }
    )
    flink = FakeFlink()
    replay = AwsReplay(config, aws["kinesis"], flink, aws["lambda"], ACCOUNT, sleep=lambda _s: None)
    # WHEN a replay starts THEN it is refused and nothing was created
    with pytest.raises(ReplayError, match=r"log\.backend msk"):
        replay.start("v2", ReplaySource(), progress=lambda _m: None)
    assert flink.calls == []
    assert aws["kinesis"].list_streams()["StreamNames"] == []


def test_read_insights_returns_one_versions_insights_within_the_event_time_range(aws) -> None:
    kinesis = aws["kinesis"]
    kinesis.create_stream(StreamName="kappa-dev-insights-v1", ShardCount=2)
    for minute in range(5):
        insight = {
            "insight_id": f"i{minute}",
            "type": "metrics",
            "occurred_at": f"2026-11-25T12:0{minute}:00.000Z",
        }
        kinesis.put_record(
            StreamName="kappa-dev-insights-v1", Data=orjson.dumps(insight), PartitionKey=str(minute)
        )
    replay = AwsReplay(CONFIG, kinesis, FakeFlink(), aws["lambda"], ACCOUNT)
    found = replay.read_insights(
        "v1", datetime(2026, 11, 25, 12, 1, tzinfo=UTC), datetime(2026, 11, 25, 12, 3, tzinfo=UTC)
    )
    assert sorted(i["insight_id"] for i in found) == ["i1", "i2"]


class FakeLambda:
    def __init__(self, mappings: list[dict[str, Any]]) -> None:
        self.mappings = mappings
        self.created: list[dict[str, Any]] = []
        self.deleted: list[str] = []
        self.listed_for: list[str] = []

    def list_event_source_mappings(self, FunctionName: str) -> dict[str, Any]:
        self.listed_for.append(FunctionName)
        return {"EventSourceMappings": self.mappings}

    def create_event_source_mapping(self, **kwargs: Any) -> None:
        self.created.append(kwargs)

    def delete_event_source_mapping(self, UUID: str) -> None:
        self.deleted.append(UUID)


def test_cutover_moves_the_fanout_mapping_with_its_settings_and_stops_the_old_version(aws) -> None:
    kinesis = aws["kinesis"]
    for version in ("v1", "v2"):
        kinesis.create_stream(StreamName=f"kappa-dev-insights-{version}", ShardCount=1)
    old_arn = kinesis.describe_stream_summary(StreamName="kappa-dev-insights-v1")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    new_arn = kinesis.describe_stream_summary(StreamName="kappa-dev-insights-v2")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    lambda_ = FakeLambda(
        [{"UUID": "old", "EventSourceArn": old_arn, "BatchSize": 100, "BisectBatchOnFunctionError": True,
          "FunctionResponseTypes": ["ReportBatchItemFailures"], "State": "Enabled"}]
    )  # fmt: skip
    flink = FakeFlink()
    AwsReplay(CONFIG, kinesis, flink, lambda_, ACCOUNT).cutover(
        "v2", overlap_seconds=900, progress=lambda _m: None
    )
    (created,) = lambda_.created
    assert created["EventSourceArn"] == new_arn
    assert created["FunctionName"] == "kappa-dev-webhook-fanout"
    assert created["StartingPosition"] == "AT_TIMESTAMP"
    assert created["BatchSize"] == 100
    assert created["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert lambda_.deleted == ["old"]
    assert ("stop_application", {"ApplicationName": "kappa-dev-analytics-v1"}) in flink.calls


def test_cutover_moves_the_live_aliass_mapping_when_the_fanout_has_provisioned_concurrency(aws) -> None:
    # GIVEN a fan-out with provisioned concurrency: the stack maps the insights stream to its `live` alias
    delivery = CONFIG.delivery.model_copy(
        update={"function": CONFIG.delivery.function.model_copy(update={"provisioned_concurrency": 2})}
    )
    config = CONFIG.model_copy(update={"delivery": delivery})
    kinesis = aws["kinesis"]
    for version in ("v1", "v2"):
        kinesis.create_stream(StreamName=f"kappa-dev-insights-{version}", ShardCount=1)
    old_arn = kinesis.describe_stream_summary(StreamName="kappa-dev-insights-v1")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    lambda_ = FakeLambda([{"UUID": "old", "EventSourceArn": old_arn, "BatchSize": 100}])
    # WHEN cutting over
    AwsReplay(config, kinesis, FakeFlink(), lambda_, ACCOUNT).cutover("v2", overlap_seconds=0, progress=print)
    # THEN the alias' mappings are listed and the new mapping invokes the alias too
    assert lambda_.listed_for == ["kappa-dev-webhook-fanout:live"]
    assert lambda_.created[0]["FunctionName"] == "kappa-dev-webhook-fanout:live"
    assert lambda_.deleted == ["old"]


def test_cutover_refuses_when_already_done_or_without_a_mapping(aws) -> None:
    kinesis = aws["kinesis"]
    for version in ("v1", "v2"):
        kinesis.create_stream(StreamName=f"kappa-dev-insights-{version}", ShardCount=1)
    with pytest.raises(ReplayError, match="no event source mapping"):
        AwsReplay(CONFIG, kinesis, FakeFlink(), FakeLambda([]), ACCOUNT).cutover("v2", overlap_seconds=0)
