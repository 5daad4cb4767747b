"""Kappa replay on the local runtime's data directory: run a job version over the archive, read its insights.

The runtime's archive (`<data>/archive`, Firehose's layout) is the local log. A replayed version runs the
real Flink job, bounded, over all of it (merged into one file in the order it was written:
`kappa.local.ordered_archive`) and writes to `<data>/versions/<version>/insights` (its checkpoints to
`checkpoints/` beside it, never the runtime's), with the running
version's properties as the template (as in AWS, where the running application is the template). The
running version's insights are the runtime's own output folder (`<data>/insights` until a cut-over, see
`kappa.local.active_version`); `kappa cutover --data-dir` is `kappa.replay.local_cutover`.

On a Kafka data directory (`kappa local up --log kafka`) the log is the raw topic: a version replays it from
a time into its own topic (`kappa.replay.local_kafka`), and the running version's insights are its topic.
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

from events.timefmt import format_rfc3339, parse_rfc3339, utc_now
from kappa.local.active_version import ActiveVersion, ActiveVersionError, RuntimeVersion, runtime_version
from kappa.local.flink_job import FlinkJobError, require_job_jar
from kappa.local.insight_publisher import committed_files, read_insights
from kappa.local.job_properties import local_job_properties, merge_property_groups
from kappa.local.kafka_log import (
    KAFKA,
    data_dir_log,
    insights_topic,
    kafka_job_groups,
)
from kappa.local.ordered_archive import ArchiveFeed
from kappa.local.paths import DataDir, write_atomically
from kappa.replay.aws import ReplayError
from kappa.replay.local_kafka import kafka_log, make_topic, read_topic_insights
from stacks.config import AppConfig, load_config

REPO_ROOT = Path(__file__).resolve().parents[2]
FLINK_MAIN = REPO_ROOT / "flink_app" / "main.py"
REPLAY_RECORD = "replay.json"
"""Written into a version's folder when its replay finished; a cut-over needs it."""
REPLAY_CHECKPOINT_INTERVAL_MS = 1000


