"""The replay commands' argument handling (the work itself is tested in test_local/test_aws)."""

from __future__ import annotations

from pathlib import Path

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


def test_replay_of_an_empty_data_dir_says_what_to_run_first(tmp_path: Path) -> None:
    result = runner.invoke(app, ["replay", "--job-version", "v2", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "kappa local up" in result.output
