"""The monitoring stack's template: every hop on the dashboard, each alarm on its metric and wired to the
encrypted, TLS-only topic, subscriptions from config, cdk-nag and cfn-lint clean. Synthesized once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from events.contract import INSIGHT_TYPES
from kappa.planning.workload import ALARM_METRICS
from stacks.config import MonitoringConfig
from stacks.constructs.pipeline_metrics import DELIVERY_OUTCOMES, FLINK_JOB_COUNTERS
from stacks.monitoring_stack import MonitoredResources, MonitoringStack
from tests.stacks.cdk_checks import cfn_lint, synth_stack_with_nag

pytestmark = [pytest.mark.slow, pytest.mark.cdk]

RESOURCES = MonitoredResources(
    api_name="kappa-test-ingest-api",
    api_stage="v1",
    ingest_function_name="kappa-test-ingest",
    raw_stream_name="kappa-test-raw-events",
    firehose_delivery_stream_name="kappa-test-archive",
    archive_bucket_name="kappa-test-archive-bucket",
    flink_application_name="kappa-test-analytics-v1",
    insights_stream_name="kappa-test-insights-v1",
    fanout_function_name="kappa-test-fanout",
    webhooks_api_function_name="kappa-test-webhooks-api",
    retry_queue_name="kappa-test-webhook-retries",
    dead_letter_queue_name="kappa-test-webhook-dlq",
    failed_batches_queue_name="kappa-test-insights-failed-batches",
    subscriptions_table_name="kappa-test-webhook-subscriptions",
)
CONFIG = MonitoringConfig(
    alarm_emails=("ops@example.com", "oncall@example.com"),
    alarm_https_endpoints=("https://alerts.example.com/kappa",),
    api_5xx_rate_threshold=0.02,
    iterator_age_threshold_seconds=120,
)
ALARM_NAMES = (
    "api-5xx-rate",
    "raw-stream-write-throttles",
    "raw-stream-processing-lag",
    "insights-delivery-lag",
    "flink-downtime",
    "flink-checkpoint-failures",
    "flink-restarts",
    "webhook-dlq-not-empty",
    "insight-batches-failed",
    "conversion-drop-insight",
    "archive-freshness",
)


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    template: Template
    quiet: Template

    @property
    def resources(self) -> dict[str, Any]:
        return self.template.to_json()["Resources"]


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("monitoring")
    app = cdk.App(outdir=str(outdir))
    MonitoringStack(
        app,
        "Monitoring",
        config=CONFIG,
        resources=RESOURCES,
        name_prefix="kappa-test",
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    MonitoringStack(
        app, "MonitoringQuiet", config=MonitoringConfig(), resources=RESOURCES, name_prefix="kappa-quiet"
    )
    synth_stack_with_nag(app)  # raises NagFindingsError listing any AwsSolutions finding
    return Synthesized(
        outdir=outdir,
        template=Template.from_json(json.loads((outdir / "Monitoring.template.json").read_text())),
        quiet=Template.from_json(json.loads((outdir / "MonitoringQuiet.template.json").read_text())),
    )


def dashboard_body(template: Template) -> dict[str, Any]:
    """The dashboard JSON with CloudFormation tokens (region, alarm ARNs) replaced by a placeholder."""
    (dashboard,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    return json.loads("".join(part if isinstance(part, str) else "TOKEN" for part in parts))


def graphed_metrics(body: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric name, dimensions) of every metric drawn on the dashboard."""
    found = []
    for widget in body["widgets"]:
        for entry in widget.get("properties", {}).get("metrics", []):
            values = [item for item in entry if not isinstance(item, dict)]
            if len(values) >= 2:
                dims = dict(zip(values[2::2], values[3::2], strict=True))
                found.append((values[0], values[1], dims))
    return found


def graphed_expressions(body: dict[str, Any]) -> list[str]:
    return [
        item["expression"]
        for widget in body["widgets"]
        for entry in widget.get("properties", {}).get("metrics", [])
        for item in entry
        if isinstance(item, dict) and "expression" in item
    ]


