"""`MonitoringStack`: one CloudWatch dashboard with a row per hop and the alarms that mean users are hurt.

It watches the other stacks' resources by physical name (`MonitoredResources`), so it needs no
cross-stack references; alarms notify one KMS-encrypted, TLS-only SNS topic. What each row and alarm
means, and what to do when one fires: `docs/monitoring.md`.

Wiring it in `stacks/application.py` (the lead's job) looks like::

    names = config.names
    MonitoringStack(
        app,
        f"{config.prefix}-monitoring",
        env=env,
        config=config.monitoring,
        name_prefix=config.prefix,
        removal_policy=cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY,
        resources=MonitoredResources(
            api_name=ingestion.api.rest_api_name,            # plain strings, not tokens
            api_stage=config.ingestion.stage_name,
            ingest_function_name=...,
            raw_stream_name=names.raw_stream,
            firehose_delivery_stream_name=...,
            archive_bucket_name=...,
            flink_application_name=names.flink_application(config.processing.job_version),
            insights_stream_name=names.insights_stream(config.processing.job_version),
            fanout_function_name=...,
            webhooks_api_function_name=...,
            retry_queue_name=names.retry_queue,
            dead_letter_queue_name=names.dead_letter_queue,
            failed_batches_queue_name=names.failed_batches_queue,
            subscriptions_table_name=names.subscriptions_table,
        ),
    )
"""

from __future__ import annotations

import dataclasses
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from constructs import Construct

from events.contract import INSIGHT_TYPES
from stacks.config import MonitoringConfig, ResourceNames
from stacks.constructs.alarm_topic import AlarmTopic, AlarmTopicProps
from stacks.constructs.dashboard_rows import Graph, HopRow, add_hop_rows
from stacks.constructs.pipeline_metrics import (
    DELIVERY_OUTCOMES,
    FIVE_MINUTES,
    MonitoredKafka,
    MonitoredResources,
    PipelineMetrics,
)

__all__ = ["MonitoredKafka", "MonitoredResources", "MonitoringStack"]

RUNBOOK = "docs/monitoring.md"
DEFAULT_FIREHOSE_FRESHNESS_THRESHOLD = cdk.Duration.minutes(15)
"""Firehose buffers at most 900 s; data older than that in Firehose means delivery to S3 is failing."""

GT = cw.ComparisonOperator.GREATER_THAN_THRESHOLD
MISSING_IS_OK = cw.TreatMissingData.NOT_BREACHING
MISSING_IS_BAD = cw.TreatMissingData.BREACHING
MISSING_KEEPS_STATE = cw.TreatMissingData.IGNORE


