"""Entry point of the Flink job: build the environment, read settings, wire source → analytics → sinks.

On Managed Service for Apache Flink the properties come from /etc/flink/application_properties.json;
locally::

    python flink_app/main.py --properties flink_app/properties/local.json

A bounded `files` source runs to the end of its input and returns; anything else runs until cancelled.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

if __package__ in (None, ""):
    # Run as a script (`python flink_app/main.py`, or main.py at the root of the Managed Flink zip):
    # make the directory holding the `flink_app` and `events` packages importable.
    _here = Path(__file__).resolve().parent
    if _here.name == "flink_app":
        # Python put flink_app/ itself first on the path, where flink_app/packaging.py would shadow the
        # `packaging` distribution PyFlink imports: import our modules as the flink_app package instead.
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent if _here.name == "flink_app" else _here))

from flink_app.settings import (
    DEFAULT_CONNECTOR_JAR,
    FilesSource,
    JobSettings,
    KafkaSource,
    SettingsError,
    describe,
    load_property_groups,
    settings_from_properties,
)

LOG = logging.getLogger("kappa.flink")


class ConnectorJarMissingError(RuntimeError):
    """A local run needs the connector uber-jar and it is not there; the message says how to build it."""


def build_table_environment(settings: JobSettings, *, local: bool):
    """The streaming table environment with the job's configuration (never created at import time)."""
    from pyflink.common import Configuration
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.table import EnvironmentSettings, StreamTableEnvironment

    configuration = Configuration()
    for key, value in execution_configuration(settings, local=local).items():
        configuration.set_string(key, value)
    env = StreamExecutionEnvironment.get_execution_environment(configuration)
    t_env = StreamTableEnvironment.create(env, environment_settings=EnvironmentSettings.in_streaming_mode())
    table_config = t_env.get_config()
    for key, value in table_configuration(settings).items():
        table_config.set(key, value)
    return env, t_env


def execution_configuration(settings: JobSettings, *, local: bool) -> dict[str, str]:
    """Cluster-side options: checkpointing, parallelism, restarts (Managed Flink overrides what it manages)."""
    configuration = {
        # The SQL operators never hold on to records they emit: reusing objects between chained operators
        # saves a copy per record per operator.
        "pipeline.object-reuse": "true",
        "execution.checkpointing.interval": f"{settings.checkpoint_interval_ms} ms",
        "execution.checkpointing.mode": "EXACTLY_ONCE",
    }
    if settings.parallelism:
        configuration["parallelism.default"] = str(settings.parallelism)
    if local:
        # The default in-memory checkpoint storage caps state at 5 MB; a local run keeps checkpoints on disk.
        configuration["execution.checkpointing.storage"] = "filesystem"
        configuration["execution.checkpointing.dir"] = local_checkpoint_location(settings)
        # The job's jar holds its Java functions (and the Kafka connector, which PyFlink's mini-cluster lacks);
        # on Managed Flink the run options' jarfile is that jar.
        jars = [*flink_cli_job_jars(), local_connector_jar(settings).as_uri()]
        configuration["pipeline.jars"] = ";".join(jars)
        if settings.state_backend == "rocksdb":
            configuration.update(local_rocksdb_configuration(settings))
    if isinstance(settings.source, FilesSource | KafkaSource) and settings.source.bounded:
        # A bounded replay either completes or fails loudly; retrying a deterministic failure helps no one.
        configuration["restart-strategy.type"] = "none"
    return configuration


LOCAL_ROCKSDB_MANAGED_MEMORY_PER_SLOT_MB = 512
"""RocksDB's memory per task slot in a local run on `rocksdb`. A KPU has 1 GB of native memory (and 3 GB of heap);
RocksDB gets the managed share of it, the rest holds network buffers and the JVM's own native memory. Flink's
local default (128 MB for the whole mini-cluster) starves RocksDB: it flushes and compacts all the time (measured
five times the CPU per event of this setting, docs/benchmarks.md)."""


def local_rocksdb_configuration(settings: JobSettings) -> dict[str, str]:
    """A local run's state as Managed Flink keeps it: RocksDB, incremental checkpoints, memory as on a KPU; its
    info logs in `local_rocksdb_log_dir` (created here: RocksDB falls back to its own folder without it)."""
    slots = settings.parallelism or os.cpu_count() or 1
    log_dir = local_rocksdb_log_dir(settings)
    log_dir.mkdir(parents=True, exist_ok=True)
    return {
        "state.backend.type": "rocksdb",
        "execution.checkpointing.incremental": "true",
        "taskmanager.memory.managed.size": f"{LOCAL_ROCKSDB_MANAGED_MEMORY_PER_SLOT_MB * slots}m",
        "state.backend.rocksdb.log.dir": str(log_dir),
    }