def alarm(synthesized: Synthesized, name: str) -> dict[str, Any]:
    matches = [
        resource["Properties"]
        for resource in synthesized.template.find_resources("AWS::CloudWatch::Alarm").values()
        if resource["Properties"]["AlarmName"] == f"kappa-test-{name}"
    ]
    assert len(matches) == 1, f"expected one alarm kappa-test-{name}"
    return matches[0]


def stat_of(properties: dict[str, Any], metric_name: str) -> dict[str, Any]:
    """The MetricStat of `metric_name` inside a metric-math alarm."""
    stats = [
        query["MetricStat"]
        for query in properties["Metrics"]
        if "MetricStat" in query and query["MetricStat"]["Metric"]["MetricName"] == metric_name
    ]
    assert stats, f"{metric_name} is not in the alarm's metrics"
    return stats[0]


def dims(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in pairs]


# --------------------------------------------------------------------------------------------- compliance
def test_cdk_nag_reports_no_findings(synthesized: Synthesized) -> None:
    report = json.loads((synthesized.outdir / "validation-report.json").read_text())

    assert [plugin for plugin in report["pluginReports"] if plugin.get("violations")] == []


def test_cfn_lint_is_clean(synthesized: Synthesized) -> None:
    templates = [
        synthesized.outdir / "Monitoring.template.json",
        synthesized.outdir / "MonitoringQuiet.template.json",
    ]

    assert cfn_lint(*templates) == []


# --------------------------------------------------------------------------------------------- dashboard
def test_one_dashboard_named_after_the_environment_with_a_titled_row_per_hop(
    synthesized: Synthesized,
) -> None:
    synthesized.template.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    synthesized.template.has_resource_properties(
        "AWS::CloudWatch::Dashboard", {"DashboardName": "kappa-test-pipeline"}
    )
    headings = [
        widget["properties"]["markdown"].splitlines()[0]
        for widget in dashboard_body(synthesized.template)["widgets"]
        if widget["type"] == "text"
    ]

    assert [heading.split(" — ")[0] for heading in headings] == [
        "### 1 · Ingestion API",
        "### 2 · Ingestion Lambda",
        "### 3 · Raw stream (the log)",
        "### 4 · Flink job",
        "### 5 · Insights stream",
        "### 6 · Webhook fan-out",
        "### 7 · Webhook deliveries",
        "### 8 · Webhook subscriptions",
        "### 9 · Archive",
    ]


API = {"ApiName": RESOURCES.api_name, "Stage": RESOURCES.api_stage}
INGEST = {"service": "ingest"}
RAW = {"StreamName": RESOURCES.raw_stream_name}
FLINK = {"Application": RESOURCES.flink_application_name}
FANOUT = {"FunctionName": RESOURCES.fanout_function_name}
FIREHOSE = {"DeliveryStreamName": RESOURCES.firehose_delivery_stream_name}

EXPECTED_GRAPHS = [
    *(("AWS/ApiGateway", name, API) for name in ("Count", "4XXError", "5XXError", "Latency")),
    *(
        ("KappaCommerce", name, INGEST)
        for name in (
            "EventsAccepted",
            "EventsRejected",
            "PutRecordsRetries",
            "PutRecordsFailedEvents",
            "BatchSize",
        )
    ),
    *(
        ("AWS/Kinesis", name, RAW)
        for name in (
            "IncomingRecords",
            "IncomingBytes",
            "WriteProvisionedThroughputExceeded",
            "GetRecords.IteratorAgeMilliseconds",
        )
    ),
    *(
        ("AWS/KinesisAnalytics", name, FLINK)
        for name in (
            "uptime",
            "downtime",
            "numRestarts",
            "lastCheckpointDuration",
            "numberOfFailedCheckpoints",
        )
    ),
    *(("AWS/KinesisAnalytics", counter, FLINK) for counter in FLINK_JOB_COUNTERS),
    ("AWS/Kinesis", "IncomingRecords", {"StreamName": RESOURCES.insights_stream_name}),
    *(("AWS/Lambda", name, FANOUT) for name in ("Errors", "Duration", "Throttles", "IteratorAge")),
    *(
        ("KappaCommerce", "Deliveries", {"service": "fanout", "outcome": outcome})
        for outcome in DELIVERY_OUTCOMES
    ),
    ("KappaCommerce", "DeliveryLatency", {"service": "fanout"}),
    ("KappaCommerce", "DeliveryAttempts", {"service": "fanout"}),
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": RESOURCES.dead_letter_queue_name}),
    ("AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": RESOURCES.retry_queue_name}),
    *(
        ("AWS/SQS", name, {"QueueName": RESOURCES.failed_batches_queue_name})
        for name in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage")
    ),
    ("AWS/Lambda", "Errors", {"FunctionName": RESOURCES.webhooks_api_function_name}),
    ("AWS/DynamoDB", "ReadThrottleEvents", {"TableName": RESOURCES.subscriptions_table_name}),
    *(
        ("AWS/Firehose", name, FIREHOSE)
        for name in ("DeliveryToS3.DataFreshness", "DeliveryToS3.Success", "ThrottledRecords")
    ),
    (
        "AWS/S3",
        "BucketSizeBytes",
        {"BucketName": RESOURCES.archive_bucket_name, "StorageType": "StandardStorage"},
    ),
]


