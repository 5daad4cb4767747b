"""`kappa local up` and `kappa demo` fail early, in one clear line, when they cannot run."""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from kappa.cli import app
from kappa.local import flink_job
from kappa.local.demo_session import DemoSnapshot
from kappa.local.demo_view import describe_insight, live_view, summary
from kappa.local.flink_status import JobStatus
from kappa.local.paths import DataDir
from kappa.local.runtime import RuntimeInfo, RuntimeStats

runner = CliRunner()


def test_local_up_refuses_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["local", "up", "--port", str(port), "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"port {port}" in result.output
    assert "already in use" in result.output


@pytest.mark.parametrize("command", [["local", "up", "--port", "0"], ["demo", "--port", "0"]])
def test_missing_java_is_reported_before_anything_starts(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flink_job, "java_major_version", lambda: None)
    result = runner.invoke(app, [*command, "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert "Java is required" in result.output


def snapshot() -> DemoSnapshot:
    stats = RuntimeStats(
        requests=Counter({202: 3}), events_accepted=10, events_rejected=2, archived_records=10, archive_files=2,
        job=JobStatus("RUNNING", 10, 4, 0), job_state="RUNNING", insights_by_type={"cart_abandoned": 1},
        insights_pending=0, insights_done=1, fanout_invocations=1, fanout_errors=0, fanout_partial_failures=0,
        fanout_discarded=0, retry_queue_depth=0, dead_letter_depth=0, problems=["something to fix"],
    )  # fmt: skip
    cart = {"type": "cart_abandoned", "user_id": "u1", "occurred_at": "2026-11-25T12:00:00.000Z",
            "payload": {"items": [{"product_id": "p1"}], "value": 12.5, "currency": "EUR", "last_cart_change_at": "x"}}  # fmt: skip
    return DemoSnapshot(
        elapsed=30, remaining=90, stats=stats, sent=12, accepted=10, rejected=2, rejection_examples=["#0: bad"],
        webhooks_verified=1, webhooks_invalid=0, webhooks_duplicates=0, webhooks_by_type=Counter({"cart_abandoned": 1}),
        latency_p50=3.2, latency_p99=7.5, latency_count=1, samples={"cart_abandoned": cart},
    )  # fmt: skip


def test_demo_view_and_summary_render(tmp_path: Path) -> None:
    info = RuntimeInfo(
        api_url="http://127.0.0.1:1", aws_endpoint="http://127.0.0.1:2", producer_keys=[], admin_key=None,  # type: ignore[arg-type]
        data=DataDir.at(tmp_path), raw_stream="raw", insights_stream="ins", restored_from=None, job_id="j",
    )  # fmt: skip
    console = Console(record=True, width=160)
    console.print(live_view(snapshot(), info))
    console.print(summary(snapshot(), info))
    text = console.export_text()
    assert "10 accepted" in text
    assert "p50 3.2 s" in text
    assert "user u1 left 1 item(s) worth 12.5 EUR" in text
    assert "something to fix" in text
    assert str(tmp_path / "archive") in text


def test_unknown_insight_shape_is_shown_not_crashed() -> None:
    assert (
        describe_insight({"type": "conversion_drop", "payload": {"conversion": 0.1}}) == "{'conversion': 0.1}"
    )
    assert "→" in describe_insight({"type": "product_recommendation", "payload": {"recommendations": ["a"]}})
