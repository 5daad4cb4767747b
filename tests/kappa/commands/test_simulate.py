"""`kappa simulate` from the command line: files, stdout, the live sender, and errors for bad options."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from events import EventValidator, parse_rfc3339
from kappa.cli import app
from kappa.commands import simulate as command
from kappa.simulate.sender import EventSender
from tests.kappa.simulate.ingestion_stub import IngestionStub, accept_all

REPO = Path(__file__).resolve().parents[3]
runner = CliRunner()


@pytest.fixture
def stub() -> Iterator[IngestionStub]:
    server = IngestionStub(accept_all)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_writes_events_and_truth_files_and_says_where(tmp_path: Path) -> None:
    # WHEN the simulator writes a file and its truth
    out, truth = tmp_path / "e.ndjson", tmp_path / "t.json"
    result = runner.invoke(
        app, ["simulate", "--users", "200", "--duration", "30m", "--out", str(out), "--truth", str(truth)]
    )
    # THEN both exist, agree with each other, and the output names them with the counts
    assert result.exit_code == 0, result.output
    lines = out.read_bytes().splitlines()
    facts = orjson.loads(truth.read_bytes())
    assert facts["events"] == len(lines) > 1000
    assert facts["users"] == 200
    assert facts["start"] == "2026-01-01T00:00:00.000Z"
    assert facts["end"] == "2026-01-01T00:30:00.000Z"
    assert f"Wrote {len(lines):,} events to {out}" in " ".join(result.stderr.split())
    assert str(truth) in result.stderr
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_stdout_gets_only_ndjson(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--users", "20", "--duration", "10m", "--out", "-"])
    assert result.exit_code == 0, result.output
    events = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert events
    assert all(not EventValidator().validate(e, now=parse_rfc3339("2100-01-01T00:00:00Z")) for e in events)
    assert "Wrote" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "option", "words"),
    [
        (["--duration", "5x"], "--duration", "not a duration"),
        (["--duration", "5s"], "--duration", "between 10 seconds"),
        (["--start", "yesterday"], "--start", "use 'now' or an RFC 3339 timestamp"),
        (["--users", "0"], "--users", "at least 1"),
        (["--trends", "999"], "--trends", "between 0 and 50"),
        (["--abandon-after", "0"], "--abandon-after", "more than 0"),
        (["--time-scale", "0"], "--time-scale", "between 0.001 and 1000"),
        (["--duplicate-rate", "2"], "--duplicate-rate", "share between 0 and 0.5"),
    ],
)
def test_bad_options_are_refused_naming_the_option(
    tmp_path: Path, arguments: list[str], option: str, words: str
):
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "e.ndjson"), *arguments])
    assert result.exit_code == 2
    message = " ".join(result.stderr.replace("│", " ").split())
    assert f"Invalid value for {option}" in message
    assert words in message
    assert not (tmp_path / "e.ndjson").exists()


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ([], "give exactly one of --out FILE (or -) and --endpoint URL"),
        (["--out", "-", "--endpoint", "http://127.0.0.1:9/v1/events"], "give exactly one of --out"),
        (["--endpoint", "http://127.0.0.1:9/v1/events"], "--endpoint needs --api-key"),
        (["--endpoint", "ftp://example.com", "--api-key", "k"], "is not an http(s) URL"),
        (
            ["--endpoint", "http://127.0.0.1:9/v1/events", "--api-key", "k", "--rate", "0"],
            "must be more than 0",
        ),
        (["--out", "/no/such/folder/e.ndjson"], "folder '/no/such/folder' does not exist"),
    ],
)
def test_output_choices_are_checked(arguments: list[str], words: str) -> None:
    result = runner.invoke(app, ["simulate", *arguments], env={"KAPPA_API_KEY": ""})
    assert result.exit_code == 2
    assert words in " ".join(result.stderr.replace("│", " ").split())


def test_sends_live_to_an_endpoint_and_reports_the_api_counts(stub: IngestionStub, tmp_path: Path) -> None:
    # GIVEN an API on loopback and a run that lies in the past (sent as fast as --rate allows)
    truth = tmp_path / "t.json"
    result = runner.invoke(
        app,
        [
            "simulate",
            "--users",
            "100",
            "--duration",
            "10m",
            "--start",
            "2026-01-01T00:00:00Z",
            "--endpoint",
            stub.url,
            "--api-key",
            "k-live",
            "--rate",
            "100000",
            "--truth",
            str(truth),
        ],
    )
    # THEN every event reached the API with the key, and the counts are printed
    assert result.exit_code == 0, result.output
    sent = len(stub.received_ids())
    assert sent == orjson.loads(truth.read_bytes())["events"]
    assert all(request["headers"]["x-api-key"] == "k-live" for request in stub.requests)
    message = " ".join(result.stderr.split())
    assert f"Sent {sent:,} events to {stub.url}: {sent:,} accepted, 0 rejected, 0 failed" in message


def test_live_mode_starts_now_by_default(stub: IngestionStub, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a clock whose "now" lies ten minutes back (so the test need not wait for event time to come)
    now = (datetime.now(tz=UTC) - timedelta(minutes=10)).replace(microsecond=123000)
    monkeypatch.setattr(command, "utc_now", lambda: now)
    # WHEN a live run is started without --start, with the key from the environment
    result = runner.invoke(
        app,
        ["simulate", "--users", "20", "--duration", "1m", "--endpoint", stub.url, "--rate", "100000"],
        env={"KAPPA_API_KEY": "k-env"},
    )
    # THEN its event time starts at that "now"
    assert result.exit_code == 0, result.output
    assert stub.requests[0]["headers"]["x-api-key"] == "k-env"
    occurred = [parse_rfc3339(e["occurred_at"]) for r in stub.requests for e in r["events"]]
    assert now <= min(occurred) < max(occurred) < now + timedelta(minutes=1)


def test_an_unreachable_endpoint_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "EventSender", functools.partial(EventSender, backoff_seconds=0.001))
    result = runner.invoke(
        app,
        [
            *("simulate", "--users", "5", "--duration", "1m", "--start", "2026-01-01T00:00:00Z"),
            *("--endpoint", "http://127.0.0.1:9/v1/events", "--api-key", "k"),
        ],
    )
    assert result.exit_code == 1
    assert "Error: cannot reach http://127.0.0.1:9/v1/events" in " ".join(result.stderr.split())


def test_the_acceptance_command_produces_a_deterministic_valid_log(tmp_path: Path) -> None:
    # GIVEN the acceptance command, run twice as a user would
    command_line = [
        sys.executable,
        "-m",
        "kappa",
        "simulate",
        "--seed",
        "1",
        "--users",
        "1000",
        "--duration",
        "1h",
    ]
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        completed = subprocess.run(
            [*command_line, "--out", "e.ndjson", "--truth", "t.json"],
            cwd=tmp_path / name,
            env=environment,
            capture_output=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr.decode()
    # THEN both runs wrote the same bytes, and the log is valid and matches its truth
    log, truth = (tmp_path / "a" / "e.ndjson").read_bytes(), (tmp_path / "a" / "t.json").read_bytes()
    assert log == (tmp_path / "b" / "e.ndjson").read_bytes()
    assert truth == (tmp_path / "b" / "t.json").read_bytes()
    validator = EventValidator()
    far_future = parse_rfc3339("2100-01-01T00:00:00Z")
    lines = log.splitlines()
    assert all(not validator.validate(orjson.loads(line), now=far_future) for line in lines)
    assert orjson.loads(truth)["events"] == len(lines)