class MonitoringStack(cdk.Stack):
    """The pipeline dashboard (`dashboard`), its alarms (`alarms` by short name) and the `alarm_topic`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: MonitoringConfig,
        resources: MonitoredResources,
        name_prefix: str,
        firehose_freshness_threshold: cdk.Duration = DEFAULT_FIREHOSE_FRESHNESS_THRESHOLD,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY,
        kafka: MonitoredKafka | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.resources = resources
        self.kafka = kafka
        self.name_prefix = name_prefix
        self.firehose_freshness_threshold = firehose_freshness_threshold
        self.metrics = PipelineMetrics(resources)
        self.alarm_topic = AlarmTopic(
            self,
            "AlarmTopic",
            props=AlarmTopicProps(
                topic_name=ResourceNames(name_prefix).alarm_topic,
                config=config,
                removal_policy=removal_policy,
            ),
        ).topic
        self.alarms: dict[str, cw.Alarm] = {}
        self._add_alarms()
        self.dashboard = cw.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{name_prefix}-pipeline",
            default_interval=cdk.Duration.hours(3),
            period_override=cw.PeriodOverride.AUTO,
        )
        self.dashboard.add_widgets(
            cw.AlarmStatusWidget(
                title="Alarms (users are hurt when one is red: see docs/monitoring.md)",
                alarms=list(self.alarms.values()),
                width=24,
                height=3,
            )
        )
        add_hop_rows(self.dashboard, self._rows())

    # ------------------------------------------------------------------------------------------ alarms
    def _add_alarms(self) -> None:
        m = self.metrics
        r = self.resources
        lag_ms = self.config.iterator_age_threshold_seconds * 1000
        # No requests means no errors (the expression yields 0 anyway).
        self._alarm(
            "api-5xx-rate",
            m.api_server_error_rate(),
            threshold=self.config.api_5xx_rate_threshold,
            periods=5,
            datapoints=3,
            missing=MISSING_IS_OK,
            about=f"More than {self.config.api_5xx_rate_threshold:.1%} of ingestion API requests fail with 5xx "
            "(503 = the raw stream refused events after retries) in 3 of the last 5 minutes.",
        )
        if self.kafka is not None:
            self._add_kafka_lag_alarms(self.kafka)
        else:
            # Kinesis publishes nothing for a stream nobody writes to: nothing written, nothing throttled.
            self._alarm(
                "raw-stream-write-throttles",
                m.stream(r.raw_stream_name, "WriteProvisionedThroughputExceeded"),
                threshold=0,
                periods=5,
                datapoints=3,
                missing=MISSING_IS_OK,
                about="Writes to the raw stream are throttled in 3 of the last 5 minutes: ingestion retries, "
                "then answers 503. Add shards (or switch to on-demand).",
            )
            # The Flink job is the raw stream's only reader that users depend on: no lag data means it is
            # not reading at all (stopped, or RUNNING with a job that failed to start), which hurts as much.
            self._alarm(
                "raw-stream-processing-lag",
                m.flink_source_lag(),
                threshold=lag_ms,
                periods=5,
                datapoints=3,
                missing=MISSING_IS_BAD,
                about=f"The Flink job is more than {self.config.iterator_age_threshold_seconds} s behind the raw "
                "stream (millisBehindLatest) in 3 of the last 5 minutes, or reports no lag at all.",
            )
            # IteratorAge exists only while the event source mapping invokes; no insights, no age.
            self._alarm(
                "insights-delivery-lag",
                m.function(r.fanout_function_name, "IteratorAge", "Maximum"),
                threshold=lag_ms,
                periods=5,
                datapoints=3,
                missing=MISSING_IS_OK,
                about=f"The webhook fan-out is more than {self.config.iterator_age_threshold_seconds} s behind the "
                "insights stream (Lambda IteratorAge) in 3 of the last 5 minutes.",
            )
        # A stopped application publishes no metrics at all: treat silence as down.
        self._alarm(
            "flink-downtime",
            m.flink("downtime", "Maximum"),
            threshold=0,
            periods=5,
            datapoints=3,
            missing=MISSING_IS_BAD,
            about="The Flink application has been down (downtime > 0, or no metrics) in 3 of the last 5 "
            "minutes: no insights are produced. Maintenance restarts last 10-30 s and do not trip this.",
        )
        # While the job is down these counters are absent; flink-downtime covers that.
        self._alarm(
            "flink-checkpoint-failures",
            m.flink_increase("numberOfFailedCheckpoints", "failed checkpoints", period=FIVE_MINUTES),
            threshold=0,
            periods=3,
            datapoints=2,
            missing=MISSING_IS_OK,
            about="Checkpoints failed in 2 of the last three 5-minute windows: the job is not making "
            "progress or its state is too large; a restart would replay from an old checkpoint.",
        )
        self._alarm(
            "flink-restarts",
            m.flink_increase("numRestarts", "restarts", period=FIVE_MINUTES),
            threshold=0,
            periods=3,
            datapoints=2,
            missing=MISSING_IS_OK,
            about="The Flink job restarted in 2 of the last three 5-minute windows: a crash loop.",
        )
        # SQS stops publishing for a queue idle 6 hours; a message left in the DLQ must keep the alarm red.
        self._alarm(
            "webhook-dlq-not-empty",
            m.queue(r.dead_letter_queue_name, "ApproximateNumberOfMessagesVisible", "Maximum"),
            threshold=0,
            periods=1,
            datapoints=1,
            missing=MISSING_KEEPS_STATE,
            about="Webhook deliveries were dead-lettered: subscribers missed insights. Inspect and redrive.",
        )
        # Same reasoning: a pointer nobody handled must keep the alarm red after SQS goes quiet.
        self._alarm(
            "insight-batches-failed",
            m.queue(r.failed_batches_queue_name, "ApproximateNumberOfMessagesVisible", "Maximum"),
            threshold=0,
            periods=1,
            datapoints=1,
            missing=MISSING_KEEPS_STATE,
            about="The webhook fan-out gave up on a batch of the insights stream (every retry failed, or the "
            "records grew older than the maximum record age): subscribers never got those insights. Each "
            "message in the failed-batches queue points at the batch (shard, first and last sequence "
            "number). Fix the cause, then re-deliver the batch before the stream's retention drops it.",
        )
        # The job emits conversion_drop rarely; no new ones (or no data) is the good case.
        self._alarm(
            "conversion-drop-insight",
            m.flink_increase("insights_conversion_drop", "conversion_drop insights"),
            threshold=0,
            periods=1,
            datapoints=1,
            missing=MISSING_IS_OK,
            about="The Flink job emitted a conversion_drop insight: the shop's conversion rate fell sharply.",
        )
        # With no incoming events Firehose has nothing to be stale about.
        self._alarm(
            "archive-freshness",
            m.firehose("DeliveryToS3.DataFreshness", "Maximum"),
            threshold=self.firehose_freshness_threshold.to_seconds(),
            periods=2,
            datapoints=2,
            missing=MISSING_IS_OK,
            about=f"The oldest record in Firehose is older than {self.firehose_freshness_threshold.to_seconds()} s "
            "for 10 minutes: the S3 archive (the replay source) is not being written.",
        )

    def _add_kafka_lag_alarms(self, kafka: MonitoredKafka) -> None:
        """On MSK: how far the two consumer groups users depend on are behind (EstimatedMaxTimeLag, s).

        MSK publishes a group's lag only while it has committed offsets (STABLE or EMPTY): before the first
        commit, or for a group that never existed, there is no data, so missing data is not a breach here
        (a stopped Flink job is `flink-downtime`'s job; a fan-out that stopped committing keeps its last
        lag, which grows)."""
        m = self.metrics
        threshold = kafka.lag_threshold_seconds
        self._alarm(
            "raw-topic-processing-lag",
            m.kafka_lag(kafka.cluster_name, kafka.flink_consumer_group, kafka.raw_topic),
            threshold=threshold,
            periods=5,
            datapoints=3,
            missing=MISSING_IS_OK,
            about=f"The Flink job (consumer group {kafka.flink_consumer_group}) is more than {threshold} s "
            f"behind the raw topic {kafka.raw_topic} (MSK EstimatedMaxTimeLag) in 3 of the last 5 minutes.",
        )
        self._alarm(
            "insights-topic-delivery-lag",
            m.kafka_lag(kafka.cluster_name, kafka.fanout_consumer_group, kafka.insights_topic),
            threshold=threshold,
            periods=5,
            datapoints=3,
            missing=MISSING_IS_OK,
            about=f"The webhook fan-out (consumer group {kafka.fanout_consumer_group}) is more than {threshold} s "
            f"behind the insights topic {kafka.insights_topic} (MSK EstimatedMaxTimeLag) in 3 of the last 5 "
            "minutes.",
        )

    def _alarm(
        self,
        name: str,
        metric: cw.IMetric,
        *,
        threshold: float,
        periods: int,
        datapoints: int,
        missing: cw.TreatMissingData,
        about: str,
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            "".join(part.capitalize() for part in name.split("-")),
            alarm_name=f"{self.name_prefix}-{name}",
            alarm_description=f"{about} Runbook: {RUNBOOK}#{name}",
            metric=metric,
            threshold=threshold,
            comparison_operator=GT,
            evaluation_periods=periods,
            datapoints_to_alarm=datapoints,
            treat_missing_data=missing,
        )
        action = cw_actions.SnsAction(self.alarm_topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms[name] = alarm
        return alarm

    # ------------------------------------------------------------------------------------------ dashboard
    def _rows(self) -> list[HopRow]:
        m = self.metrics
        r = self.resources
        lag_line = cw.HorizontalAnnotation(
            value=self.config.iterator_age_threshold_seconds * 1000, label="alarm", color=cw.Color.RED
        )
        k = self.kafka
        flink_lag = (
            Graph(
                title="Behind the raw topic (s)",
                left=[
                    m.kafka_lag(k.cluster_name, k.flink_consumer_group, k.raw_topic, label="estimated max")
                ],
                thresholds=[self._kafka_lag_line(k)],
            )
            if k
            else Graph(title="Behind the raw stream (ms)", left=[m.flink_source_lag()], thresholds=[lag_line])
        )
        fanout_lag = (
            Graph(
                title="Behind the insights topic (s)",
                left=[
                    m.kafka_lag(
                        k.cluster_name, k.fanout_consumer_group, k.insights_topic, label="estimated max"
                    )
                ],
                thresholds=[self._kafka_lag_line(k)],
            )
            if k
            else Graph(
                title="Iterator age (ms)",
                left=[m.function(r.fanout_function_name, "IteratorAge", "Maximum", "iterator age")],
                thresholds=[lag_line],
            )
        )
        rows = [
            HopRow(
                title=f"1 · Ingestion API — {r.api_name} / {r.api_stage}",
                about="Producers' requests. 4xx are producer mistakes (bad key, schema, size); 5xx are ours.",
                graphs=[
                    Graph(title="Requests", left=[m.api("Count", label="requests")]),
                    Graph(
                        title="Errors",
                        left=[m.api("4XXError", label="4xx"), m.api("5XXError", label="5xx")],
                        right=[m.api_server_error_rate()],
                        right_label="5xx rate",
                    ),
                    Graph(
                        title="Latency (ms)",
                        left=[
                            m.api("Latency", "p50", "p50"),
                            m.api("Latency", "p99", "p99"),
                            m.api("IntegrationLatency", "p99", "integration p99"),
                        ],
                    ),
                ],
            ),
            HopRow(
                title=f"2 · Ingestion Lambda — {r.ingest_function_name}",
                about="Events accepted into the log, rejected (by reason), and PutRecords retries. Failed "
                "events after retries were answered 503: producers must resend them.",
                graphs=[
                    Graph(
                        title="Events",
                        left=[
                            m.service("ingest", "EventsAccepted", label="accepted"),
                            m.service("ingest", "EventsRejected", label="rejected"),
                        ],
                    ),
                    Graph(title="Rejections by reason", left=[m.rejections_by_reason()], stacked=True),
                    Graph(
                        title="PutRecords retries and failures",
                        left=[
                            m.service("ingest", "PutRecordsRetries", label="retries"),
                            m.service("ingest", "PutRecordsFailedEvents", label="failed events"),
                        ],
                    ),
                    Graph(
                        title="Batch size (events/request)",
                        left=[
                            m.service("ingest", "BatchSize", "Average", label="average"),
                            m.service("ingest", "BatchSize", "Maximum", label="max"),
                        ],
                    ),
                    Graph(
                        title="Function errors and throttles",
                        left=[
                            m.function(r.ingest_function_name, "Errors", label="errors"),
                            m.function(r.ingest_function_name, "Throttles", label="throttles"),
                        ],
                        right=[
                            m.function(
                                r.ingest_function_name, "ConcurrentExecutions", "Maximum", "concurrency"
                            )
                        ],
                        right_label="concurrency",
                    ),
                    Graph(
                        title="Function duration (ms)",
                        left=[
                            m.function(r.ingest_function_name, "Duration", "p50", "p50"),
                            m.function(r.ingest_function_name, "Duration", "p99", "p99"),
                        ],
                    ),
                ],
            ),
            HopRow(
                title=f"3 · Raw stream (the log) — {r.raw_stream_name}",
                about="What enters the log, write throttling, and how far behind its polling readers are.",
                graphs=[
                    Graph(
                        title="Incoming",
                        left=[m.stream(r.raw_stream_name, "IncomingRecords", label="records")],
                        right=[m.stream(r.raw_stream_name, "IncomingBytes", label="bytes")],
                        right_label="bytes",
                    ),
                    Graph(
                        title="Throttled",
                        left=[
                            m.stream(r.raw_stream_name, "WriteProvisionedThroughputExceeded", label="writes"),
                            m.stream(r.raw_stream_name, "ReadProvisionedThroughputExceeded", label="reads"),
                        ],
                    ),
                    Graph(
                        title="Oldest unread record (ms)",
                        left=[
                            m.stream(
                                r.raw_stream_name,
                                "GetRecords.IteratorAgeMilliseconds",
                                "Maximum",
                                "iterator age",
                            )
                        ],
                        thresholds=[lag_line],
                    ),
                ],
            ),
            HopRow(
                title=f"4 · Flink job — {r.flink_application_name}",
                about="Is the job up, checkpointing, keeping up, and what it emits. A RUNNING application "
                "with no uptime and no lag data usually means the Python job failed to start: search its "
                "log group for `PythonDriver`.",
                graphs=[
                    Graph(
                        title="Uptime / downtime (ms)",
                        left=[m.flink("uptime", label="uptime")],
                        right=[m.flink("downtime", label="downtime")],
                        right_label="downtime",
                    ),
                    Graph(
                        title="Restarts and failed checkpoints",
                        left=[
                            m.flink("numRestarts", label="restarts (total)"),
                            m.flink("numberOfFailedCheckpoints", label="failed checkpoints (total)"),
                        ],
                    ),
                    Graph(
                        title="Checkpoint duration (ms)",
                        left=[m.flink("lastCheckpointDuration", label="last")],
                    ),
                    flink_lag,
                    Graph(
                        title="Back pressure (ms/s, per task)",
                        left=[m.flink_search("backPressuredTimeMsPerSecond")],
                    ),
                    Graph(
                        title="Insights emitted by type (per minute)",
                        left=[m.flink_increase(f"insights_{kind}", kind) for kind in INSIGHT_TYPES],
                        stacked=True,
                    ),
                    Graph(
                        title="Late and duplicate events (per minute)",
                        left=[
                            m.flink_increase("late_events", "late"),
                            m.flink_increase("duplicate_events", "duplicates"),
                        ],
                    ),
                    Graph(
                        title="CPU and heap (%)",
                        left=[
                            m.flink("cpuUtilization", label="CPU"),
                            m.flink("heapMemoryUtilization", label="heap"),
                        ],
                    ),
                ],
            ),
            HopRow(
                title=f"5 · Insights stream — {r.insights_stream_name}",
                about="What the job writes for delivery; write throttling here back-pressures the job.",
                graphs=[
                    Graph(
                        title="Incoming insights", left=[m.stream(r.insights_stream_name, "IncomingRecords")]
                    ),
                    Graph(
                        title="Write throttles",
                        left=[m.stream(r.insights_stream_name, "WriteProvisionedThroughputExceeded")],
                    ),
                    Graph(
                        title="Oldest unread insight (ms)",
                        left=[
                            m.stream(r.insights_stream_name, "GetRecords.IteratorAgeMilliseconds", "Maximum")
                        ],
                        thresholds=[lag_line],
                    ),
                ],
            ),
            HopRow(
                title=f"6 · Webhook fan-out — {r.fanout_function_name}",
                about=(
                    "The function reading the insights topic. Errors make the event source mapping retry "
                    "and bisect batches; a growing consumer lag means subscribers get insights late."
                    if k
                    else "The function reading the insights stream. Errors make the event source mapping retry "
                    "and bisect batches; a growing iterator age means subscribers get insights late."
                ),
                graphs=[
                    Graph(
                        title="Errors and throttles",
                        left=[
                            m.function(r.fanout_function_name, "Errors", label="errors"),
                            m.function(r.fanout_function_name, "Throttles", label="throttles"),
                        ],
                    ),
                    Graph(
                        title="Duration (ms)",
                        left=[
                            m.function(r.fanout_function_name, "Duration", "p50", "p50"),
                            m.function(r.fanout_function_name, "Duration", "p99", "p99"),
                            m.function(r.fanout_function_name, "Duration", "Maximum", "max"),
                        ],
                    ),
                    fanout_lag,
                    Graph(
                        title="Concurrency",
                        left=[
                            m.function(
                                r.fanout_function_name, "ConcurrentExecutions", "Maximum", "concurrency"
                            )
                        ],
                    ),
                ],
            ),
            HopRow(
                title="7 · Webhook deliveries",
                about="Outcome of every delivery attempt, how long subscribers take, retries waiting in SQS, "
                "dead letters, and insight batches the fan-out gave up on (subscribers missed both).",
                graphs=[
                    Graph(
                        title="Deliveries by outcome",
                        left=[m.deliveries(o) for o in DELIVERY_OUTCOMES],
                        stacked=True,
                    ),
                    Graph(
                        title="Delivery latency (ms)",
                        left=[
                            m.service("fanout", "DeliveryLatency", "p50", label="p50"),
                            m.service("fanout", "DeliveryLatency", "p99", label="p99"),
                        ],
                    ),
                    Graph(
                        title="Attempts per delivery",
                        left=[
                            m.service("fanout", "DeliveryAttempts", "Average", label="average"),
                            m.service("fanout", "DeliveryAttempts", "Maximum", label="max"),
                        ],
                    ),
                    Graph(
                        title="Retry queue",
                        left=[
                            m.queue(r.retry_queue_name, "ApproximateNumberOfMessagesVisible", label="waiting")
                        ],
                        right=[
                            m.queue(r.retry_queue_name, "ApproximateAgeOfOldestMessage", label="oldest (s)")
                        ],
                        right_label="age (s)",
                    ),
                    Graph(
                        title="Dead-letter queue",
                        left=[
                            m.queue(
                                r.dead_letter_queue_name,
                                "ApproximateNumberOfMessagesVisible",
                                label="messages",
                            )
                        ],
                        thresholds=[
                            cw.HorizontalAnnotation(value=0, label="alarm above", color=cw.Color.RED)
                        ],
                    ),
                    Graph(
                        title="Failed insight batches",
                        left=[
                            m.queue(
                                r.failed_batches_queue_name,
                                "ApproximateNumberOfMessagesVisible",
                                label="batch pointers",
                            )
                        ],
                        right=[
                            m.queue(
                                r.failed_batches_queue_name,
                                "ApproximateAgeOfOldestMessage",
                                label="oldest (s)",
                            )
                        ],
                        right_label="age (s)",
                        thresholds=[
                            cw.HorizontalAnnotation(value=0, label="alarm above", color=cw.Color.RED)
                        ],
                    ),
                ],
            ),
            HopRow(
                title=f"8 · Webhook subscriptions — {r.webhooks_api_function_name} / {r.subscriptions_table_name}",
                about="The subscription management API and the table the fan-out reads subscriptions from.",
                graphs=[
                    Graph(
                        title="API function errors and duration",
                        left=[m.function(r.webhooks_api_function_name, "Errors", label="errors")],
                        right=[m.function(r.webhooks_api_function_name, "Duration", "p99", "p99 (ms)")],
                        right_label="ms",
                    ),
                    Graph(
                        title="Table throttling",
                        left=[
                            m.table("ReadThrottleEvents", label="read throttles"),
                            m.table("WriteThrottleEvents", label="write throttles"),
                        ],
                    ),
                    Graph(
                        title="Table consumed capacity",
                        left=[
                            m.table("ConsumedReadCapacityUnits", label="read units"),
                            m.table("ConsumedWriteCapacityUnits", label="write units"),
                        ],
                    ),
                ],
            ),
            HopRow(
                title=f"9 · Archive — {r.firehose_delivery_stream_name} → s3://{r.archive_bucket_name}",
                about="Firehose copies the raw stream to S3, the replay source beyond the stream's retention. "
                "Freshness above the buffer interval means delivery is failing.",
                graphs=[
                    Graph(
                        title="Data freshness (s)",
                        left=[m.firehose("DeliveryToS3.DataFreshness", label="oldest record age")],
                        thresholds=[
                            cw.HorizontalAnnotation(
                                value=self.firehose_freshness_threshold.to_seconds(),
                                label="alarm",
                                color=cw.Color.RED,
                            )
                        ],
                    ),
                    Graph(
                        title="Delivery success and throttling",
                        left=[m.firehose("DeliveryToS3.Success", "Average", label="success ratio")],
                        right=[m.firehose("ThrottledRecords", "Sum", label="throttled records")],
                        right_label="records",
                    ),
                    Graph(
                        title="Delivered",
                        left=[m.firehose("DeliveryToS3.Records", "Sum", label="records")],
                        right=[m.firehose("DeliveryToS3.Bytes", "Sum", label="bytes")],
                        right_label="bytes",
                    ),
                    Graph(
                        title="Archive size (daily)",
                        left=[m.archive_bucket("BucketSizeBytes", "StandardStorage", "Standard bytes")],
                        right=[m.archive_bucket("NumberOfObjects", "AllStorageTypes", "objects")],
                        right_label="objects",
                    ),
                ],
            ),
        ]
        if k is not None:
            # The Kinesis rows (3 raw stream, 5 insights stream) become one MSK row in place of row 3.
            rows = [row for row in rows if not row.title.startswith(("3 ·", "5 ·"))]
            rows.insert(2, self._kafka_row(k))
            rows = [
                dataclasses.replace(row, title=f"{number} ·{row.title.split('·', 1)[1]}")
                for number, row in enumerate(rows, start=1)
            ]
        return rows

    def _kafka_lag_line(self, kafka: MonitoredKafka) -> cw.HorizontalAnnotation:
        return cw.HorizontalAnnotation(value=kafka.lag_threshold_seconds, label="alarm", color=cw.Color.RED)

    def _kafka_row(self, k: MonitoredKafka) -> HopRow:
        m = self.metrics
        return HopRow(
            title=f"3 · The log on MSK Serverless — {k.cluster_name}: {k.raw_topic}, {k.insights_topic}",
            about="What enters the raw topic and the insights topic, and how far their consumer groups are "
            "behind (MSK publishes a group's lag once it has committed offsets). MSK Serverless throttles a "
            "cluster above 200 MiB/s in or 400 MiB/s out (and 5 MiB/s in per partition): add partitions early.",
            graphs=[
                Graph(
                    title="Raw topic in (bytes/s)",
                    left=[
                        m.kafka_topic(k.cluster_name, k.raw_topic, "BytesInPerSec", "Average", "bytes in/s")
                    ],
                    right=[
                        m.kafka_topic(
                            k.cluster_name, k.raw_topic, "MessagesInPerSec", "Average", "messages/s"
                        )
                    ],
                    right_label="messages/s",
                ),
                Graph(
                    title="Insights topic in (bytes/s)",
                    left=[
                        m.kafka_topic(
                            k.cluster_name, k.insights_topic, "BytesInPerSec", "Average", "bytes in/s"
                        )
                    ],
                    right=[
                        m.kafka_topic(
                            k.cluster_name, k.insights_topic, "BytesOutPerSec", "Average", "bytes out/s"
                        )
                    ],
                    right_label="bytes out/s",
                ),
                Graph(
                    title="Consumer lag (s, estimated max)",
                    left=[
                        m.kafka_lag(k.cluster_name, k.flink_consumer_group, k.raw_topic, label="Flink job"),
                        m.kafka_lag(
                            k.cluster_name, k.fanout_consumer_group, k.insights_topic, label="fan-out"
                        ),
                    ],
                    thresholds=[self._kafka_lag_line(k)],
                ),
                Graph(
                    title="Consumer lag (records, max offset lag)",
                    left=[
                        m.kafka_lag(
                            k.cluster_name, k.flink_consumer_group, k.raw_topic, "MaxOffsetLag", "Flink job"
                        ),
                        m.kafka_lag(
                            k.cluster_name,
                            k.fanout_consumer_group,
                            k.insights_topic,
                            "MaxOffsetLag",
                            "fan-out",
                        ),
                    ],
                ),
            ],
        )
