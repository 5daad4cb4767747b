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

ARCHIVE_MONITOR_INTERVAL_MS = 250
"""How often the job's files source looks for new archive files (a bound on local latency)."""


def local_job_properties(
    config: AppConfig, data: DataDir, *, checkpoint_interval_ms: int
) -> list[dict[str, Any]]:
    """The property groups `flink_app/settings.py` reads, with the environment's `processing` settings."""
    processing = config.processing
    groups: dict[str, dict[str, str]] = {
        "job": {
            "job_version": processing.job_version,
            "parallelism": str(processing.parallelism),
            "python.execution_mode": "thread",
            "checkpoint.interval_ms": str(checkpoint_interval_ms),
        },
        "source": {
            "type": "files",
            "files.path": str(data.archive),
            "files.monitor_interval_ms": str(ARCHIVE_MONITOR_INTERVAL_MS),
        },
        "sink": {"type": "files", "files.path": str(data.insights)},
        "diagnostics": {"type": "files", "files.path": str(data.diagnostics)},
    }
    for group_id, values in processing.job_properties.items():
        groups.setdefault(group_id, {}).update(values)
    return [{"PropertyGroupId": group_id, "PropertyMap": values} for group_id, values in groups.items()]
