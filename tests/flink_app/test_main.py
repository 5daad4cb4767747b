"""The job's cluster-side configuration: where a local run checkpoints, and what Managed Flink decides itself."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from flink_app import main as main_module
from flink_app.main import ConnectorJarMissingError, execution_configuration
from flink_app.settings import settings_from_properties


@pytest.fixture(autouse=True)
def built_jar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for flink_app/target's build, so these tests do not depend on Maven having run."""
    jar = tmp_path / "built" / "kappa-flink-connectors.jar"
    jar.parent.mkdir()
    jar.write_bytes(b"PK")
    monkeypatch.setattr(main_module, "DEFAULT_CONNECTOR_JAR", jar)
    return jar


def settings(**job: str):
    return settings_from_properties(
        {
            "job": dict(job),
            "source": {"type": "files", "files.path": "/data/archive", "files.monitor_interval_ms": "1000"},
            "sink": {"type": "files", "files.path": "/data/out"},
        }
    )


def test_a_local_run_checkpoints_to_the_configured_directory(tmp_path: Path) -> None:
    configuration = execution_configuration(settings(**{"checkpoint.dir": str(tmp_path / "chk")}), local=True)
    assert configuration["execution.checkpointing.storage"] == "filesystem"
    assert configuration["execution.checkpointing.dir"] == (tmp_path / "chk").as_uri()


def test_a_configured_uri_is_passed_to_flink_as_written() -> None:
    configuration = execution_configuration(settings(**{"checkpoint.dir": "s3://bucket/chk"}), local=True)
    assert configuration["execution.checkpointing.dir"] == "s3://bucket/chk"


def test_without_a_checkpoint_dir_a_local_run_keeps_checkpoints_under_the_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    configuration = execution_configuration(settings(), local=True)
    assert configuration["execution.checkpointing.dir"] == (tmp_path / "kappa-flink-checkpoints").as_uri()


def test_a_local_run_keeps_state_on_the_heap_unless_told_rocksdb() -> None:
    configuration = execution_configuration(settings(), local=True)
    assert "state.backend.type" not in configuration  # Flink's default: the heap (hashmap)
    assert "taskmanager.memory.managed.size" not in configuration


def test_a_local_rocksdb_run_is_configured_as_managed_flink_runs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    configuration = execution_configuration(settings(state_backend="RocksDB", parallelism="2"), local=True)
    assert configuration["state.backend.type"] == "rocksdb"
    assert configuration["execution.checkpointing.incremental"] == "true"
    # memory per slot as on a KPU, not Flink's 128 MB local default that starves RocksDB
    assert (
        configuration["taskmanager.memory.managed.size"]
        == f"{2 * main_module.LOCAL_ROCKSDB_MANAGED_MEMORY_PER_SLOT_MB}m"
    )


def test_a_local_rocksdb_run_logs_beside_its_checkpoints_not_into_the_installed_pyflink(
    tmp_path: Path,
) -> None:
    # GIVEN a local RocksDB run checkpointing to a local directory
    chk = tmp_path / "chk"
    # WHEN it is configured
    configuration = execution_configuration(
        settings(state_backend="rocksdb", **{"checkpoint.dir": str(chk)}), local=True
    )
    # THEN RocksDB's info logs go to an existing folder beside the checkpoints (RocksDB ignores a missing one)
    assert configuration["state.backend.rocksdb.log.dir"] == str(chk / "rocksdb-log")
    assert (chk / "rocksdb-log").is_dir()


def test_a_rocksdb_run_checkpointing_elsewhere_logs_under_the_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    configuration = execution_configuration(
        settings(state_backend="rocksdb", **{"checkpoint.dir": "s3://bucket/chk"}), local=True
    )
    assert configuration["state.backend.rocksdb.log.dir"] == str(tmp_path / "kappa-flink-rocksdb-log")


def test_managed_flink_chooses_its_state_backend_itself() -> None:
    configuration = execution_configuration(settings(state_backend="rocksdb"), local=False)
    assert (
        not {
            "state.backend.type",
            "taskmanager.memory.managed.size",
            "state.backend.rocksdb.log.dir",
        }
        & configuration.keys()
    )


def test_on_managed_flink_checkpoint_storage_is_left_to_the_service(tmp_path: Path) -> None:
    configuration = execution_configuration(
        settings(**{"checkpoint.dir": str(tmp_path / "chk")}), local=False
    )
    assert "execution.checkpointing.dir" not in configuration
    assert "execution.checkpointing.storage" not in configuration
    assert configuration["execution.checkpointing.interval"] == "60000 ms"


def kafka_settings(tmp_path: Path, *, jar: Path | None = None, bounded: bool = False):
    broker = {"kafka.bootstrap_servers": "127.0.0.1:9092", "kafka.security": "plaintext"}
    job = {"connector_jar": str(jar)} if jar else {}
    return settings_from_properties(
        {
            "job": job,
            "source": {
                "type": "kafka",
                "kafka.topic": "raw",
                "kafka.bounded": str(bounded).lower(),
                **broker,
            },
            "sink": {"type": "files", "files.path": str(tmp_path / "out")},
        }
    )


def test_a_local_kafka_run_adds_the_connector_jar_to_the_pipeline(tmp_path: Path) -> None:
    # GIVEN a connector jar named in job.connector_jar
    jar = tmp_path / "connectors.jar"
    jar.write_bytes(b"PK")
    # WHEN a local run with a kafka source is configured THEN the jar is on pipeline.jars
    configuration = execution_configuration(kafka_settings(tmp_path, jar=jar), local=True)
    assert configuration["pipeline.jars"] == jar.as_uri()
    # AND on Managed Flink the run options' jarfile provides it: nothing is added
    assert "pipeline.jars" not in execution_configuration(kafka_settings(tmp_path, jar=jar), local=False)


def test_every_local_run_loads_the_jobs_jar_for_its_java_functions(built_jar: Path) -> None:
    # A files-only run has no connector to load, but the job's Java functions live in the same jar.
    assert execution_configuration(settings(), local=True)["pipeline.jars"] == built_jar.as_uri()
    assert "pipeline.jars" not in execution_configuration(settings(), local=False)


def test_a_missing_connector_jar_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(main_module, "DEFAULT_CONNECTOR_JAR", tmp_path / "target" / "missing.jar")
    with pytest.raises(ConnectorJarMissingError, match="make package-flink"):
        execution_configuration(kafka_settings(tmp_path), local=True)
    with pytest.raises(ConnectorJarMissingError, match="Java functions"):
        execution_configuration(settings(), local=True)
    with pytest.raises(ConnectorJarMissingError, match=r"fix job\.connector_jar"):
        execution_configuration(kafka_settings(tmp_path, jar=tmp_path / "nope.jar"), local=True)


def test_a_bounded_kafka_replay_fails_instead_of_restarting(tmp_path: Path) -> None:
    jar = tmp_path / "connectors.jar"
    jar.write_bytes(b"PK")
    bounded = execution_configuration(kafka_settings(tmp_path, jar=jar, bounded=True), local=True)
    assert bounded["restart-strategy.type"] == "none"
    live = execution_configuration(kafka_settings(tmp_path, jar=jar), local=True)
    assert "restart-strategy.type" not in live
