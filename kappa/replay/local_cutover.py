"""`kappa cutover V --data-dir DIR`: make a replayed job version the one the local runtime runs and delivers.

Mirrors `AwsReplay.cutover`. In AWS the fan-out's mapping moves to the new version's stream, starting
`overlap` before now, and the old application stops; the delivery log skips what the old version delivered.
Locally the runtime must be stopped, and the switch is the state file `kappa.local.active_version` reads on
the runtime's next start: the new version's job runs (with the properties it was replayed with, its own
output and checkpoint folders, its own insights stream) and the old version's job does not. Nothing the old
version delivered is delivered again: the publisher's done ids and the fan-out's delivery log both key on
insight ids, which do not depend on the version. Of what the old version did not deliver, the new version
delivers insights from `deliver_from` on (the local analogue of the mapping's start, see active_version).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from events.timefmt import format_rfc3339, parse_rfc3339, utc_now
from kappa.local.active_version import (
    ActiveVersion,
    ActiveVersionError,
    active_version_path,
    computing_properties,
    live_dir,
    runtime_version,
    write_active_version,
)
from kappa.local.insight_publisher import committed_files, read_done_ids, read_insights
from kappa.local.paths import DataDir, DataDirBusyError, DataDirLock
from kappa.replay.aws import ReplayError
from kappa.replay.local import REPLAY_RECORD
from stacks.config import AppConfig


def cut_over(
    data: DataDir,
    config: AppConfig,
    to_version: str,
    *,
    overlap_seconds: int,
    now: datetime | None = None,
) -> ActiveVersion:
    """Check the switch is possible, then store it; the runtime must not hold the data directory meanwhile."""
    if not data.root.is_dir():
        raise ReplayError(
            f"no data directory at {data.root}: run `kappa local up --data-dir {data.root}` first"
        )
    try:
        lock = DataDirLock(data).acquire()
    except DataDirBusyError as error:
        raise ReplayError(
            f"{error}. Stop `kappa local up` (or `kappa demo`) first: a cut-over switches the version the "
            "runtime runs when it starts"
        ) from None
    try:
        active = plan_cutover(data, config, to_version, overlap_seconds=overlap_seconds, now=now)
        write_active_version(data, active)
    finally:
        lock.release()
    return active


def plan_cutover(
    data: DataDir,
    config: AppConfig,
    to_version: str,
    *,
    overlap_seconds: int,
    now: datetime | None = None,
) -> ActiveVersion:
    """The `ActiveVersion` that switches the runtime from its current version to `to_version` (no writes)."""
    if overlap_seconds < 0:
        raise ReplayError(f"the overlap must be 0 seconds or more, not {overlap_seconds}")
    try:
        current = runtime_version(config, data)
    except ActiveVersionError as error:
        raise ReplayError(str(error)) from None
    if to_version == current.job_version:
        raise ReplayError(f"{to_version} is already the job version the local runtime runs in {data.root}")
    if to_version in current.outputs:
        raise ReplayError(
            f"{to_version} ran in the local runtime before (its insights are in {current.outputs[to_version]}); "
            "replay the change under a new job version"
        )
    replayed = data.versions / to_version
    if not (replayed / REPLAY_RECORD).exists():
        if not replayed.exists():
            raise ReplayError(
                f"job version {to_version!r} was never replayed in {data.root}: run "
                f"`kappa replay --job-version {to_version} --data-dir {data.root}` first, then compare"
            )
        raise ReplayError(
            f"the replay of {to_version} did not finish (no {replayed / REPLAY_RECORD}; its log is "
            f"{replayed / 'flink-job.log'}): replay the change again under a new job version"
        )
    properties = json.loads((replayed / "application_properties.json").read_text())
    switched_at = now or utc_now()
    delivered_until = newest_delivered(data, current.insights)
    deliver_from = (delivered_until or switched_at) - timedelta(seconds=overlap_seconds)
    outputs = {version: str(folder.relative_to(data.root)) for version, folder in current.outputs.items()}
    outputs[to_version] = str((live_dir(data, to_version) / "insights").relative_to(data.root))
    return ActiveVersion(
        job_version=to_version,
        previous_version=current.job_version,
        job_properties=computing_properties(properties),
        switched_at=switched_at,
        overlap_seconds=overlap_seconds,
        previous_delivered_until=delivered_until,
        deliver_from=deliver_from,
        outputs=outputs,
    )


def newest_delivered(data: DataDir, insights_dir: Path) -> datetime | None:
    """Event time of the newest insight in `insights_dir` that the fan-out finished with (None: none)."""
    done = read_done_ids(data.insights_done_ids)
    if not done or not insights_dir.exists():
        return None
    newest: datetime | None = None
    for path in committed_files(insights_dir):
        for insight in read_insights(path)[0]:
            if insight["insight_id"] not in done:
                continue
            try:
                moment = parse_rfc3339(str(insight["occurred_at"]))
            except (KeyError, ValueError):
                continue
            newest = moment if newest is None or moment > newest else newest
    return newest


def describe_cutover(data: DataDir, active: ActiveVersion) -> list[str]:
    """What the cut-over did and what the next start of the runtime will do, for the terminal."""
    live = live_dir(data, active.job_version)
    until = (
        f"the newest insight {active.previous_version} delivered is about {format_rfc3339(active.previous_delivered_until)}"
        if active.previous_delivered_until
        else f"{active.previous_version} delivered nothing, so the switch time counts"
    )
    return [
        f"wrote {active_version_path(data)}: the local runtime now runs {active.job_version} "
        f"(was {active.previous_version}); {active.previous_version}'s job will not run again",
        f"{active.job_version} runs with the properties it was replayed with, writes {live / 'insights'}, "
        f"keeps its checkpoints in {live / 'flink' / 'checkpoints'} and feeds the fan-out through "
        f"its own insights stream",
        f"delivery: nothing {active.previous_version} delivered is sent again; {until}, so "
        f"{active.job_version}'s insights from event time {format_rfc3339(active.deliver_from)} on "
        f"({active.overlap_seconds} s overlap) are delivered",
        f"start it with `kappa local up --data-dir {data.root}` (its first start reads the whole archive)",
    ]
