"""Test support: run the real job (flink_app.main) on the local mini-cluster over a log, read its outputs."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flink_app.settings import load_property_groups, override, settings_from_properties

REPO_ROOT = Path(__file__).resolve().parents[2]
REPLAY_PROPERTIES = REPO_ROOT / "flink_app" / "properties" / "replay.json"
_EMITTED_AT = re.compile(r'"emitted_at":"[^"]*",?')

# Settings for one-hour simulator logs: windows short enough for an hour to hold baselines and trends.
ONE_HOUR_ANALYTICS = {
    "trending.window_minutes": "5",
    "trending.slide_minutes": "1",
    "trending.baseline_minutes": "20",
    "trending.min_history_minutes": "10",
    "trending.min_views": "5",
    "trending.threshold": "3.0",
    "recommendation.half_life_minutes": "120",
    "recommendation.horizon_minutes": "360",
    "recommendation.update_minutes": "5",
    "conversion.window_minutes": "10",
    "conversion.baseline_minutes": "30",
    "conversion.min_sessions": "20",
}


def prepare_python_environment() -> None:
    """Thread mode runs Python inside the JVM: it needs the venv (pemja) and this project on its paths."""
    venv = Path(sys.executable).resolve().parent.parent
    os.environ.setdefault("VIRTUAL_ENV", str(Path(sys.prefix)))
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    paths = [str(REPO_ROOT), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    del venv


@dataclass
class JobRun:
    lines: list[str]
    insights: list[dict[str, Any]]
    late: list[dict[str, Any]]
    stats: list[dict[str, Any]]
    seconds: float

    def of_type(self, insight_type: str) -> list[dict[str, Any]]:
        return [i for i in self.insights if i["type"] == insight_type]

    def normalized(self) -> list[str]:
        """Raw output lines without `emitted_at`, sorted: byte-for-byte comparable between runs."""
        return sorted(_EMITTED_AT.sub("", line) for line in self.lines)


def read_lines(directory: Path) -> list[str]:
    lines: list[str] = []
    if not directory.exists():
        return lines
    for part in sorted(directory.rglob("*")):
        if part.is_file() and not part.name.startswith("."):
            lines.extend(line for line in part.read_text().splitlines() if line)
    return lines


def run_job(
    events: Path,
    out: Path,
    *,
    parallelism: int = 1,
    analytics: dict[str, str] | None = None,
    job: dict[str, str] | None = None,
) -> JobRun:
    """Run the bounded job in this process' mini-cluster; raises if the job fails."""
    from flink_app.main import run

    changes = [
        ("source", "files.path", str(events)),
        ("sink", "files.path", str(out / "insights")),
        ("diagnostics", "type", "files"),
        ("diagnostics", "files.path", str(out / "diagnostics")),
        ("job", "parallelism", str(parallelism)),
        ("job", "watermark.out_of_orderness_ms", "10000"),
        # Beside the outputs (removed with the test's tmp dir), not in the shared <temp dir> default.
        ("job", "checkpoint.dir", str(out / "checkpoints")),
        *[("analytics", key, value) for key, value in (analytics or {}).items()],
        *[("job", key, value) for key, value in (job or {}).items()],
    ]
    settings = settings_from_properties(override(load_property_groups(REPLAY_PROPERTIES), changes))
    started = time.monotonic()
    run(settings, local=True, wait=True)
    return _job_run(read_lines(out / "insights"), out, seconds=time.monotonic() - started)


def run_kafka_job(
    out: Path,
    *,
    source: dict[str, str],
    sink: dict[str, str] | None = None,
    connector_jar: Path,
    analytics: dict[str, str] | None = None,
) -> JobRun:
    """Run the job with the `source` (and `sink`) property groups given whole, e.g. a bounded Kafka source;
    the sink defaults to files under `out`. With a Kafka sink the returned run has no lines: read the topic."""
    from flink_app.main import run

    groups = load_property_groups(REPLAY_PROPERTIES)
    groups["source"] = dict(source)
    groups["sink"] = dict(sink) if sink else {"type": "files", "files.path": str(out / "insights")}
    changes = [
        ("diagnostics", "type", "files"),
        ("diagnostics", "files.path", str(out / "diagnostics")),
        ("job", "parallelism", "1"),
        ("job", "watermark.out_of_orderness_ms", "10000"),
        ("job", "checkpoint.dir", str(out / "checkpoints")),
        ("job", "connector_jar", str(connector_jar)),
        *[("analytics", key, value) for key, value in (analytics or {}).items()],
    ]
    settings = settings_from_properties(override(groups, changes))
    started = time.monotonic()
    run(settings, local=True, wait=True)
    return _job_run(read_lines(out / "insights"), out, seconds=time.monotonic() - started)


def _job_run(lines: list[str], out: Path, *, seconds: float) -> JobRun:
    return JobRun(
        lines=lines,
        insights=[json.loads(line) for line in lines],
        late=[json.loads(line) for line in read_lines(out / "diagnostics" / "late")],
        stats=[json.loads(line) for line in read_lines(out / "diagnostics" / "stats")],
        seconds=seconds,
    )