class LocalReplay:
    """`kappa replay/compare/cutover` against one data directory (the runtime need not be running)."""

    def __init__(self, data_dir: Path | str, *, config: AppConfig | None = None) -> None:
        self.data = DataDir.at(data_dir)
        self.config = config or load_config()

    def running(self) -> RuntimeVersion:
        """The version the runtime runs in this data directory (its last cut-over's, else cdk.json's)."""
        try:
            return runtime_version(self.config, self.data)
        except ActiveVersionError as error:
            raise ReplayError(str(error)) from None

    def version_dir(self, job_version: str) -> Path:
        return self.data.versions / job_version

    def insights_dirs(self, job_version: str) -> list[Path]:
        """Where a version's insights are: the runtime's output if the runtime ran it, then its replay's."""
        ran = self.running()
        folders = [
            folder
            for folder in (ran.outputs.get(job_version), self.version_dir(job_version) / "insights")
            if folder is not None and folder.exists()
        ]
        if folders:
            return folders
        known = sorted(p.name for p in self.data.versions.glob("*")) if self.data.versions.exists() else []
        raise ReplayError(
            f"no insights of job version {job_version!r} in {self.data.root} "
            f"(the runtime's version is {ran.job_version!r}; replayed: {', '.join(known) or 'none'})"
        )

    def insights_dir(self, job_version: str) -> Path:
        """The main folder of a version's insights (see `insights_dirs`)."""
        return self.insights_dirs(job_version)[0]

    def template(self) -> dict[str, dict[str, str]]:
        """The running version's property groups: what the runtime's job last started with, if that was the
        version the runtime runs now; else cdk.json's with that version's own (replayed) properties."""
        running = self.running()
        if self.data.flink_properties.exists():
            last = {
                group["PropertyGroupId"]: dict(group["PropertyMap"])
                for group in json.loads(self.data.flink_properties.read_text())
            }
            if last.get("job", {}).get("job_version") == running.job_version:
                return last
        groups = merge_property_groups(
            local_job_properties(
                self.config, self.data, checkpoint_interval_ms=REPLAY_CHECKPOINT_INTERVAL_MS, version=running
            ),
            running.job_properties,
        )
        return {group["PropertyGroupId"]: group["PropertyMap"] for group in groups}

    def properties(self, job_version: str, overrides: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
        """The running version's job properties with this version, a bounded archive source and its own outputs."""
        groups = self.template()
        out = self.version_dir(job_version)
        job = groups.setdefault("job", {})
        job["job_version"] = job_version
        job["checkpoint.interval_ms"] = str(REPLAY_CHECKPOINT_INTERVAL_MS)
        # Never the running job's folder: a restart of the runtime resumes from the newest checkpoint there.
        job["checkpoint.dir"] = str(out / "checkpoints")
        groups["source"] = {
            "type": "files",
            "files.path": str(out / "source"),
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
        from_time: datetime | None = None,
    ) -> Path:
        """Run the job bounded over the whole archive as `job_version`; returns its insights folder.

        On a Kafka data directory it reads the raw topic instead, from `from_time` (default: its start)."""
        try:
            job_jar = require_job_jar(progress)
        except FlinkJobError as error:
            raise ReplayError(str(error)) from None
        if self.on_kafka:
            return self._run_on_kafka(job_version, overrides or {}, progress, from_time, job_jar)
        if from_time is not None:
            raise ReplayError(
                "--from replays a log from a time; this data directory's log is its archive, which a local replay "
                "reads whole and in order (on a `--log kafka` data directory --from reads the raw topic from then)"
            )
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
        # One file, oldest first: over many archive files the source would read them in no particular order.
        ArchiveFeed(self.data.archive, out / "source").prepare()
        log_file = out / "flink-job.log"
        progress(f"running the Flink job as {job_version} over {self.data.archive} (log: {log_file})")
        started = time.monotonic()
        self._run_job(properties_file, log_file)
        count = sum(1 for _ in self.read_insights(job_version))
        record = {"job_version": job_version, "finished_at": format_rfc3339(utc_now()), "insights": count}
        write_atomically(out / REPLAY_RECORD, json.dumps(record, indent=2).encode())
        progress(f"{job_version}: {count} insights in {time.monotonic() - started:.0f} s")
        return out / "insights"

    @property
    def on_kafka(self) -> bool:
        """True for a data directory the runtime ran with `--log kafka`."""
        return data_dir_log(self.data) == KAFKA

    def _run_on_kafka(
        self,
        job_version: str,
        overrides: dict[str, dict[str, str]],
        progress: Callable[[str], None],
        from_time: datetime | None,
        job_jar: Path,
    ) -> Path:
        out = self.version_dir(job_version)
        if out.exists():
            raise ReplayError(
                f"{out} exists: job version {job_version!r} was replayed before; pick a new version"
            )
        topic = insights_topic(self.config, job_version)
        with kafka_log(self.data) as bootstrap:
            out.mkdir(parents=True)
            make_topic(bootstrap, topic, self.config.log.msk.insights_partitions)
            groups = {g["PropertyGroupId"]: g["PropertyMap"] for g in self.properties(job_version, overrides)}
            kafka = kafka_job_groups(
                self.config,
                bootstrap,
                job_version,
                start_position="TIMESTAMP" if from_time is not None else "EARLIEST",
                start_timestamp=format_rfc3339(from_time) if from_time is not None else None,
                connector_jar=job_jar,
                idle_timeout_ms=0,
            )
            groups["source"] = kafka["source"] | {"kafka.bounded": "true"} | overrides.get("source", {})
            groups["sink"] = kafka["sink"] | overrides.get("sink", {})
            groups["job"] = groups.get("job", {}) | kafka["job"]
            properties_file = out / "application_properties.json"
            listed = [{"PropertyGroupId": key, "PropertyMap": values} for key, values in groups.items()]
            properties_file.write_text(json.dumps(listed, indent=2))
            log_file = out / "flink-job.log"
            since = f"from {format_rfc3339(from_time)}" if from_time is not None else "from its start"
            progress(
                f"running the Flink job as {job_version} over topic {self.config.names.raw_topic} {since} "
                f"into topic {topic} (log: {log_file})"
            )
            started = time.monotonic()
            self._run_job(properties_file, log_file)
            insights = read_topic_insights(bootstrap, topic)
        lines = b"".join(json.dumps(insight, sort_keys=True).encode() + b"\n" for insight in insights)
        write_atomically(out / "insights" / f"{topic}.ndjson", lines)
        record = {
            "job_version": job_version,
            "finished_at": format_rfc3339(utc_now()),
            "insights": len(insights),
            "topic": topic,
            "from": format_rfc3339(from_time) if from_time is not None else None,
        }
        write_atomically(out / REPLAY_RECORD, json.dumps(record, indent=2).encode())
        progress(
            f"{job_version}: {len(insights)} insights in {time.monotonic() - started:.0f} s (topic {topic})"
        )
        return out / "insights"

    def _run_job(self, properties_file: Path, log_file: Path) -> None:
        """Run the job to its end (bounded source) with `properties_file`; its output goes to `log_file`."""
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

    def read_insights(
        self, job_version: str, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """A version's committed insights whose event time lies in [start, end).

        A version the runtime ran after its replay has both folders; the runtime's output re-derives what the
        replay wrote (same ids), so an id already read from an earlier folder is not read again.
        """
        seen: set[str] = set()
        if self.on_kafka and job_version == self.running().job_version:
            with kafka_log(self.data) as bootstrap:
                insights = read_topic_insights(bootstrap, insights_topic(self.config, job_version))
            for insight in insights:
                moment = parse_rfc3339(insight["occurred_at"])
                if (start is None or start <= moment) and (end is None or moment < end):
                    yield insight
            return
        for folder in self.insights_dirs(job_version):
            in_folder: set[str] = set()
            for path in committed_files(folder):
                insights, _invalid = read_insights(path)
                for insight in insights:
                    if insight["insight_id"] in seen:
                        continue
                    in_folder.add(insight["insight_id"])
                    moment = parse_rfc3339(insight["occurred_at"])
                    if (start is None or start <= moment) and (end is None or moment < end):
                        yield insight
            seen |= in_folder

    def cutover(
        self,
        to_version: str,
        *,
        overlap_seconds: int = 900,
        progress: Callable[[str], None] = print,
        now: datetime | None = None,
    ) -> ActiveVersion:
        """Make the replayed `to_version` the version the runtime runs and delivers from its next start."""
        from kappa.replay.local_cutover import cut_over, describe_cutover

        active = cut_over(self.data, self.config, to_version, overlap_seconds=overlap_seconds, now=now)
        for line in describe_cutover(self.data, active):
            progress(line)
        return active
