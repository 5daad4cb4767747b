"""The CloudWatch metrics of every pipeline hop, built from physical names (namespace, name, dimensions).

No construct references: the monitoring stack watches resources other stacks own, so it only needs their
names (`MonitoredResources`) and can be deployed, tested and changed on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw

from events.contract import INSIGHT_TYPES
from stacks.constructs.python_function import POWERTOOLS_METRICS_NAMESPACE

ONE_MINUTE = cdk.Duration.minutes(1)
FIVE_MINUTES = cdk.Duration.minutes(5)
DELIVERY_OUTCOMES = (
    "delivered",
    "retry_scheduled",
    "failed_permanent",
    "dead_lettered",
    "subscription_disabled",
)
"""Values of the fan-out's `Deliveries` metric's `outcome` dimension."""
FLINK_JOB_COUNTERS = (*(f"insights_{kind}" for kind in INSIGHT_TYPES), "late_events", "duplicate_events")
"""Custom counters the Flink job registers in the `kinesisanalytics` metric group (Managed Flink exports
only that group's metrics to CloudWatch), published at Application level."""


@dataclass(frozen=True, kw_only=True)
class MonitoredResources:
    """Physical names of everything the monitoring stack watches (see `stacks.config.ResourceNames`)."""

    api_name: str
    api_stage: str
    ingest_function_name: str
    raw_stream_name: str
    firehose_delivery_stream_name: str
    archive_bucket_name: str
    flink_application_name: str
    insights_stream_name: str
    fanout_function_name: str
    webhooks_api_function_name: str
    retry_queue_name: str
    dead_letter_queue_name: str
    failed_batches_queue_name: str
    subscriptions_table_name: str

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"MonitoredResources.{item.name} must be a non-empty name, got {value!r}")
            if "'" in value or '"' in value:
                raise ValueError(f"MonitoredResources.{item.name} must not contain quotes, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class MonitoredKafka:
    """The MSK Serverless log (`log.backend: msk`): cluster, topics and consumer groups, and the lag alarm
    threshold (`log.msk.consumer_lag_threshold_seconds`)."""

    cluster_name: str
    raw_topic: str
    insights_topic: str
    flink_consumer_group: str
    fanout_consumer_group: str
    lag_threshold_seconds: int

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "lag_threshold_seconds":
                if not isinstance(value, int) or value < 1:
                    raise ValueError(
                        f"MonitoredKafka.lag_threshold_seconds must be >= 1 second, got {value!r}"
                    )
            elif not isinstance(value, str) or not value.strip():
                raise ValueError(f"MonitoredKafka.{item.name} must be a non-empty name, got {value!r}")


class PipelineMetrics:
    """Metric factories per hop; each returns `cw.Metric`s or math expressions ready for graphs and alarms."""

    def __init__(self, resources: MonitoredResources) -> None:
        self.names = resources

    # API Gateway (REST): dimensions ApiName + Stage.
    def api(self, metric_name: str, statistic: str = "Sum", label: str | None = None) -> cw.Metric:
        return cw.Metric(
            namespace="AWS/ApiGateway",
            metric_name=metric_name,
            dimensions_map={"ApiName": self.names.api_name, "Stage": self.names.api_stage},
            statistic=statistic,
            label=label,
            period=ONE_MINUTE,
        )

    def api_server_error_rate(self) -> cw.MathExpression:
        """5XXError ÷ Count per minute (0 when there were no requests)."""
        return cw.MathExpression(
            expression="IF(requests > 0, errors / requests, 0)",
            using_metrics={"errors": self.api("5XXError"), "requests": self.api("Count")},
            label="5xx rate",
            period=ONE_MINUTE,
        )

    # Our Powertools (EMF) metrics: namespace KappaCommerce, dimension `service`.
    def service(
        self,
        service: str,
        metric_name: str,
        statistic: str = "Sum",
        label: str | None = None,
        **dimensions: str,
    ) -> cw.Metric:
        return cw.Metric(
            namespace=POWERTOOLS_METRICS_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={"service": service, **dimensions},
            statistic=statistic,
            label=label,
            period=ONE_MINUTE,
        )

    def rejections_by_reason(self) -> cw.MathExpression:
        """One line per `reason` value, whatever reasons the ingestion Lambda reports (a SEARCH)."""
        return cw.MathExpression(
            expression=(
                f"SEARCH('{{{POWERTOOLS_METRICS_NAMESPACE},service,reason}} "
                f'MetricName="EventsRejectedByReason" service="ingest"\', \'Sum\', 60)'
            ),
            using_metrics={},
            label="",
            period=ONE_MINUTE,
        )

    def deliveries(self, outcome: str) -> cw.Metric:
        return self.service("fanout", "Deliveries", label=outcome, outcome=outcome)

    # Kinesis Data Streams: dimension StreamName.
    def stream(
        self, stream_name: str, metric_name: str, statistic: str = "Sum", label: str | None = None
    ) -> cw.Metric:
        return cw.Metric(
            namespace="AWS/Kinesis",
            metric_name=metric_name,
            dimensions_map={"StreamName": stream_name},
            statistic=statistic,
            label=label,
            period=ONE_MINUTE,
        )

    # Managed Service for Apache Flink: namespace AWS/KinesisAnalytics, dimension Application.
    def flink(
        self,
        metric_name: str,
        statistic: str = "Maximum",
        label: str | None = None,
        period: cdk.Duration = ONE_MINUTE,
    ) -> cw.Metric:
        return cw.Metric(
            namespace="AWS/KinesisAnalytics",
            metric_name=metric_name,
            dimensions_map={"Application": self.names.flink_application_name},
            statistic=statistic,
            label=label,
            period=period,
        )

    def flink_increase(
        self, metric_name: str, label: str, period: cdk.Duration = ONE_MINUTE
    ) -> cw.MathExpression:
        """How much a Flink counter grew in each period.

        Managed Flink publishes a Flink Counter's running total since the job (re)started, so the number of
        new events in a period is the difference between consecutive values; a restart resets the total,
        which would read as a negative increase, hence the floor at 0.
        """
        counter = self.flink(metric_name, "Maximum", period=period)
        total = "total_" + re.sub(r"[^A-Za-z0-9_]", "_", metric_name)  # ids must be unique within a graph
        return cw.MathExpression(
            expression=f"IF(DIFF({total}) > 0, DIFF({total}), 0)",
            using_metrics={total: counter},
            label=label,
            period=period,
        )

    def flink_source_lag(self) -> cw.MathExpression:
        """Largest `millisBehindLatest` of the application's Kinesis source, whatever its extra dimensions.

        The connector publishes it with `Application` plus connector-specific dimensions (`Flow`, `Id` =
        the stream name, per shard at higher metric levels), so a Metrics Insights query over the whole
        namespace filtered by application is robust to those; it works in graphs and alarms alike.
        """
        return cw.MathExpression(
            expression=(
                'SELECT MAX(millisBehindLatest) FROM "AWS/KinesisAnalytics" '
                f"WHERE Application = '{self.names.flink_application_name}'"
            ),
            using_metrics={},
            label="millisBehindLatest (max)",
            period=ONE_MINUTE,
        )

    def flink_search(self, metric_name: str, statistic: str = "Maximum") -> cw.MathExpression:
        """Every series of a task/operator-level Flink metric of this application (needs metrics level TASK+)."""
        return cw.MathExpression(
            expression=(
                f'SEARCH(\'{{AWS/KinesisAnalytics}} MetricName="{metric_name}" '
                f"Application=\"{self.names.flink_application_name}\"', '{statistic}', 60)"
            ),
            using_metrics={},
            label="",
            period=ONE_MINUTE,
        )

    # Lambda: dimension FunctionName (all versions and aliases together).
    def function(
        self, function_name: str, metric_name: str, statistic: str = "Sum", label: str | None = None
    ) -> cw.Metric:
        return cw.Metric(
            namespace="AWS/Lambda",
            metric_name=metric_name,
            dimensions_map={"FunctionName": function_name},
            statistic=statistic,
            label=label,
            period=ONE_MINUTE,
        )

    # SQS: dimension QueueName. SQS publishes every minute while a queue is active (6 h after last use).
    def queue(
        self, queue_name: str, metric_name: str, statistic: str = "Maximum", label: str | None = None
    ) -> cw.Metric:
        return cw.Metric(
            namespace="AWS/SQS",
            metric_name=metric_name,
            dimensions_map={"QueueName": queue_name},
            statistic=statistic,
            label=label,
            period=ONE_MINUTE,
        )

    # Firehose: dimension DeliveryStreamName; published every 5 minutes.
    def firehose(self, metric_name: str, statistic: str = "Maximum", label: str | None = None) -> cw.Metric:
        return cw.Metric(
            namespace="AWS/Firehose",
            metric_name=metric_name,
            dimensions_map={"DeliveryStreamName": self.names.firehose_delivery_stream_name},
            statistic=statistic,
            label=label,
            period=FIVE_MINUTES,
        )

    # MSK Serverless (AWS/Kafka): per topic `Cluster Name` + `Topic`; consumer lag per `Cluster Name` +
    # `Consumer Group` + `Topic` (published while the group is STABLE or EMPTY, i.e. has committed offsets).
    def kafka_topic(
        self,
        cluster_name: str,
        topic: str,
        metric_name: str,
        statistic: str = "Sum",
        label: str | None = None,
    ) -> cw.Metric:
        return cw.Metric(
            namespace="AWS/Kafka",
            metric_name=metric_name,
            dimensions_map={"Cluster Name": cluster_name, "Topic": topic},
            statistic=statistic,
            label=label,
            period=ONE_MINUTE,
        )

    def kafka_lag(
        self,
        cluster_name: str,
        group: str,
        topic: str,
        metric_name: str = "EstimatedMaxTimeLag",
        label: str | None = None,
    ) -> cw.Metric:
        """`EstimatedMaxTimeLag` (seconds behind the newest record, worst partition) or `MaxOffsetLag`."""
        return cw.Metric(
            namespace="AWS/Kafka",
            metric_name=metric_name,
            dimensions_map={"Cluster Name": cluster_name, "Consumer Group": group, "Topic": topic},
            statistic="Maximum",
            label=label,
            period=ONE_MINUTE,
        )

    # S3 storage metrics: daily, per storage type.
    def archive_bucket(self, metric_name: str, storage_type: str, label: str | None = None) -> cw.Metric:
        return cw.Metric(
            namespace="AWS/S3",
            metric_name=metric_name,
            dimensions_map={"BucketName": self.names.archive_bucket_name, "StorageType": storage_type},
            statistic="Average",
            label=label,
            period=cdk.Duration.days(1),
        )

    # DynamoDB: dimension TableName.
    def table(self, metric_name: str, statistic: str = "Sum", label: str | None = None) -> cw.Metric:
        return cw.Metric(
            namespace="AWS/DynamoDB",
            metric_name=metric_name,
            dimensions_map={"TableName": self.names.subscriptions_table_name},
            statistic=statistic,
            label=label,
            period=ONE_MINUTE,
        )
