"""The errors the local runtime reports to a user, and how to say them in one line each."""

from __future__ import annotations

from kappa.local.active_version import ActiveVersionError
from kappa.local.flink_job import FlinkJobError
from kappa.local.function_host import FunctionInitError
from kappa.local.kafka_broker import KafkaBrokerError
from kappa.local.kafka_log import LogBackendError
from kappa.local.paths import DataDirBusyError
from kappa.local.ports import PortBusyError
from kappa.local.state_snapshot import StateSnapshotError
from stacks.config import ConfigError

RUNTIME_ERRORS: tuple[type[BaseException], ...] = (
    ActiveVersionError,
    FlinkJobError,
    FunctionInitError,
    KafkaBrokerError,
    LogBackendError,
    DataDirBusyError,
    PortBusyError,
    StateSnapshotError,
    ConfigError,
    ModuleNotFoundError,
    OSError,
)


def explain(error: BaseException) -> str:
    """A message a user can act on (the exceptions above already carry one; add context where they do not)."""
    if isinstance(error, ModuleNotFoundError):
        return (
            f"a part of the pipeline is missing ({error}); run from the repository root after `make venv`, "
            "with every component checked out"
        )
    if isinstance(error, OSError) and not isinstance(error, PortBusyError):
        return f"{error.strerror or error} ({error.filename or 'file system or network'})"
    return str(error)
