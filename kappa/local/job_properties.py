"""The Flink job's application properties for a local run: Managed Flink's shape, local files in and out.

In AWS the properties come from the application's configuration (`/etc/flink/application_properties.json`);
locally the runtime writes a JSON file of the same shape and passes `--properties FILE`. Only the
connector choice differs: the job reads the archive the Firehose stand-in writes (the same layout it
replays from S3) and writes insight files instead of the insights stream.
"""

from __future__ import annotations

from typing import Any

from kappa.local.paths import DataDir
from stacks.config import AppConfig

ARCHIVE_MONITOR_INTERVAL_MS = 500
"""How often the job's files source looks for new archive files (a bound on local latency)."""


def local_job_properties(
    config: AppConfig, data: DataDir, *, checkpoint_interval_ms: int
) -> list[dict[str, Any]]:
    processing = config.processing
    groups: dict[str, dict[str, str]] = {
        "job": {
            "job.version": processing.job_version,
            "parallelism": str(processing.parallelism),
            "checkpoint.interval.ms": str(checkpoint_interval_ms),
        },
        "source": {
            "type": "files",
            "path": str(data.archive),
            "monitor.interval.ms": str(ARCHIVE_MONITOR_INTERVAL_MS),
        },
        "sink": {"type": "files", "path": str(data.insights)},
    }
    for group_id, values in processing.job_properties.items():
        groups.setdefault(group_id, {}).update(values)
    return [{"PropertyGroupId": group_id, "PropertyMap": values} for group_id, values in groups.items()]
