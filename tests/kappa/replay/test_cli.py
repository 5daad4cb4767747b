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
