"""Which job version the local runtime runs, and where it writes: cdk.json's, or the one a cut-over chose.

`kappa cutover V2 --data-dir DIR` writes `<data>/state/active-version.json` (an `ActiveVersion`); every start
of the runtime reads it through `runtime_version`. Without the file the runtime runs cdk.json's
`processing.job_version` in the layout it always had (`insights/`, `diagnostics/`, `flink/checkpoints/`). A
version cut over to runs in `versions/<version>/live/` with checkpoints of its own (the previous version's
belong to another job graph and are never restored into it), the property groups it was replayed with, and
the archive fed in order (`kappa.local.ordered_archive`: its first start reads all the history at once).

What the publisher delivers after a cut-over (the local analogue of the AWS event source mapping that
starts `overlap` before now): never an insight the fan-out already finished with (ids do not depend on the
job version), and of the rest only those whose event time is at or after `deliver_from` = (the event time of
the newest insight the previous version handed to the fan-out, or the switch time if it handed none) −
`overlap_seconds`. Older insights are history the new version recomputed, not news to subscribers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_serializer

from events.timefmt import format_rfc3339
from kappa.local.paths import DataDir, write_atomically
from stacks.config import AppConfig

JOB_VERSION_PATTERN = r"^[A-Za-z0-9_.-]{1,32}$"
"""The same rule as `processing.job_version` in cdk.json (it names streams and folders)."""
RUNTIME_GROUPS = frozenset({"source", "sink", "diagnostics"})
"""Property groups that say where a run reads and writes (set by whoever runs the job), not what it computes."""
RUNTIME_JOB_KEYS = frozenset({"job_version", "checkpoint.interval_ms", "checkpoint.dir"})


class ActiveVersionError(RuntimeError):
    """The active-version file cannot be used; the message says which file and what to do."""


class ActiveVersion(BaseModel):
    """What `kappa cutover --data-dir` decided, as stored in `<data>/state/active-version.json`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job_version: str = Field(pattern=JOB_VERSION_PATTERN)
    previous_version: str = Field(pattern=JOB_VERSION_PATTERN)
    job_properties: dict[str, dict[str, str]]
    """The version's property groups as it was replayed, without where-to-run settings (`RUNTIME_GROUPS`,
    `RUNTIME_JOB_KEYS`)."""
    switched_at: AwareDatetime
    overlap_seconds: int = Field(ge=0)
    previous_delivered_until: AwareDatetime | None
    """Event time of the newest insight the previous version handed to the fan-out (None: it handed none)."""
    deliver_from: AwareDatetime
    """This version's insights about earlier moments (by `occurred_at`) are not delivered: they are history."""
    outputs: dict[str, str]
    """Every version the runtime has run → the folder its insights went to, relative to the data directory."""

    @field_serializer("switched_at", "previous_delivered_until", "deliver_from")
    def _as_rfc3339(self, moment: datetime | None) -> str | None:
        return None if moment is None else format_rfc3339(moment)


@dataclass(frozen=True)
class RuntimeVersion:
    """The job version one start of the runtime runs: where its job writes, and what the publisher delivers."""

    job_version: str
    source: Path
    """The folder the job's files source reads: the archive, or for a version cut over to its `ArchiveFeed`
    (the archive in order: a new version's first start reads all of it at once)."""
    insights: Path
    diagnostics: Path
    checkpoint_dir: Path
    """The job's `job.checkpoint.dir`: it checkpoints there, and a restart resumes from the newest one there."""
    job_properties: dict[str, dict[str, str]] = field(default_factory=dict)
    """Merged over the runtime's property groups (empty for cdk.json's version: cdk.json decides)."""
    deliver_from: datetime | None = None
    outputs: dict[str, Path] = field(default_factory=dict)
    """Every version the runtime has run in this data directory → its insights folder."""
    switch: ActiveVersion | None = None
    """The cut-over that made this version active (None: cdk.json's version, no cut-over yet)."""


def active_version_path(data: DataDir) -> Path:
    return data.state / "active-version.json"


def live_dir(data: DataDir, job_version: str) -> Path:
    """Where the runtime runs a version it was cut over to: `source/`, `insights/`, `diagnostics/`, `flink/`."""
    return data.versions / job_version / "live"


def read_active_version(data: DataDir) -> ActiveVersion | None:
    """The stored cut-over, None when there was none; an ActiveVersionError when the file is unusable."""
    path = active_version_path(data)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        return ActiveVersion.model_validate(json.loads(text))
    except (ValueError, ValidationError) as error:
        problems = (
            "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors())
            if isinstance(error, ValidationError)
            else f"not JSON ({error})"
        )
        raise ActiveVersionError(
            f"{path} is not a valid active-version file ({problems}); restore it from a backup, or delete it "
            "to run cdk.json's job version again"
        ) from None


def write_active_version(data: DataDir, active: ActiveVersion) -> Path:
    """Store the cut-over atomically (a runtime start sees the old file or the whole new one)."""
    path = active_version_path(data)
    write_atomically(path, (active.model_dump_json(indent=2) + "\n").encode())
    return path


def configured_version(config: AppConfig, data: DataDir) -> RuntimeVersion:
    """cdk.json's job version in the data directory's own layout (what runs until the first cut-over)."""
    version = config.processing.job_version
    return RuntimeVersion(
        job_version=version,
        source=data.archive,
        insights=data.insights,
        diagnostics=data.diagnostics,
        checkpoint_dir=data.checkpoints,
        outputs={version: data.insights},
    )


def runtime_version(config: AppConfig, data: DataDir) -> RuntimeVersion:
    """The version the runtime runs in `data`: the last cut-over's, else cdk.json's."""
    active = read_active_version(data)
    if active is None:
        return configured_version(config, data)
    live = live_dir(data, active.job_version)
    return RuntimeVersion(
        job_version=active.job_version,
        source=live / "source",
        insights=live / "insights",
        diagnostics=live / "diagnostics",
        checkpoint_dir=live / "flink" / "checkpoints",
        job_properties=active.job_properties,
        deliver_from=active.deliver_from,
        outputs={version: data.root / folder for version, folder in active.outputs.items()},
        switch=active,
    )


def computing_properties(groups: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """A run's property groups (Managed Flink shape) without where-to-run settings: what the version computes."""
    kept: dict[str, dict[str, str]] = {}
    for group in groups:
        group_id = group["PropertyGroupId"]
        if group_id in RUNTIME_GROUPS:
            continue
        values = {
            str(key): str(value)
            for key, value in group["PropertyMap"].items()
            if not (group_id == "job" and key in RUNTIME_JOB_KEYS)
        }
        if values:
            kept[group_id] = values
    return kept
