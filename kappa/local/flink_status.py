"""What the running Flink job reports about itself, read from the mini cluster's REST API.

The client process can be alive while the job is restarting or has failed (Managed Flink shows the
same trap: the application RUNNING, the job not), so the runtime asks the job itself: its status,
how many records its sources have emitted (events through the job) and its completed checkpoints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import httpx

_SOURCE_RECORDS_OUT = re.compile(r"^\d+\.Source__.*\.numRecordsOut$")
_REST_URL = re.compile(r"(?:Web frontend|Rest endpoint) listening at (http://[\w.-]+:\d+)")


@dataclass(frozen=True)
class JobStatus:
    state: str
    """Flink's job status: RUNNING, RESTARTING, FAILING, FAILED, CANCELED, FINISHED, ..."""
    source_records: int
    """Records emitted by the job's source vertices (events read from the archive)."""
    checkpoints_completed: int
    checkpoints_failed: int
    restarts: int | None = None
    tasks_running: bool = False
    """Every vertex of the job is RUNNING (deployed and reading), not only the job as a whole."""


def rest_url(flink_log_dir: Path) -> str | None:
    """The REST endpoint the mini cluster announced in its log (a random free port)."""
    found = None
    for log in sorted(flink_log_dir.glob("flink-*.log"), key=lambda p: p.stat().st_mtime):
        for match in _REST_URL.finditer(log.read_text(errors="replace")):
            found = match.group(1)
    return found


class FlinkStatusReader:
    """Reads one job's status; returns None while the REST endpoint is not up yet."""

    def __init__(self, flink_log_dir: Path) -> None:
        self._log_dir = flink_log_dir
        self._base: str | None = None
        self._client = httpx.Client(timeout=2.0)
        self._metric_names: dict[str, list[str]] = {}

    def reset(self) -> None:
        self._base = None
        self._metric_names.clear()

    def read(self, job_id: str) -> JobStatus | None:
        if self._base is None:
            self._base = rest_url(self._log_dir)
            if self._base is None:
                return None
        try:
            job = self._client.get(f"{self._base}/jobs/{job_id}").json()
            checkpoints = self._client.get(f"{self._base}/jobs/{job_id}/checkpoints").json()
            vertices = job.get("vertices") or []
            sources = [v for v in vertices if str(v.get("name", "")).lower().startswith("source")]
            counts = checkpoints.get("counts") or {}
            return JobStatus(
                state=str(job.get("state", "UNKNOWN")),
                source_records=sum(self._source_records(job_id, v["id"]) for v in sources),
                checkpoints_completed=int(counts.get("completed", 0)),
                checkpoints_failed=int(counts.get("failed", 0)),
                restarts=counts.get("restored"),
                tasks_running=bool(vertices) and all(v.get("status") == "RUNNING" for v in vertices),
            )
        except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError):
            self.reset()
            return None

    def _source_records(self, job_id: str, vertex_id: str) -> int:
        """Records the source operators emitted (`<subtask>.Source__<name>.numRecordsOut`).

        The vertex-level `write-records` stays 0 when the source is chained with what follows it (nothing
        crosses the network), so the operator metric is read instead.
        """
        base = f"{self._base}/jobs/{job_id}/vertices/{vertex_id}/metrics"
        names = self._metric_names.get(vertex_id)
        if not names:
            listed = [m["id"] for m in self._client.get(base).json()]
            names = [n for n in listed if _SOURCE_RECORDS_OUT.match(n)]
            self._metric_names[vertex_id] = names
            if not names:
                return 0
        values = self._client.get(base, params={"get": ",".join(names)}).json()
        return sum(int(float(m.get("value", 0))) for m in values)

    def close(self) -> None:
        self._client.close()
