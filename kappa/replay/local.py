"""Kappa replay on the local runtime's data directory: run a job version over the archive, read its insights.

The runtime's archive (`<data>/archive`, Firehose's layout) is the local log. A replayed version runs the
real Flink job, bounded, over all of it and writes to `<data>/versions/<version>/insights`; the running
version's insights are the runtime's `<data>/insights`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from events.timefmt import parse_rfc3339
from kappa.local.insight_publisher import committed_files, read_insights
from kappa.local.job_properties import local_job_properties
from kappa.local.paths import DataDir
from kappa.replay.aws import ReplayError
from stacks.config import AppConfig, load_config

REPO_ROOT = Path(__file__).resolve().parents[2]
FLINK_MAIN = REPO_ROOT / "flink_app" / "main.py"


class LocalReplay:
    """`kappa replay/compare` against one data directory (the runtime need not be running)."""

    def __init__(self, data_dir: Path | str, *, config: AppConfig | None = None) -> None:
        self.data = DataDir.at(data_dir)
        self.config = config or load_config()

    def version_dir(self, job_version: str) -> Path:
        return self.data.root / "versions" / job_version

    def insights_dir(self, job_version: str) -> Path:
        """Where a version's insights are: a replayed version's folder, else the runtime's own output."""
        replayed = self.version_dir(job_version) / "insights"
        if replayed.exists():
            return replayed
        if job_version == self.config.processing.job_version and self.data.insights.exists():
            return self.data.insights
        known = (
            sorted(p.name for p in (self.data.root / "versions").glob("*"))
            if (self.data.root / "versions").exists()
            else []
        )
        raise ReplayError(
            f"no insights of job version {job_version!r} in {self.data.root} "
            f"(the runtime's version is {self.config.processing.job_version!r}; replayed: {', '.join(known) or 'none'})"
        )

    def properties(self, job_version: str, overrides: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
        """The runtime's job properties with this version, a bounded archive source and its own outputs."""
        groups = {
            group["PropertyGroupId"]: dict(group["PropertyMap"])
            for group in local_job_properties(self.config, self.data, checkpoint_interval_ms=1000)
        }
        out = self.version_dir(job_version)
        groups["job"]["job_version"] = job_version
        groups["source"] = {
            "type": "files",
            "files.path": str(self.data.archive),
            "files.monitor_interval_ms": "0",
        }
        groups["sink"] = {"type": "files", "files.path": str(out / "insights")}
        groups["diagnostics"] = {"type": "files", "files.path": str(out / "diagnostics")}
        for group_id, values in overrides.items():
            groups.setdefault(group_id, {}).update(values)
        return [{"PropertyGroupId": group_id, "PropertyMap": values} for group_id, values in groups.items()]

    def run(
        self,
        job_version: str,
        *,
        overrides: dict[str, dict[str, str]] | None = None,
        progress: Callable[[str], None] = print,
    ) -> Path:
        """Run the job bounded over the whole archive as `job_version`; returns its insights folder."""
        if not self.data.archive.exists() or not any(self.data.archive.rglob("*.ndjson*")):
            raise ReplayError(
                f"no archive in {self.data.archive}: run `kappa local up` or `kappa demo` first"
            )
        out = self.version_dir(job_version)
        if out.exists():
            raise ReplayError(
                f"{out} exists: job version {job_version!r} was replayed before; pick a new version"
            )
        out.mkdir(parents=True)
        properties_file = out / "application_properties.json"
        properties_file.write_text(json.dumps(self.properties(job_version, overrides or {}), indent=2))
        log_file = out / "flink-job.log"
        progress(f"running the Flink job as {job_version} over {self.data.archive} (log: {log_file})")
        started = time.monotonic()
        # PyFlink's thread mode loads pemja from the active virtualenv: run the job as if it were activated.
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
            "VIRTUAL_ENV": sys.prefix,
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        }
        with log_file.open("wb") as log:
            result = subprocess.run(
                [sys.executable, str(FLINK_MAIN), "--properties", str(properties_file)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                cwd=REPO_ROOT,
                check=False,
            )
        if result.returncode != 0:
            tail = log_file.read_text(errors="replace").splitlines()[-15:]
            raise ReplayError(
                f"the Flink job failed (exit {result.returncode}); last lines of {log_file}:\n"
                + "\n".join(tail)
            )
        count = sum(1 for _ in self.read_insights(job_version))
        progress(f"{job_version}: {count} insights in {time.monotonic() - started:.0f} s")
        return out / "insights"

    def read_insights(
        self, job_version: str, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """A version's committed insights whose event time lies in [start, end)."""
        for path in committed_files(self.insights_dir(job_version)):
            insights, _invalid = read_insights(path)
            for insight in insights:
                moment = parse_rfc3339(insight["occurred_at"])
                if (start is None or start <= moment) and (end is None or moment < end):
                    yield insight

    def cutover(self, to_version: str, *, progress: Callable[[str], None] = print) -> None:
        raise ReplayError(
            "local cut-over is not available yet: the local runtime always delivers its own job version's "
            f"insights; set processing.job_version to {to_version!r} (and its job_properties) in cdk.json "
            "and restart `kappa local up`"
        )
