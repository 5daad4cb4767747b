"""The Managed Flink application zip: layout, launcher, jar handling (no network: wheels from a local dir)."""

from __future__ import annotations

import os
import re
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


def fake_jar(tmp_path: Path) -> Path:
    jar = tmp_path / "connectors.jar"
    jar.write_bytes(b"PK fake jar")
    return jar


def test_build_is_reproducible(tmp_path: Path) -> None:
    jar = fake_jar(tmp_path)
    first = build_package(out_dir=tmp_path / "a", jar=jar, python_dependencies=False)
    second = build_package(out_dir=tmp_path / "b", jar=jar, python_dependencies=False)
    assert first.zip_path.read_bytes() == second.zip_path.read_bytes()


def test_missing_java_or_maven_is_an_error_saying_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN neither Java nor Maven on the PATH WHEN the package is built THEN it fails naming the JDK
    monkeypatch.setattr(packaging.shutil, "which", lambda _: None)
    with pytest.raises(PackagingError, match=r"Java \(a JDK, 11\+\) is required"):
        build_package(out_dir=tmp_path, python_dependencies=False)
    # GIVEN a Java runtime without its compiler THEN it says a JDK is needed and what was found
    monkeypatch.setattr(packaging.shutil, "which", lambda name: "/usr/bin/java" if name == "java" else None)
    with pytest.raises(PackagingError, match=r"a JDK, 11\+\) is required .* \(found java but no javac"):
        build_package(out_dir=tmp_path, python_dependencies=False)
    # GIVEN a JDK but no Maven THEN it names Maven and how to install it
    jdk = {"java": "/usr/bin/java", "javac": "/usr/bin/javac"}
    monkeypatch.setattr(packaging.shutil, "which", lambda name: jdk.get(name))
    with pytest.raises(PackagingError, match=r"Maven \(mvn\) is not installed.*apt-get install maven"):
        build_package(out_dir=tmp_path, python_dependencies=False)
    # AND a layout-only build may go on without the jar, saying why
    report = build_package(out_dir=tmp_path, python_dependencies=False, require_jar=False)
    assert not report.jar_included
    assert "Maven (mvn) is not installed" in (report.jar_problem or "")


def test_skipping_maven_without_an_earlier_build_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packaging, "BUILT_JAR", tmp_path / "target" / "kappa-flink-connectors.jar")
    with pytest.raises(PackagingError, match="the Maven build was skipped and there is no earlier build"):
        build_package(out_dir=tmp_path, build_jar=False, python_dependencies=False)


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
    monkeypatch.setattr(
        packaging.shutil, "which", lambda name: str(mvn) if name == "mvn" else f"/usr/bin/{name}"
    )
    # WHEN the package is built THEN it fails, quoting Maven's first real error
    with pytest.raises(PackagingError) as caught:
        build_package(out_dir=tmp_path / "out", python_dependencies=False)
    assert str(caught.value) == (
        "the connector jar is required and not available: the Maven build of the job's jar (its Java functions, "
        "the Kafka connectors) (flink_app/pom.xml) failed (is Maven Central reachable?): Failed to execute goal on project "
        "kappa-flink-connectors: Could not resolve dependencies"
    )


def test_missing_wheels_are_an_error(tmp_path: Path) -> None:
    fake_wheel(tmp_path / "wheels", "orjson")
    with pytest.raises(PackagingError, match="no wheel for jsonschema-rs"):
        build_package(out_dir=tmp_path, jar=fake_jar(tmp_path), wheels_dir=tmp_path / "wheels")


def test_launcher_runs_the_job_entry_point(tmp_path: Path) -> None:
    report = build_package(out_dir=tmp_path, jar=fake_jar(tmp_path), python_dependencies=False)
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


SHADED_KAFKA = b"org/apache/flink/kafka/shaded/org/apache/kafka/"


@pytest.mark.slow
def test_the_built_jar_has_the_kafka_connector_and_msk_iam_on_its_shaded_client(connector_jar: Path) -> None:
    # GIVEN the uber-jar Maven built from flink_app/pom.xml
    jar = zipfile.ZipFile(connector_jar)
    names = set(jar.namelist())
    # THEN Flink finds the 'kafka' table factory in it
    factories = jar.read("META-INF/services/org.apache.flink.table.factories.Factory").decode()
    assert "org.apache.flink.streaming.connectors.kafka.table.KafkaDynamicTableFactory" in factories
    # AND the IAM classes the DDL names are there, under their own names
    for name in ("IAMLoginModule", "IAMClientCallbackHandler"):
        assert f"software/amazon/msk/auth/iam/{name}.class" in names
    # AND the callback handler implements the connector's shaded Kafka interface, not the unshaded one
    # (the shaded client would reject it): its constant pool names the relocated class
    handler = jar.read("software/amazon/msk/auth/iam/IAMClientCallbackHandler.class")
    assert SHADED_KAFKA + b"common/security/auth/AuthenticateCallbackHandler" in handler
    unshaded = re.compile(rb"(?<!shaded/)org/apache/kafka/")
    msk_classes = [n for n in names if n.startswith("software/amazon/msk/") and n.endswith(".class")]
    assert [n for n in msk_classes if unshaded.search(jar.read(n))] == []
    assert not [n for n in names if n.startswith("org/apache/kafka/")]
    # AND Flink's own jars (provided by the runtime) are not shaded in
    assert not [n for n in names if n.startswith("org/apache/flink/api/common/")]


