"""`kappa local up` and `kappa demo` fail early, in one clear line, when they cannot run."""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from kappa.cli import app
from kappa.commands.local import describe
from kappa.local import flink_job
from kappa.local.active_version import runtime_version, write_active_version
from kappa.local.api_keys import ApiKey
from kappa.local.demo_session import DemoSnapshot
from kappa.local.demo_view import describe_insight, live_view, summary
from kappa.local.flink_status import JobStatus
from kappa.local.paths import DataDir
from kappa.local.runtime import RuntimeInfo, RuntimeStats
from stacks.config import load_config
from tests.kappa.local.test_active_version import active_version_file

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


def runtime_info(data: DataDir) -> RuntimeInfo:
    version = runtime_version(load_config(), data)
    return RuntimeInfo(
        api_url="http://127.0.0.1:1", aws_endpoint="http://127.0.0.1:2", producer_keys=[ApiKey("p", "p-id", "k", "producer", 10, 20)],
        admin_key=ApiKey("admin", "a-id", "a", "admin", 10, 20), data=data, raw_stream="raw", insights_stream="ins",
        restored_from=None, job_id="j", job_version=version.job_version, version=version,
    )  # fmt: skip


def test_demo_view_and_summary_render(tmp_path: Path) -> None:
    info = runtime_info(DataDir.at(tmp_path))
    console = Console(record=True, width=160)
    console.print(live_view(snapshot(), info))
    console.print(summary(snapshot(), info))
    text = console.export_text()
    assert "10 accepted" in text
    assert "p50 3.2 s" in text
    assert "user u1 left 1 item(s) worth 12.5 EUR" in text
    assert "something to fix" in text
    assert str(tmp_path / "archive") in text
    assert f"job {load_config().processing.job_version}" in text


def test_local_up_says_which_job_version_runs_and_since_which_cutover(tmp_path: Path) -> None:
    data = DataDir.at(tmp_path).create()
    console = Console(record=True, width=200)
    console.print(describe(runtime_info(data)))
    before = console.export_text()
    assert f"version {load_config().processing.job_version}" in before
    assert "cdk.json's processing.job_version" in before
    # GIVEN a cut-over to v2 was recorded
    write_active_version(data, active_version_file("v2", previous="v1"))
    console.print(describe(runtime_info(data)))
    after = console.export_text()
    assert "version v2" in after
    assert "cut over from v1 at 2026-11-25T12:00:00.000Z" in after
    assert "from event time 2026-11-25T11:45:00.000Z on" in after
    assert str(data.versions / "v2" / "live" / "insights") in after


def test_unknown_insight_shape_is_shown_not_crashed() -> None:
    assert (
        describe_insight({"type": "conversion_drop", "payload": {"conversion": 0.1}}) == "{'conversion': 0.1}"
    )
    assert "→" in describe_insight({"type": "product_recommendation", "payload": {"recommendations": ["a"]}})


def test_on_kafka_local_up_and_the_demo_summary_show_the_broker_and_topics(tmp_path: Path) -> None:
    from dataclasses import replace

    # GIVEN a runtime on the Kafka log
    info = replace(
        runtime_info(DataDir.at(tmp_path)),
        log="kafka",
        kafka_bootstrap_servers="127.0.0.1:39092",
        raw_stream="kappa-dev-raw-events",
        insights_stream="kappa-dev-insights",
    )
    console = Console(record=True, width=200)
    # WHEN it is described and the demo summarised
    console.print(describe(info))
    console.print(summary(snapshot(), info))
    text = console.export_text()
    # THEN the broker, its topics and how to start it again are shown
    assert "127.0.0.1:39092   (topics kappa-dev-raw-events, kappa-dev-insights)" in text
    assert "moto: tables, queues, keys" in text
    assert "insights topic kappa-dev-insights" in text
    assert f"kappa local up --data-dir {tmp_path} --log kafka" in text


def test_the_log_option_accepts_only_known_logs(tmp_path: Path) -> None:
    result = runner.invoke(app, ["local", "up", "--log", "msk", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "kinesis" in result.output


def test_a_cut_over_data_dir_is_refused_on_kafka_before_anything_starts(tmp_path: Path) -> None:
    # GIVEN a data directory cut over to v2
    data = DataDir.at(tmp_path).create()
    write_active_version(data, active_version_file("v2", previous="v1"))
    # WHEN the runtime is started on it with the Kafka log
    result = runner.invoke(app, ["local", "up", "--port", "0", "--log", "kafka", "--data-dir", str(tmp_path)])
    # THEN it says cut-overs are not supported on Kafka yet, and leaves nothing behind
    assert result.exit_code == 1
    assert "cut-overs are not supported on the Kafka log yet" in " ".join(result.output.split())
    assert not data.kafka.exists()


def test_a_kafka_data_dir_is_refused_on_kinesis(tmp_path: Path) -> None:
    data = DataDir.at(tmp_path).create()
    data.log_backend_file.write_text("kafka\n")
    result = runner.invoke(app, ["local", "up", "--port", "0", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "start it with `--log kafka`" in " ".join(result.output.split())
