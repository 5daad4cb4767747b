"""The deployment config: cdk.json environments validate; bad values fail with the setting's path."""

from __future__ import annotations

import pytest

from stacks.config import AppConfig, ConfigError, load_config


def test_every_environment_in_cdk_json_is_valid() -> None:
    dev, prod = load_config(env_name="dev"), load_config(env_name="prod")
    assert dev.prefix == "kappa-dev"
    assert prod.retain_data
    assert prod.ingestion.raw_stream.mode == "provisioned"


def test_unknown_environment_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown environment 'qa'.*dev, prod"):
        load_config(env_name="qa")


def test_bad_value_names_the_setting_and_the_limit() -> None:
    context = {"environments": {"dev": {"ingestion": {"raw_stream": {"retention_hours": 5}}}}}
    with pytest.raises(
        ConfigError, match=r"ingestion\.raw_stream\.retention_hours: .*greater than or equal to 24"
    ):
        load_config(context)


def test_overrides_merge_over_the_environment() -> None:
    context = {
        "env": "dev",
        "environments": {"dev": {"processing": {"parallelism": 1, "job_version": "v1"}}},
        "overrides": '{"processing": {"parallelism": 3}}',
    }
    config = load_config(context)
    assert config.processing.parallelism == 3
    assert config.processing.job_version == "v1"


def test_loopback_webhook_targets_are_refused_in_prod() -> None:
    context = {"environments": {"prod": {"delivery": {"allow_loopback_targets": True}}}}
    with pytest.raises(ConfigError, match="allow_loopback_targets must be false in prod"):
        load_config(context, env_name="prod")


def test_resource_names_share_the_environment_prefix() -> None:
    names = load_config(env_name="dev").names
    assert names.raw_stream == "kappa-dev-raw-events"
    assert names.insights_stream("v2") == "kappa-dev-insights-v2"
    assert names.failed_batches_queue == "kappa-dev-insights-failed-batches"


def test_the_retry_queue_stays_invisible_for_six_fanout_timeouts() -> None:
    # Lambda's advice for a queue that triggers a function: visibility at least 6x the function's timeout
    config = AppConfig.model_validate({"delivery": {"function": {"timeout_seconds": 45}}})
    assert config.delivery.retry_queue_visibility_timeout_seconds == 6 * 45
