"""Maven's output turned into one line a user can act on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kappa.maven import MavenError, first_error, run_maven


def test_the_first_error_is_found_behind_mavens_colour_resets() -> None:
    # GIVEN Maven's output as it comes with -q and -Dstyle.color=never: colour resets before the first [ERROR]
    output = (
        "\x1b[0m\x1b[0m[ERROR] Failed to execute goal on project kappa-flink-connectors: Could not resolve "
        "dependencies\n[ERROR] \n[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.\n"
    )
    # THEN the real error is quoted, not the advice that follows it
    assert first_error(output) == (
        "Failed to execute goal on project kappa-flink-connectors: Could not resolve dependencies"
    )


def fake_maven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *errors: str) -> Path:
    """An `mvn` on PATH that prints `errors` as Maven does and fails; returns a pom beside it."""
    mvn = tmp_path / "bin" / "mvn"
    mvn.parent.mkdir()
    mvn.write_text("#!/bin/sh\n" + "".join(f"echo '[ERROR] {error}'\n" for error in errors) + "exit 1\n")
    mvn.chmod(0o755)
    monkeypatch.setenv("PATH", f"{mvn.parent}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "pom.xml"


def test_a_failed_fetch_asks_whether_maven_central_is_reachable(tmp_path: Path, monkeypatch) -> None:
    pom = fake_maven(
        tmp_path, monkeypatch, "Failed to execute goal on project x: Could not resolve dependencies"
    )
    with pytest.raises(MavenError) as caught:
        run_maven(pom, ["package"], purpose="the jar")
    assert str(caught.value) == (
        "the Maven build of the jar failed (is Maven Central reachable?): "
        "Failed to execute goal on project x: Could not resolve dependencies"
    )


def test_a_failed_unit_test_points_to_its_report_not_to_the_network(tmp_path: Path, monkeypatch) -> None:
    pom = fake_maven(
        tmp_path,
        monkeypatch,
        "Tests run: 5, Failures: 2, Errors: 0, Skipped: 0 <<< FAILURE! -- in dev.kappa.X",
    )
    with pytest.raises(MavenError) as caught:
        run_maven(pom, ["package"], purpose="the jar")
    assert str(caught.value) == (
        f"the Maven build of the jar failed (a unit test failed: its report is in {tmp_path}/target/surefire-reports): "
        "Tests run: 5, Failures: 2, Errors: 0, Skipped: 0 <<< FAILURE! -- in dev.kappa.X"
    )
    assert "Maven Central" not in str(caught.value)
