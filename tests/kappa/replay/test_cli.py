"""The replay commands' argument handling (the work itself is tested in test_local/test_aws)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kappa.cli import app

runner = CliRunner()


def test_set_must_be_group_key_value(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["replay", "--job-version", "v2", "--data-dir", str(tmp_path), "--set", "oops"]
    )
    assert result.exit_code == 2
    assert "GROUP.KEY=VALUE" in result.output


def test_bad_timestamp_is_a_clear_error() -> None:
    result = runner.invoke(app, ["compare", "v1", "v2", "--data-dir", ".", "--from", "yesterday"])
    assert result.exit_code == 2
    assert "RFC 3339" in result.output


@pytest.mark.parametrize("columns", ["40", "80", "200"])
def test_replay_of_an_empty_data_dir_says_what_to_run_first_on_one_line_at_any_width(
    tmp_path: Path, columns: str
) -> None:
    # GIVEN a terminal of the given width WHEN a replay finds nothing to read
    result = runner.invoke(
        app, ["replay", "--job-version", "v2", "--data-dir", str(tmp_path)], env={"COLUMNS": columns}
    )
    # THEN the error names the command to run first, not cut across lines by the terminal width
    assert result.exit_code == 1
    error_lines = [line for line in result.output.splitlines() if "replay failed" in line]
    assert len(error_lines) == 1
    assert "kappa local up" in error_lines[0]


def test_from_on_a_kinesis_data_dir_says_the_archive_is_read_whole(tmp_path: Path) -> None:
    # GIVEN a data directory whose log is the local archive (not a `--log kafka` run)
    # WHEN a replay asks to start from a time
    result = runner.invoke(
        app,
        ["replay", "--job-version", "v2", "--data-dir", str(tmp_path), "--from", "2026-11-25T10:00:00Z"],
        env={"COLUMNS": "200"},
    )
    # THEN it is refused with what --from means where
    assert result.exit_code == 1
    assert "reads whole and in order" in result.output


def test_replay_on_a_kafka_data_dir_without_its_broker_storage_says_what_to_run(tmp_path: Path) -> None:
    from kappa.local.paths import DataDir

    # GIVEN a data directory recorded as Kafka whose broker storage is gone (the connector jar is not needed
    # to find that out first: a missing jar would be named instead)
    data = DataDir.at(tmp_path).create()
    data.log_backend_file.write_text("kafka\n")
    result = runner.invoke(
        app, ["replay", "--job-version", "v2", "--data-dir", str(tmp_path)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 1
    assert "kappa local up --log kafka" in result.output or "make package-flink" in result.output