def local_rocksdb_log_dir(settings: JobSettings) -> Path:
    """Where a local RocksDB run's info logs go (one `..._db_LOG` per keyed operator and subtask): `rocksdb-log`
    beside the run's checkpoints when they are on this machine, else under the temp dir. Flink's default is its
    own log folder, which in a PyFlink mini-cluster is inside the installed package: every run added files to
    the venv."""
    location = local_checkpoint_location(settings)
    if location.startswith("file:"):
        return Path(urlparse(location).path) / "rocksdb-log"
    return Path(tempfile.gettempdir()) / "kappa-flink-rocksdb-log"


def flink_cli_job_jars() -> list[str]:
    """The jars `flink run --python` puts in `pipeline.jars` itself (flink-python, which holds the Python
    operators), which setting `pipeline.jars` here would otherwise replace: the job then fails to submit with
    ClassNotFoundException EmbeddedPythonScalarFunctionOperator. Under `flink run` (the local runtime, as on
    Managed Flink) PythonDriver starts this process with PYFLINK_GATEWAY_PORT set; `python main.py` does not."""
    if "PYFLINK_GATEWAY_PORT" not in os.environ:
        return []
    import pyflink

    return [
        jar.as_uri() for jar in sorted((Path(pyflink.__file__).parent / "opt").glob("flink-python-*.jar"))
    ]


def local_checkpoint_location(settings: JobSettings) -> str:
    """The URI a local run checkpoints to: `job.checkpoint.dir`, else `<temp dir>/kappa-flink-checkpoints`."""
    configured = settings.checkpoint_dir
    if configured is None:
        return (Path(tempfile.gettempdir()) / "kappa-flink-checkpoints").as_uri()
    return configured if "://" in configured else Path(configured).as_uri()


def local_connector_jar(settings: JobSettings) -> Path:
    """The job's jar a local run loads (its Java functions and the connectors): `job.connector_jar`, else
    flink_app/target's build."""
    jar = Path(settings.connector_jar) if settings.connector_jar else DEFAULT_CONNECTOR_JAR
    if not jar.is_file():
        how = (
            "build it with `make package-flink` (or `python -m flink_app.packaging`)"
            if settings.connector_jar is None
            else "fix job.connector_jar, or remove it to use flink_app/target's build (`make package-flink`)"
        )
        raise ConnectorJarMissingError(
            f"the job needs its jar {jar} (its Java functions and connectors), which does not exist: {how}"
        )
    return jar


def table_configuration(settings: JobSettings) -> dict[str, str]:
    """Table/SQL options the job depends on."""
    configuration = {
        # Event-time strings are parsed as UTC date-times minus their offset: the session zone must be UTC.
        "table.local-time-zone": "UTC",
        "python.execution-mode": settings.python_execution_mode,
        # TTL of non-windowed SQL state: the event_id dedupe and the first-view throttle.
        "table.exec.state.ttl": f"{settings.dedupe_ttl_minutes} min",
        "pipeline.name": f"kappa-analytics-{settings.job_version}",
    }
    if settings.source_idle_timeout_ms:
        configuration["table.exec.source.idle-timeout"] = f"{settings.source_idle_timeout_ms} ms"
    return configuration


def build_job(t_env, settings: JobSettings, *, without: frozenset[str] = frozenset()):
    """Register sources, sinks, UDFs and views; return the statement set holding every INSERT (but those of
    the analyses named in `without`, see `flink_app.pipeline.analytics_statements`)."""
    from flink_app.connectors import create_sinks, create_source, insert_statement
    from flink_app.java_functions import register_java_functions
    from flink_app.pipeline import analytics_statements
    from flink_app.udfs import register_functions

    create_source(t_env, settings)
    create_sinks(t_env, settings)
    register_functions(t_env, settings)
    register_java_functions(t_env)
    statements = analytics_statements(settings, without=without)
    for view in statements.views:
        t_env.create_temporary_view(view.name, t_env.sql_query(view.query))
    statement_set = t_env.create_statement_set()
    for insert in statements.inserts:
        statement_set.add_insert_sql(insert_statement(insert, settings.sink))
    return statement_set


def run(settings: JobSettings, *, local: bool, wait: bool, without: frozenset[str] = frozenset()) -> None:
    _env, t_env = build_table_environment(settings, local=local)
    statement_set = build_job(t_env, settings, without=without)
    result = statement_set.execute()
    job_client = result.get_job_client()
    if job_client is not None:
        LOG.info("submitted job %s", job_client.get_job_id())
    if wait:
        result.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Kappa Commerce analytics job (PyFlink).")
    parser.add_argument(
        "--properties",
        help="application properties JSON (Managed Flink shape); default: /etc/flink/application_properties.json",
    )
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="submit and return instead of waiting for a bounded job to finish",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = settings_from_properties(load_property_groups(args.properties))
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    for line in describe(settings):
        LOG.info(line)
    # Locally the job runs in this process' mini-cluster: wait, or it would die with the process.
    # On Managed Flink (no --properties) the runtime owns the job; main() returns after submitting it.
    local = args.properties is not None
    try:
        run(settings, local=local, wait=local and not args.no_wait)
    except ConnectorJarMissingError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