@pytest.mark.parametrize(("namespace", "metric_name", "dimensions"), EXPECTED_GRAPHS)
def test_every_hops_metrics_are_on_the_dashboard(
    synthesized: Synthesized, namespace: str, metric_name: str, dimensions: dict[str, str]
) -> None:
    assert (namespace, metric_name, dimensions) in graphed_metrics(dashboard_body(synthesized.template))


def graphs_by_row(body: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Each row's heading (up to " — ") mapped to its graph widgets' properties by title, in order."""
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    heading = ""
    for widget in body["widgets"]:
        if widget["type"] == "text":
            heading = widget["properties"]["markdown"].splitlines()[0].split(" — ")[0]
            rows[heading] = {}
        elif widget["type"] == "metric" and heading:
            rows[heading][widget["properties"]["title"]] = widget["properties"]
    return rows


def test_the_failed_batches_queue_is_graphed_next_to_the_retry_and_dead_letter_queues(
    synthesized: Synthesized,
) -> None:
    deliveries = graphs_by_row(dashboard_body(synthesized.template))["### 7 · Webhook deliveries"]

    assert list(deliveries)[-3:] == ["Retry queue", "Dead-letter queue", "Failed insight batches"]
    graph = deliveries["Failed insight batches"]
    queue = ["QueueName", RESOURCES.failed_batches_queue_name]
    # messages on the left axis, the oldest message's age on the right, the alarm's threshold drawn
    left, right = graph["metrics"]
    assert left[:4] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible", *queue]
    assert left[4].get("yAxis", "left") == "left"
    assert right[:4] == ["AWS/SQS", "ApproximateAgeOfOldestMessage", *queue]
    assert right[4]["yAxis"] == "right"
    assert [(line["value"], line["label"]) for line in graph["annotations"]["horizontal"]] == [
        (0, "alarm above")
    ]


def test_insight_counters_cover_every_insight_type() -> None:
    assert {f"insights_{kind}" for kind in INSIGHT_TYPES} <= set(FLINK_JOB_COUNTERS)
    assert {"late_events", "duplicate_events"} <= set(FLINK_JOB_COUNTERS)


def test_rejections_by_reason_search_every_reason_of_the_ingest_service(synthesized: Synthesized) -> None:
    expressions = graphed_expressions(dashboard_body(synthesized.template))

    assert (
        "SEARCH('{KappaCommerce,service,reason} MetricName=\"EventsRejectedByReason\" service=\"ingest\"', 'Sum', 60)"
        in expressions
    )


def test_flink_lag_back_pressure_and_counter_increases_are_graphed(synthesized: Synthesized) -> None:
    expressions = graphed_expressions(dashboard_body(synthesized.template))
    app = RESOURCES.flink_application_name

    assert (
        f"SELECT MAX(millisBehindLatest) FROM \"AWS/KinesisAnalytics\" WHERE Application = '{app}'"
        in expressions
    )
    assert (
        f'SEARCH(\'{{AWS/KinesisAnalytics}} MetricName="backPressuredTimeMsPerSecond" Application="{app}"\', '
        "'Maximum', 60)" in expressions
    )
    for kind in INSIGHT_TYPES:
        assert f"IF(DIFF(total_insights_{kind}) > 0, DIFF(total_insights_{kind}), 0)" in expressions


def test_the_alarm_status_widget_shows_every_alarm(synthesized: Synthesized) -> None:
    (status,) = [w for w in dashboard_body(synthesized.template)["widgets"] if w["type"] == "alarm"]

    assert len(status["properties"]["alarms"]) == len(ALARM_NAMES)


# --------------------------------------------------------------------------------------------- alarms
def test_exactly_the_user_facing_alarms_exist(synthesized: Synthesized) -> None:
    names = {
        resource["Properties"]["AlarmName"]
        for resource in synthesized.template.find_resources("AWS::CloudWatch::Alarm").values()
    }

    assert names == {f"kappa-test-{name}" for name in ALARM_NAMES}


def test_every_alarm_notifies_the_topic_when_it_fires_and_when_it_recovers(synthesized: Synthesized) -> None:
    (topic_id,) = synthesized.template.find_resources("AWS::SNS::Topic")
    for name in ALARM_NAMES:
        properties = alarm(synthesized, name)
        assert properties["AlarmActions"] == [{"Ref": topic_id}], name
        assert properties["OKActions"] == [{"Ref": topic_id}], name
        assert f"Runbook: docs/monitoring.md#{name}" in properties["AlarmDescription"]


def test_the_planner_prices_as_many_alarm_metrics_as_the_stack_creates(synthesized: Synthesized) -> None:
    # A standard alarm bills $0.10 per metric it evaluates; a metric-math alarm each metric it uses,
    # a Metrics Insights query counts as one.
    count = 0
    for resource in synthesized.template.find_resources("AWS::CloudWatch::Alarm").values():
        properties = resource["Properties"]
        if "MetricName" in properties:
            count += 1
        else:
            count += sum(
                1
                for query in properties["Metrics"]
                if "MetricStat" in query or query.get("Expression", "").startswith("SELECT")
            )

    assert count == ALARM_METRICS


def test_api_5xx_rate_divides_5xx_by_requests_against_the_configured_threshold(
    synthesized: Synthesized,
) -> None:
    properties = alarm(synthesized, "api-5xx-rate")

    assert properties["Threshold"] == 0.02
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"
    assert properties["TreatMissingData"] == "notBreaching"
    expression = next(query["Expression"] for query in properties["Metrics"] if "Expression" in query)
    assert expression == "IF(requests > 0, errors / requests, 0)"
    for metric_name in ("5XXError", "Count"):
        stat = stat_of(properties, metric_name)
        assert stat["Metric"]["Namespace"] == "AWS/ApiGateway"
        assert stat["Metric"]["Dimensions"] == dims(
            ("ApiName", RESOURCES.api_name), ("Stage", RESOURCES.api_stage)
        )
        assert stat["Stat"] == "Sum"


@pytest.mark.parametrize(
    ("name", "namespace", "metric_name", "dimensions", "statistic", "threshold", "missing"),
    [
        (
            "raw-stream-write-throttles",
            "AWS/Kinesis",
            "WriteProvisionedThroughputExceeded",
            dims(("StreamName", RESOURCES.raw_stream_name)),
            "Sum",
            0,
            "notBreaching",
        ),
        (
            "insights-delivery-lag",
            "AWS/Lambda",
            "IteratorAge",
            dims(("FunctionName", RESOURCES.fanout_function_name)),
            "Maximum",
            120_000,
            "notBreaching",
        ),
        (
            "flink-downtime",
            "AWS/KinesisAnalytics",
            "downtime",
            dims(("Application", RESOURCES.flink_application_name)),
            "Maximum",
            0,
            "breaching",
        ),
        (
            "webhook-dlq-not-empty",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            dims(("QueueName", RESOURCES.dead_letter_queue_name)),
            "Maximum",
            0,
            "ignore",
        ),
        (
            "insight-batches-failed",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            dims(("QueueName", RESOURCES.failed_batches_queue_name)),
            "Maximum",
            0,
            "ignore",
        ),
        (
            "archive-freshness",
            "AWS/Firehose",
            "DeliveryToS3.DataFreshness",
            dims(("DeliveryStreamName", RESOURCES.firehose_delivery_stream_name)),
            "Maximum",
            900,
            "notBreaching",
        ),
    ],
)
def test_single_metric_alarms_watch_their_metric(
    synthesized: Synthesized,
    name: str,
    namespace: str,
    metric_name: str,
    dimensions: list[dict[str, str]],
    statistic: str,
    threshold: float,
    missing: str,
) -> None:
    properties = alarm(synthesized, name)

    assert (properties["Namespace"], properties["MetricName"], properties["Dimensions"]) == (
        namespace,
        metric_name,
        dimensions,
    )
    assert properties["Statistic"] == statistic
    assert properties["Threshold"] == threshold
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"
    assert properties["TreatMissingData"] == missing


def test_raw_stream_lag_alarm_queries_the_flink_sources_millis_behind_latest(
    synthesized: Synthesized,
) -> None:
    properties = alarm(synthesized, "raw-stream-processing-lag")

    (query,) = properties["Metrics"]
    assert query["Expression"] == (
        'SELECT MAX(millisBehindLatest) FROM "AWS/KinesisAnalytics" '
        f"WHERE Application = '{RESOURCES.flink_application_name}'"
    )
    assert properties["Threshold"] == 120_000
    # no lag data means the job is not reading: users are hurt either way
    assert properties["TreatMissingData"] == "breaching"


@pytest.mark.parametrize(
    ("name", "counter"),
    [
        ("flink-checkpoint-failures", "numberOfFailedCheckpoints"),
        ("flink-restarts", "numRestarts"),
        ("conversion-drop-insight", "insights_conversion_drop"),
    ],
)
def test_counter_alarms_fire_when_the_flink_counter_increases(
    synthesized: Synthesized, name: str, counter: str
) -> None:
    properties = alarm(synthesized, name)

    expression = next(query["Expression"] for query in properties["Metrics"] if "Expression" in query)
    assert expression == f"IF(DIFF(total_{counter}) > 0, DIFF(total_{counter}), 0)"
    stat = stat_of(properties, counter)
    assert stat["Metric"]["Namespace"] == "AWS/KinesisAnalytics"
    assert stat["Metric"]["Dimensions"] == dims(("Application", RESOURCES.flink_application_name))
    assert properties["Threshold"] == 0
    assert properties["TreatMissingData"] == "notBreaching"


# --------------------------------------------------------------------------------------------- topic
def test_topic_is_encrypted_with_a_rotated_key_cloudwatch_may_use(synthesized: Synthesized) -> None:
    (key_id,) = synthesized.template.find_resources("AWS::KMS::Key")
    synthesized.template.has_resource_properties(
        "AWS::SNS::Topic",
        {"TopicName": "kappa-test-alarms", "KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}},
    )
    synthesized.template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                                "Effect": "Allow",
                            }
                        )
                    ]
                )
            },
        },
    )


def test_topic_refuses_publishing_without_tls(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "sns:Publish",
                                "Principal": "*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_subscriptions_come_from_config(synthesized: Synthesized) -> None:
    subscriptions = sorted(
        (resource["Properties"]["Protocol"], resource["Properties"]["Endpoint"])
        for resource in synthesized.template.find_resources("AWS::SNS::Subscription").values()
    )

    assert subscriptions == [
        ("email", "oncall@example.com"),
        ("email", "ops@example.com"),
        ("https", "https://alerts.example.com/kappa"),
    ]
    synthesized.quiet.resource_count_is("AWS::SNS::Subscription", 0)


def test_the_key_follows_the_environments_removal_policy(synthesized: Synthesized) -> None:
    synthesized.template.has_resource(
        "AWS::KMS::Key", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    )
    synthesized.quiet.has_resource("AWS::KMS::Key", {"DeletionPolicy": "Delete"})
