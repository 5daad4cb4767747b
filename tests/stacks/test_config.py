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
    with pytest.raises(ConfigError, match=r"unknown environment 'qa'.*dev, dev-msk, prod"):
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


def test_the_log_is_kinesis_unless_configured() -> None:
    config = load_config(env_name="dev")
    assert config.log.backend == "kinesis"
    assert not config.on_kafka


def test_msk_needs_two_or_three_availability_zones() -> None:
    context = {"environments": {"dev": {"log": {"backend": "msk"}}}}
    with pytest.raises(
        ConfigError, match=r"log\.msk\.availability_zones must list 2 or 3 availability zones"
    ):
        load_config(context)


def test_msk_settings_are_validated_with_their_path() -> None:
    context = {
        "environments": {
            "dev": {
                "log": {
                    "backend": "msk",
                    "msk": {"availability_zones": ["eu-west-1a", "eu-west-1b"], "raw_partitions": 0},
                }
            }
        }
    }
    with pytest.raises(ConfigError, match=r"log\.msk\.raw_partitions: .*greater than or equal to 1"):
        load_config(context)


@pytest.mark.parametrize(
    ("log", "problem"),
    [
        ({"backend": "kafka"}, r"log\.backend: Input should be 'kinesis' or 'msk'"),
        ({"msk": {"availability_zones": ["eu-west-1a", "eu-west-1a"]}}, "must be distinct"),
        ({"msk": {"availability_zones": ["west"]}}, "is not an availability zone name"),
        ({"msk": {"partitions": 3}}, r"log\.msk\.partitions: Extra inputs are not permitted"),
    ],
)
def test_bad_log_settings_name_the_setting(log: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        load_config({"environments": {"dev": {"log": log}}})


def test_msk_zones_must_be_in_the_configured_region() -> None:
    context = {
        "environments": {
            "dev": {
                "region": "eu-west-1",
                "log": {"backend": "msk", "msk": {"availability_zones": ["eu-west-1a", "us-east-1b"]}},
            }
        }
    }
    with pytest.raises(ConfigError, match=r"\['us-east-1b'\] are not in region 'eu-west-1'"):
        load_config(context)


def test_kafka_names_share_the_environment_prefix() -> None:
    names = load_config(env_name="dev").names
    assert (names.raw_topic, names.insights_topic) == ("kappa-dev-raw-events", "kappa-dev-insights")
    assert names.flink_consumer_group("v2") == "kappa-dev-analytics-v2"
    assert names.fanout_consumer_group == "kappa-dev-webhook-fanout"


def test_kafka_pollers_must_be_in_order() -> None:
    # GIVEN more minimum than maximum provisioned pollers for the fan-out's MSK event source mapping
    context = {"environments": {"dev": {"delivery": {"kafka_min_pollers": 3, "kafka_max_pollers": 2}}}}
    # WHEN the config loads THEN the error names both settings and values
    with pytest.raises(ConfigError, match=r"kafka_min_pollers \(3\) must not exceed kafka_max_pollers \(2\)"):
        load_config(context)


def test_the_example_msk_environment_selects_msk_in_its_region() -> None:
    config = load_config(env_name="dev-msk")
    assert config.on_kafka
    assert config.region == "eu-west-1"
    assert config.log.msk.availability_zones == ("eu-west-1a", "eu-west-1b")
