"""Builds the CDK app: one validated config, the stacks wired by explicit references, tags and cdk-nag.

`app.py` calls `build_app()`; tests call it with their own context and output directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk

from stacks.compliance import add_compliance_checks
from stacks.config import CONTEXT_KEYS, AppConfig, load_config
from stacks.delivery_stack import DeliveryStack
from stacks.ingestion_stack import IngestionStack
from stacks.monitoring_stack import MonitoredKafka, MonitoredResources, MonitoringStack
from stacks.processing_stack import ProcessingStack


def build_app(context: dict[str, Any] | None = None, *, outdir: str | Path | None = None) -> cdk.App:
    """Create the app with every stack for the environment selected in `context` (cdk.json by default)."""
    app = cdk.App(context=context, outdir=str(outdir) if outdir else None)
    # The app merges `cdk -c key=value` from the CLI over `context`: read the merged view.
    config = load_config({key: app.node.try_get_context(key) for key in CONTEXT_KEYS})
    build_stacks(app, config)
    for key, value in {"Project": config.project, "Environment": config.env_name, **config.tags}.items():
        cdk.Tags.of(app).add(key, value)
    add_compliance_checks(app)
    return app


def build_stacks(app: cdk.App, config: AppConfig) -> None:
    """Instantiate the stacks of one environment and pass references between them."""
    env = cdk.Environment(account=config.account, region=config.region)
    names = config.names
    removal = cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY
    ingestion = IngestionStack(
        app,
        "Ingestion",
        stack_name=f"{config.prefix}-ingestion",
        description=(
            "Kappa Commerce ingestion: API, ingestion function, the log (MSK Serverless), S3 archive"
            if config.on_kafka
            else "Kappa Commerce ingestion: API, ingestion function, raw events stream, S3 archive"
        ),
        env=env,
        settings=config.ingestion,
        names=names,
        retain_data=config.retain_data,
        lambda_build_dir=config.lambda_build_dir,
        log=config.log,
    )
    kafka_log = ingestion.kafka_log
    processing = ProcessingStack(
        app,
        "Processing",
        stack_name=f"{config.prefix}-processing",
        description=(
            "Kappa Commerce processing: the PyFlink job on Managed Flink, in the log's VPC"
            if config.on_kafka
            else "Kappa Commerce processing: the PyFlink job on Managed Flink and its insights stream"
        ),
        env=env,
        settings=config.processing,
        names=names,
        raw_stream=ingestion.raw_stream,
        archive_bucket=ingestion.archive_bucket,
        application_package=config.flink_package,
        retain_data=config.retain_data,
        kafka_log=kafka_log,
    )
    delivery = DeliveryStack(
        app,
        "Delivery",
        stack_name=f"{config.prefix}-delivery",
        description="Kappa Commerce delivery: webhook subscriptions API and signed, retried fan-out",
        env=env,
        settings=config.delivery,
        names=names,
        insights_stream=processing.insights_stream,
        api=ingestion.api,
        api_stage_name=ingestion.api_stage_name,
        retain_data=config.retain_data,
        lambda_build_dir=config.lambda_build_dir,
        kafka_log=kafka_log,
    )
    MonitoringStack(
        app,
        "Monitoring",
        stack_name=f"{config.prefix}-monitoring",
        description="Kappa Commerce monitoring: one dashboard over every hop, alarms to SNS",
        env=env,
        config=config.monitoring,
        name_prefix=config.prefix,
        removal_policy=removal,
        resources=MonitoredResources(
            api_name=ingestion.api_name,
            api_stage=ingestion.api_stage_name,
            ingest_function_name=ingestion.ingest_function_name,
            raw_stream_name=ingestion.raw_stream_name,
            firehose_delivery_stream_name=ingestion.delivery_stream_name,
            archive_bucket_name=ingestion.archive_bucket_name,
            flink_application_name=processing.application_name,
            insights_stream_name=processing.insights_stream_name,
            fanout_function_name=names.fanout_function,
            webhooks_api_function_name=names.webhooks_api_function,
            retry_queue_name=names.retry_queue,
            dead_letter_queue_name=names.dead_letter_queue,
            failed_batches_queue_name=names.failed_batches_queue,
            subscriptions_table_name=names.subscriptions_table,
        ),
        kafka=(
            MonitoredKafka(
                cluster_name=names.kafka_cluster,
                raw_topic=names.raw_topic,
                insights_topic=names.insights_topic,
                flink_consumer_group=names.flink_consumer_group(config.processing.job_version),
                fanout_consumer_group=names.fanout_consumer_group,
                lag_threshold_seconds=config.log.msk.consumer_lag_threshold_seconds,
            )
            if config.on_kafka
            else None
        ),
    )
    del delivery  # nothing builds on it yet; kept named for readability
