"""The Flink job's application properties for a local run: Managed Flink's shape, local files in and out.

In AWS the properties come from the application's configuration (`/etc/flink/application_properties.json`);
locally the runtime writes a JSON file of the same shape and passes `--properties FILE`. Only the
connector choice differs: the job reads the archive the Firehose stand-in writes (the same layout it
replays from S3) and writes insight files instead of the insights stream.
"""

from __future__ import annotations

from typing import Any

from kappa.local.active_version import RuntimeVersion, configured_version
from kappa.local.paths import DataDir
from stacks.config import AppConfig

ARCHIVE_MONITOR_INTERVAL_MS = 250
"""How often the job's files source looks for new archive files (a bound on local latency)."""


def local_job_properties(
    config: AppConfig, data: DataDir, *, checkpoint_interval_ms: int, version: RuntimeVersion | None = None
) -> list[dict[str, Any]]:
    """The property groups `flink_app/settings.py` reads, with the environment's `processing` settings.

    `version` (default: cdk.json's, writing `<data>/insights`) names the job version, its output folders and its
    checkpoint folder (`job.checkpoint.dir`: the job checkpoints there, and a restart resumes from there);
    its own property groups (a version cut over to) are merged by the caller, over any other overrides.
    """
    processing = config.processing
    version = version or configured_version(config, data)
    groups: dict[str, dict[str, str]] = {
        "job": {
            "job_version": version.job_version,
            "parallelism": str(processing.parallelism),
            "python.execution_mode": "thread",
            "checkpoint.interval_ms": str(checkpoint_interval_ms),
            "checkpoint.dir": str(version.checkpoint_dir),
        },
        "source": {
            "type": "files",
            "files.path": str(version.source),
            "files.monitor_interval_ms": str(ARCHIVE_MONITOR_INTERVAL_MS),
        },
        "sink": {"type": "files", "files.path": str(version.insights)},
        "diagnostics": {"type": "files", "files.path": str(version.diagnostics)},
    }
    listed = [{"PropertyGroupId": group_id, "PropertyMap": values} for group_id, values in groups.items()]
    return merge_property_groups(listed, processing.job_properties)


def merge_property_groups(
    groups: list[dict[str, Any]], *overrides: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    """`groups` with each of `overrides` merged over it in turn (key by key within a group)."""
    merged = {group["PropertyGroupId"]: dict(group["PropertyMap"]) for group in groups}
    for override in overrides:
        for group_id, values in override.items():
            merged.setdefault(group_id, {}).update(values)
    return [{"PropertyGroupId": group_id, "PropertyMap": values} for group_id, values in merged.items()]


def runtime_job_properties(
    config: AppConfig,
    data: DataDir,
    version: RuntimeVersion,
    *,
    checkpoint_interval_ms: int,
    overrides: dict[str, dict[str, str]] | None = None,
    log_groups: dict[str, dict[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """What the runtime's job runs with: cdk.json's settings, then `overrides` (e.g. the demo's short
    timeouts), then the version's own properties (a version cut over to computes what it was replayed with).

    `log_groups` (the Kafka log's `source` and `sink`, `kappa.local.kafka_log.kafka_job_groups`) replace those
    groups whole, since the files connector's keys mean nothing to another connector; other groups merge.
    """
    merged = merge_property_groups(
        local_job_properties(config, data, checkpoint_interval_ms=checkpoint_interval_ms, version=version),
        overrides or {},
        version.job_properties,
    )
    if not log_groups:
        return merged
    replaced = {"source", "sink"} & set(log_groups)
    kept = [group for group in merged if group["PropertyGroupId"] not in replaced]
    return merge_property_groups(kept, log_groups)