IAM_CLIENT_CHECK = Path(__file__).resolve().parent / "java" / "IamClientCheck.java"


@pytest.mark.slow
def test_the_shaded_kafka_client_accepts_the_msk_iam_classes(connector_jar: Path) -> None:
    # GIVEN the uber-jar on the classpath with Flink's own jars (PyFlink's lib: what the runtime provides)
    import pyflink

    flink_lib = Path(pyflink.__file__).resolve().parent / "lib"
    classpath = f"{connector_jar}{os.pathsep}{flink_lib / '*'}"
    # WHEN a Kafka consumer of the jar's shaded client is built with the job's IAM settings (no broker needed)
    result = subprocess.run(
        ["java", "-cp", classpath, str(IAM_CLIENT_CHECK), "127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # THEN the callback handler passes the client's type check and the JAAS login with IAMLoginModule succeeds
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK: the shaded Kafka client accepted" in result.stdout


@pytest.mark.slow
def test_the_package_carries_the_built_jar(connector_jar: Path, tmp_path: Path) -> None:
    report = build_package(out_dir=tmp_path, build_jar=False, python_dependencies=False)
    with zipfile.ZipFile(report.zip_path) as archive:
        assert archive.read(JAR_PATH_IN_ZIP) == connector_jar.read_bytes()


def test_the_jar_is_stale_when_missing_or_older_than_the_pom_or_a_java_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a pom and one Java source
    pom = tmp_path / "pom.xml"
    source = tmp_path / "src" / "main" / "java" / "F.java"
    source.parent.mkdir(parents=True)
    pom.write_text("<project/>")
    source.write_text("class F {}")
    os.utime(pom, (1_000, 1_000))
    os.utime(source, (1_000, 1_000))
    monkeypatch.setattr(packaging, "POM", pom)
    monkeypatch.setattr(packaging, "JAVA_SOURCES", tmp_path / "src")
    jar = tmp_path / "job.jar"
    # THEN a missing jar is stale, a jar built after both is not
    assert packaging.jar_is_stale(jar)
    jar.write_bytes(b"PK")
    os.utime(jar, (2_000, 2_000))
    assert not packaging.jar_is_stale(jar)
    # AND a source edited after the build, or the pom, makes it stale again
    os.utime(source, (3_000, 3_000))
    assert packaging.jar_is_stale(jar)
    os.utime(source, (1_000, 1_000))
    os.utime(pom, (3_000, 3_000))
    assert packaging.jar_is_stale(jar)


def test_a_source_saved_while_maven_builds_leaves_the_built_jar_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a pom and a Java source last saved at t = 1,000, and a Maven whose build takes until t = 5,000
    pom = tmp_path / "flink_app" / "pom.xml"
    source = pom.parent / "src" / "main" / "java" / "F.java"
    source.parent.mkdir(parents=True)
    pom.write_text("<project/>")
    source.write_text("class F {}")
    for path in (pom, source):
        os.utime(path, (1_000, 1_000))
    shaded = pom.parent / "target" / "shaded" / "job.jar"
    built = pom.parent / "target" / "job.jar"

    def maven(_pom, _goals, *, purpose: str) -> None:
        # WHEN the source is saved again while Maven runs (after it read the source)
        os.utime(source, (3_000, 3_000))
        shaded.parent.mkdir(parents=True)
        shaded.write_bytes(b"PK")

    monkeypatch.setattr(packaging, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(packaging, "POM", pom)
    monkeypatch.setattr(packaging, "JAVA_SOURCES", pom.parent / "src")
    monkeypatch.setattr(packaging, "SHADED_JAR", shaded)
    monkeypatch.setattr(packaging, "BUILT_JAR", built)
    monkeypatch.setattr(packaging, "run_maven", maven)
    monkeypatch.setattr(packaging.shutil, "which", lambda name: f"/usr/bin/{name}")
    packaging.build_connector_jar()
    # THEN the jar is dated as the sources Maven built from, and the edit makes it stale
    assert built.stat().st_mtime == 1_000
    assert packaging.jar_is_stale(built)
    # AND without an edit during the build it is current
    os.utime(source, (1_000, 1_000))
    assert not packaging.jar_is_stale(built)
