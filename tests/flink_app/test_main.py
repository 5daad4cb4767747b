"""The job's cluster-side configuration: where a local run checkpoints, and what Managed Flink decides itself."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from flink_app.main import execution_configuration
from flink_app.settings import settings_from_properties


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


def test_on_managed_flink_checkpoint_storage_is_left_to_the_service(tmp_path: Path) -> None:
    configuration = execution_configuration(
        settings(**{"checkpoint.dir": str(tmp_path / "chk")}), local=False
    )
    assert "execution.checkpointing.dir" not in configuration
    assert "execution.checkpointing.storage" not in configuration
    assert configuration["execution.checkpointing.interval"] == "60000 ms"
