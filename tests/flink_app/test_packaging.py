"""The Managed Flink application zip: layout, launcher, jar handling (no network: wheels from a local dir)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from flink_app import packaging
from flink_app.packaging import JAR_PATH_IN_ZIP, PYTHON_DIR_IN_ZIP, PackagingError, build_package
from stacks.processing_stack import CONNECTOR_JAR, PYTHON_ENTRY, PYTHON_FILES


def test_zip_layout_matches_the_stack_run_options() -> None:
    assert JAR_PATH_IN_ZIP == CONNECTOR_JAR
    assert PYTHON_DIR_IN_ZIP == PYTHON_FILES
    assert PYTHON_ENTRY == "main.py"


def fake_wheel(directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(directory / f"{name}-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", "w") as wheel:
        wheel.writestr(f"{name}/__init__.py", "")


def test_zip_holds_launcher_packages_wheels_and_jar(tmp_path: Path) -> None:
    # GIVEN a connector jar built elsewhere and the runtime wheels in a local directory
    jar = tmp_path / "connectors.jar"
    jar.write_bytes(b"PK fake jar")
    for name in ("orjson", "jsonschema_rs"):
        fake_wheel(tmp_path / "wheels", name)
    # WHEN the package is built
    report = build_package(out_dir=tmp_path / "out", jar=jar, wheels_dir=tmp_path / "wheels")
    # THEN main.py is at the root, the job, the contract and the deps under lib/python, the jar under lib/
    names = set(zipfile.ZipFile(report.zip_path).namelist())
    assert report.jar_included
    assert {
        "main.py",
        JAR_PATH_IN_ZIP,
        "lib/python/orjson/__init__.py",
        "lib/python/jsonschema_rs/__init__.py",
    } <= names
    assert {"lib/python/flink_app/main.py", "lib/python/flink_app/sql/recommendations.py"} <= names
    assert "lib/python/events/schemas/event.schema.json" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith("pom.xml")]


def test_build_is_reproducible(tmp_path: Path) -> None:
    first = build_package(out_dir=tmp_path / "a", build_jar=False, python_dependencies=False)
    second = build_package(out_dir=tmp_path / "b", build_jar=False, python_dependencies=False)
    assert first.zip_path.read_bytes() == second.zip_path.read_bytes()


def test_missing_jar_is_reported_or_fatal_when_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packaging.shutil, "which", lambda _: None)
    report = build_package(out_dir=tmp_path, python_dependencies=False)
    assert not report.jar_included
    assert report.jar_problem == "Maven (mvn) is not installed"
    with pytest.raises(PackagingError, match="connector jar required"):
        build_package(out_dir=tmp_path, python_dependencies=False, require_jar=True)


def test_failed_maven_build_reports_mavens_first_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a Maven that cannot reach its repository (blank [ERROR] lines first, as Maven prints them)
    mvn = tmp_path / "bin" / "mvn"
    mvn.parent.mkdir()
    mvn.write_text(
        "#!/bin/sh\n"
        "echo '[ERROR] '\n"
        "echo '[ERROR] Failed to execute goal on project kappa-flink-connectors: Could not resolve dependencies'\n"
        "echo '[ERROR] '\n"
        "exit 1\n"
    )
    mvn.chmod(0o755)
    monkeypatch.setattr(packaging.shutil, "which", lambda _: str(mvn))
    # WHEN the package is built
    report = build_package(out_dir=tmp_path / "out", python_dependencies=False)
    # THEN the zip is built without the jar and the reason quotes Maven's first real error
    assert not report.jar_included
    assert report.jar_problem == (
        "the Maven build failed (is Maven Central reachable?): Failed to execute goal on project "
        "kappa-flink-connectors: Could not resolve dependencies"
    )


def test_missing_wheels_are_an_error(tmp_path: Path) -> None:
    fake_wheel(tmp_path / "wheels", "orjson")
    with pytest.raises(PackagingError, match="no wheel for jsonschema-rs"):
        build_package(out_dir=tmp_path, build_jar=False, wheels_dir=tmp_path / "wheels")


def test_launcher_runs_the_job_entry_point(tmp_path: Path) -> None:
    report = build_package(out_dir=tmp_path, build_jar=False, python_dependencies=False)
    app = tmp_path / "app"
    zipfile.ZipFile(report.zip_path).extractall(app)
    result = subprocess.run(
        [sys.executable, str(app / "main.py"), "--properties", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    # The job's own argument handling answers (from the zip's lib/python), with a clear error and exit code 2.
    assert result.returncode == 2, result.stderr
    assert "missing.json does not exist" in result.stderr
