"""The local runtime: the whole pipeline on this machine, started and stopped as one.

```
client ─HTTP─▶ API Gateway front ─▶ ingest (worker) ─▶ raw stream (moto) ─▶ Firehose stand-in
                                                                              │ archive/dt=…/hour=…/
                                       Flink job (flink run, files source) ◀──┘
                                              │ insights/ (files sink, committed on checkpoint)
                                       insight publisher ─▶ insights stream (moto)
                                              ▼ event source mapping stand-in
                                       fanout (worker) ─▶ subscribers; retries via SQS ─▶ fanout
```
With `RuntimeOptions.log = "kafka"` (`kappa local up --log kafka`) the log is a real Kafka broker instead
(`kappa.local.kafka_log`): ingest produces to the raw topic, the job reads it with a Kafka source and writes
the insights topic with a Kafka sink (no insight publisher: the production topology), the archive stand-in
copies the raw topic (`kappa.local.kafka_archive`), and the MSK event source mapping stand-in feeds the
insights topic to the fan-out (`kappa.local.kafka_mapping`). The broker starts first and stops last.

Start order puts the slow part first (the Flink job's JVM) and opens the API last, once the job runs.
Stop order is the reverse of the data flow, so nothing accepted is lost: API closed → raw stream
drained to the archive → job stopped (its last checkpoint stays) → last insight files published →
mappings stopped → moto state snapshotted → workers and moto stopped.

The job version it runs is cdk.json's until `kappa cutover --data-dir` switches it
(`kappa.local.active_version`): then the job, its output folder, its checkpoints and the insights stream
are the new version's, the job reads the archive through an in-order feed (`kappa.local.ordered_archive`),
and the publisher feeds the fan-out from the new version's output.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kappa.local.active_version import RuntimeVersion, runtime_version
from kappa.local.api_gateway import ApiExchange, ApiGatewayFront
from kappa.local.api_keys import ApiKey, ApiKeyRing
from kappa.local.aws_endpoint import AwsClients, MotoServer, fake_credentials
from kappa.local.firehose import FirehoseArchive
from kappa.local.flink_job import (
    FlinkJob,
    FlinkJobError,
    FlinkJobSettings,
    completed_checkpoints,
    require_java,
    require_job_jar,
)
from kappa.local.flink_status import FlinkStatusReader, JobStatus
from kappa.local.function_host import FunctionHost
from kappa.local.functions import FANOUT, INGEST, WEBHOOKS_API, api_routes, function_specs
from kappa.local.insight_publisher import InsightPublisher
from kappa.local.job_properties import runtime_job_properties
from kappa.local.kafka_archive import KafkaArchive
from kappa.local.kafka_broker import KafkaBroker
from kappa.local.kafka_log import (
    KAFKA,
    LogBackendError,
    check_log_backend,
    ingest_environment,
    insights_topic,
    kafka_job_groups,
    start_broker,
)
from kappa.local.kafka_mapping import KafkaEventSourceMapping, msk_cluster_arn
from kappa.local.kafka_records import KafkaRecord
from kappa.local.ordered_archive import ArchiveFeed
from kappa.local.paths import DEFAULT_DATA_DIR, DataDir, DataDirLock
from kappa.local.ports import require_free
from kappa.local.queue_mapping import QueueMappingSettings, SqsEventSourceMapping
from kappa.local.resources import LocalResources, create_resources
from kappa.local.state_snapshot import SnapshotScope, StateSnapshot
from kappa.local.stream_mapping import KinesisEventSourceMapping, StreamMappingSettings
from stacks.config import AppConfig, load_config

log = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RuntimeOptions:
    data_dir: Path = DEFAULT_DATA_DIR
    api_port: int = 0
    aws_port: int = 0
    env_name: str | None = None
    flink_main: Path = REPO_ROOT / "flink_app" / "main.py"
    job_property_overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    """Merged over the generated property groups (e.g. the demo's short abandonment timeout). A version cut
    over to runs with the properties it was replayed with, merged over these."""
    checkpoint_interval_ms: int = 500
    archive_buffer_seconds: float = 0.5
    poll_seconds: float = 0.2
    handlers: dict[str, str] | None = None
    flink_start_timeout_seconds: float = 240.0
    log: str = "kinesis"
    """`kinesis` (moto streams, the job on the archive) or `kafka` (a local broker, the job on the topics)."""


@dataclass(frozen=True)
class RuntimeInfo:
    api_url: str
    aws_endpoint: str
    producer_keys: list[ApiKey]
    admin_key: ApiKey
    data: DataDir
    raw_stream: str
    insights_stream: str
    restored_from: Path | None
    job_id: str | None
    job_version: str
    version: RuntimeVersion
    log: str = "kinesis"
    kafka_bootstrap_servers: str | None = None
    """The local broker (`--log kafka`); `raw_stream` and `insights_stream` are then its topics."""


@dataclass(frozen=True)
class RuntimeStats:
    requests: Counter[int]
    events_accepted: int
    events_rejected: int
    archived_records: int
    archive_files: int
    job: JobStatus | None
    job_state: str
    insights_by_type: dict[str, int]
    insights_pending: int
    insights_done: int
    fanout_invocations: int
    fanout_errors: int
    fanout_partial_failures: int
    fanout_discarded: int
    retry_queue_depth: int
    dead_letter_depth: int
    problems: list[str]


class LocalRuntime:
    """Starts every part, watches them, stops them in order; `with LocalRuntime(...) as runtime:`."""

    def __init__(
        self,
        options: RuntimeOptions,
        *,
        config: AppConfig | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.options = options
        self.config = config or load_config(env_name=options.env_name)
        self.data = DataDir.at(options.data_dir)
        self._progress = progress or (lambda message: log.info(message))
        self._moto: MotoServer | None = None
        self.aws: AwsClients | None = None
        self.resources: LocalResources | None = None
        self.keys: ApiKeyRing | None = None
        self.functions: dict[str, FunctionHost] = {}
        self.front: ApiGatewayFront | None = None
        self.archive: FirehoseArchive | KafkaArchive | None = None
        self.job: FlinkJob | None = None
        self.publisher: InsightPublisher | None = None
        self.insights_mapping: KinesisEventSourceMapping | KafkaEventSourceMapping | None = None
        self.broker: KafkaBroker | None = None
        self._delivered_by_type: Counter[str] = Counter()
        self.retry_mapping: SqsEventSourceMapping | None = None
        self._snapshot: StateSnapshot | None = None
        self._job_status = FlinkStatusReader(self.data.logs / "flink")
        self._last_job_status: JobStatus | None = None
        self.version: RuntimeVersion | None = None
        self._output_watch: JobOutputWatch | None = None
        self._snapshot_due = threading.Event()
        self._supervisor_stop = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._lock = threading.Lock()
        self._requests: Counter[int] = Counter()
        self._accepted = 0
        self._rejected = 0
        self._problems: list[str] = []
        self._started = False
        self._lock_file: DataDirLock | None = None
        self._state_restored = False
        self.info: RuntimeInfo | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalRuntime:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> RuntimeInfo:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> RuntimeInfo:
        options = self.options
        api_port = require_free(options.api_port, "local API") if options.api_port else 0
        aws_port = require_free(options.aws_port, "AWS stand-in (moto)") if options.aws_port else 0
        require_java()
        require_job_jar(self._progress)
        self.data.create()
        self._lock_file = DataDirLock(self.data).acquire()
        on_kafka = options.log == KAFKA
        check_log_backend(self.data, options.log)
        self.version = version = runtime_version(self.config, self.data)
        if on_kafka:
            if version.switch is not None:
                raise LogBackendError(
                    f"{self.data.root} was cut over to {version.job_version}: cut-overs are not supported on the "
                    "Kafka log yet (compare with `kappa compare`, then set processing.job_version in cdk.json)"
                )
            self._progress("starting the Kafka broker and creating the raw and insights topics")
            self.broker = start_broker(
                self.data, self.config, insights_topics=[insights_topic(self.config, version.job_version)]
            )
        for folder in (version.insights, version.diagnostics):
            folder.mkdir(parents=True, exist_ok=True)
        self.keys = ApiKeyRing.load_or_create(self.data.api_keys, self.config.ingestion.producers)
        feed = None
        if version.source != self.data.archive:
            feed = ArchiveFeed(self.data.archive, version.source)
            self._progress(f"feeding the archive to {version.job_version} in order ({version.source})")
            feed.prepare()

        switched = f", cut over from {version.switch.previous_version}" if version.switch is not None else ""
        self._progress(
            f"starting the Flink job, version {version.job_version}{switched} "
            "(JVM start and job submission take 10-30 s)"
        )
        self.job = FlinkJob(self._job_settings(), self.data).start()
        self._output_watch = JobOutputWatch(version.insights, self.job.checkpoint_dir)

        self._progress("starting the AWS stand-in (moto) and creating the stacks' resources")
        self._moto = MotoServer(aws_port).start()
        self.aws = AwsClients(self._moto.endpoint_url)
        names = self.config.names
        self._snapshot = StateSnapshot(
            self.data.state / "moto-snapshot.json",
            self.aws,
            SnapshotScope(
                tables=(names.subscriptions_table, names.delivery_log_table),
                queues=(names.retry_queue, names.dead_letter_queue, names.failed_batches_queue),
            ),
        )
        saved = self._snapshot.load()
        if saved is not None:
            self._snapshot.restore_keys(saved)
        self.resources = create_resources(
            self.aws, self.config, job_version=version.job_version, streams=not on_kafka
        )
        if saved is not None:
            restored = self._snapshot.restore_data(saved, self.resources.queue_urls)
            self._progress(f"restored webhook state from {self._snapshot.path}: {restored}")
        self._state_restored = True

        self._progress("starting the Lambda functions (ingest, webhooks_api, fanout)")
        specs = function_specs(
            self.config,
            aws_environment=fake_credentials(self._moto.endpoint_url, self.aws.region),
            webhook_environment=self.resources.webhook_environment,
            admin_key_ids=[self.keys.admin.id],
            handlers=options.handlers,
            ingest_log_environment=(
                ingest_environment(self.broker.bootstrap_servers, self.config) if self.broker else None
            ),
        )
        self.functions = {
            name: FunctionHost(spec, self.data.logs / f"lambda-{name}.log") for name, spec in specs.items()
        }
        with ThreadPoolExecutor(max_workers=len(self.functions)) as pool:
            for future in [pool.submit(host.start) for host in self.functions.values()]:
                future.result()

        if self.broker is not None:
            self._start_kafka_delivery(self.broker)
        else:
            self._start_kinesis_delivery(feed)
        self.retry_mapping = SqsEventSourceMapping(
            self.aws.sqs,
            self.resources.retry_queue_url,
            self.functions[FANOUT].invoke,
            QueueMappingSettings(batch_size=10, wait_seconds=1),
            region=self.aws.region,
        ).start()

        self._progress("waiting for the Flink job to run")
        self._wait_for_job()

        self.front = ApiGatewayFront(
            routes=api_routes(),
            stage=self.config.ingestion.stage_name,
            keys=self.keys,
            invoke=lambda function, event: self.functions[function].invoke(event),
            port=api_port,
            observers=[self._observe_api],
        ).start()
        self._supervisor_stop.clear()
        self._supervisor = threading.Thread(target=self._supervise, name="runtime-supervisor", daemon=True)
        self._supervisor.start()
        self._started = True
        on_topics = self.broker is not None
        self.info = RuntimeInfo(
            api_url=self.front.base_url,
            aws_endpoint=self._moto.endpoint_url,
            producer_keys=self.keys.producers,
            admin_key=self.keys.admin,
            data=self.data,
            raw_stream=self.config.names.raw_topic if on_topics else self.resources.raw_stream,
            insights_stream=(
                insights_topic(self.config, version.job_version)
                if on_topics
                else self.resources.insights_stream
            ),
            restored_from=self.job.restored_from,
            job_id=self.job.job_id,
            job_version=version.job_version,
            version=version,
            log=options.log,
            kafka_bootstrap_servers=self.broker.bootstrap_servers if self.broker else None,
        )
        return self.info

    def _start_kinesis_delivery(self, feed: ArchiveFeed | None) -> None:
        """Archive from the raw stream; publish the job's insight files; the Kinesis mapping feeds the fan-out."""
        options, version = self.options, self.version
        assert self.aws is not None
        assert self.resources is not None
        assert version is not None
        self.archive = FirehoseArchive(
            self.aws.kinesis,
            self.resources.raw_stream,
            self.data.archive,
            object_prefix=self.config.names.raw_archive_delivery_stream,
            buffer_seconds=options.archive_buffer_seconds,
            poll_seconds=options.poll_seconds,
            observers=[feed.on_archived] if feed is not None else None,
        ).start()
        self.publisher = (
            InsightPublisher(
                self.aws.kinesis,
                self.resources.insights_stream,
                version.insights,
                self.data.insights_done_ids,
                poll_seconds=options.poll_seconds,
                deliver_from=version.deliver_from,
            )
            .load()
            .start()
        )
        self.insights_mapping = KinesisEventSourceMapping(
            self.aws.kinesis,
            self.resources.insights_stream,
            self.functions[FANOUT].invoke,
            self._insights_mapping_settings(),
            function_name=self.functions[FANOUT].spec.name,
            on_failure=self._send_to_failed_batches_queue,
            on_checkpoint=self.publisher.mark_done,
            region=self.aws.region,
        ).start()

    def _insights_mapping_settings(self) -> StreamMappingSettings:
        """The insights event source mapping's settings, from the delivery stack's (either log)."""
        delivery = self.config.delivery
        return StreamMappingSettings(
            batch_size=delivery.batch_size,
            max_batching_window_seconds=delivery.max_batching_window_seconds,
            max_retry_attempts=delivery.max_retry_attempts,
            max_record_age_seconds=delivery.max_record_age_seconds,
            poll_seconds=self.options.poll_seconds,
        )

    def _start_kafka_delivery(self, broker: KafkaBroker) -> None:
        """Archive from the raw topic; the MSK mapping feeds the insights topic (the job's sink) to the fan-out."""
        options, version, names = self.options, self.version, self.config.names
        assert self.aws is not None
        assert version is not None
        self.archive = KafkaArchive(
            broker.bootstrap_servers,
            names.raw_topic,
            self.data.archive,
            group_id=names.raw_archive_delivery_stream,
            offsets_file=self.data.raw_archive_offsets,
            object_prefix=names.raw_archive_delivery_stream,
            buffer_seconds=options.archive_buffer_seconds,
            poll_seconds=options.poll_seconds,
        ).start()
        self.insights_mapping = KafkaEventSourceMapping(
            broker.bootstrap_servers,
            insights_topic(self.config, version.job_version),
            self.functions[FANOUT].invoke,
            self._insights_mapping_settings(),
            group_id=names.fanout_consumer_group,
            function_name=self.functions[FANOUT].spec.name,
            cluster_arn=msk_cluster_arn(names.kafka_cluster, self.aws.region),
            on_failure=self._send_to_failed_batches_queue,
            on_checkpoint=self._count_delivered,
            region=self.aws.region,
        ).start()

    def _count_delivered(self, records: list[KafkaRecord], outcome: str) -> None:
        """Insights the MSK mapping finished with, by type (the Kafka path's figure for the live view)."""
        kinds: Counter[str] = Counter()
        for record in records:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                kinds[str(json.loads(record.value).get("type"))] += 1
        with self._lock:
            self._delivered_by_type.update(kinds)

    def stop(self) -> None:
        """Stop every part that was started, in the order that keeps accepted data (idempotent)."""
        self._supervisor_stop.set()
        steps: list[tuple[str, Callable[[], None]]] = [
            ("API", lambda: self.front and self.front.stop()),
            ("Firehose stand-in", lambda: self.archive and self.archive.stop()),
            ("Flink job", lambda: self.job and self.job.stop()),
            ("insight publisher", lambda: self.publisher and self.publisher.stop()),
            ("insights event source mapping", lambda: self.insights_mapping and self.insights_mapping.stop()),
            ("retry queue event source mapping", lambda: self.retry_mapping and self.retry_mapping.stop()),
            ("state snapshot", self._save_snapshot_if_started),
            ("Lambda workers", lambda: [host.stop() for host in self.functions.values()]),
            ("AWS stand-in", lambda: self._moto and self._moto.stop()),
            ("Kafka broker", lambda: self.broker and self.broker.stop()),
            ("data directory lock", lambda: self._lock_file and self._lock_file.release()),
        ]
        for name, step in steps:
            try:
                step()
            except Exception as error:
                log.error("stopping the %s failed: %s", name, error)
                with self._lock:
                    self._problems.append(f"stopping the {name} failed: {error}")
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)
        self._job_status.close()
        self.front = self.archive = self.job = self.publisher = None
        self.insights_mapping = self.retry_mapping = None
        self.functions = {}
        self._moto = None
        self.broker = None
        self._started = False
        self._state_restored = False

    def _save_snapshot_if_started(self) -> None:
        """Save moto's state, but never over a snapshot that was not fully restored (it would lose it)."""
        if self._snapshot is not None and self._moto is not None and self._state_restored:
            self._snapshot.save()

    # ------------------------------------------------------------------ parts

    def _job_settings(self) -> FlinkJobSettings:
        version = self.version
        assert version is not None
        properties = runtime_job_properties(
            self.config,
            self.data,
            version,
            checkpoint_interval_ms=self.options.checkpoint_interval_ms,
            overrides=self.options.job_property_overrides,
            log_groups=(
                kafka_job_groups(self.config, self.broker.bootstrap_servers, version.job_version)
                if self.broker is not None
                else None
            ),
        )
        return FlinkJobSettings(
            main=self.options.flink_main,
            properties=properties,
            checkpoint_interval_ms=self.options.checkpoint_interval_ms,
            parallelism=self.config.processing.parallelism,
        )

    def _wait_for_job(self) -> None:
        self._wait_for_submission()
        self._wait_for_tasks()

    def _wait_for_tasks(self, timeout: float = 90.0) -> None:
        """Open the API only once the job's tasks run: archive files that pile up before the source
        starts are found in one scan and read in arbitrary order, which makes their events late."""
        assert self.job is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.job.job_id is not None:
            if self.job.exit_code() is not None:
                raise FlinkJobError(
                    f"the Flink job exited with code {self.job.exit_code()} while starting; last lines of "
                    f"{self.job.log_path}:\n{self.job.log_tail()}"
                )
            status = self._job_status.read(self.job.job_id)
            if status is not None:
                self._last_job_status = status
                if status.tasks_running:
                    return
            time.sleep(0.5)
        log.warning("the Flink job's tasks are not all running after %.0f s; opening the API anyway", timeout)

    def _wait_for_submission(self) -> None:
        assert self.job is not None
        try:
            self.job.wait_submitted(self.options.flink_start_timeout_seconds)
        except FlinkJobError:
            if self.job.restored_from is None:
                raise
            # The retained checkpoint does not fit this job (e.g. its operators changed). Keep it aside
            # and run the job from the start of the archive: insight ids are deterministic and the
            # publisher skips those already delivered, so subscribers see no duplicates.
            failed_from = self.job.restored_from
            aside = self.data.root / f"checkpoints-unusable-{time.strftime('%Y%m%d-%H%M%S')}"
            self._progress(
                f"the job could not resume from {failed_from}; moving checkpoints to {aside} and re-reading the archive"
            )
            self.job.stop()
            aside.mkdir(parents=True, exist_ok=True)
            for job_dir in {chk.parent for chk in completed_checkpoints(self.job.checkpoint_dir)}:
                shutil.move(str(job_dir), str(aside / job_dir.name))
            self.job = FlinkJob(self._job_settings(), self.data).start(restore=False)
            self.job.wait_submitted(self.options.flink_start_timeout_seconds)

    def _send_to_failed_batches_queue(self, failure: dict[str, Any]) -> None:
        """The insights mapping's on-failure destination (batch pointers), a queue of its own as in the stack."""
        assert self.aws is not None
        assert self.resources is not None
        self.aws.sqs.send_message(
            QueueUrl=self.resources.failed_batches_queue_url, MessageBody=json.dumps(failure)
        )

    def _observe_api(self, exchange: ApiExchange) -> None:
        route = exchange.route
        with self._lock:
            self._requests[exchange.reply.status] += 1
        if route is None:
            return
        if route.function == INGEST and exchange.reply.body:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                body = exchange.reply.json()
                with self._lock:
                    self._accepted += int(body.get("accepted", 0))
                    self._rejected += int(body.get("rejected", 0))
        if route.function == WEBHOOKS_API and route.method != "GET" and exchange.reply.status < 300:
            self._snapshot_due.set()

    def _supervise(self) -> None:
        while not self._supervisor_stop.is_set():
            try:
                self._check_parts()
            except Exception as error:  # the supervisor must outlive any one failed check
                log.warning("a runtime health check failed: %s", error)
            self._supervisor_stop.wait(1.0)

    def _check_parts(self) -> None:
        """One round of health checks: state snapshot due, the job alive and sane, the stand-ins not failing."""
        if self._snapshot_due.is_set():
            self._snapshot_due.clear()
            try:
                self._save_snapshot_if_started()
            except Exception as error:
                self._note(f"saving the webhook state failed: {error}")
        job = self.job
        if job is not None:
            code = job.exit_code()
            if code is not None:
                self._note(f"the Flink job exited with code {code}; see {job.log_path}")
            elif job.job_id:
                status = self._job_status.read(job.job_id)
                if status is not None:
                    self._last_job_status = status
                    if status.state in ("FAILED", "FAILING", "CANCELED", "FINISHED"):
                        self._note(f"the Flink job is {status.state}; see {self.data.logs / 'flink'}")
                    watch = self._output_watch
                    for problem in watch.problems(status) if watch is not None else []:
                        self._note(problem)
        for part, error in (
            ("Firehose stand-in", self.archive and self.archive.error),
            ("insight publisher", self.publisher and self.publisher.error),
        ):
            if error is not None:
                self._note(f"the {part} keeps failing: {error}")

    def _note(self, problem: str) -> None:
        with self._lock:
            if problem not in self._problems:
                self._problems.append(problem)
                log.error(problem)

    # ------------------------------------------------------------------ observation

    def problems(self) -> list[str]:
        with self._lock:
            return list(self._problems)

    def stats(self) -> RuntimeStats:
        mapping = self.insights_mapping.stats if self.insights_mapping else None
        job = self.job
        if job is None:
            job_state = "stopped"
        elif job.exit_code() is not None:
            job_state = f"exited ({job.exit_code()})"
        elif self._last_job_status is not None:
            job_state = self._last_job_status.state
        else:
            job_state = "starting" if job.job_id is None else "submitted"
        with self._lock:
            requests = Counter(self._requests)
            accepted, rejected = self._accepted, self._rejected
            problems = list(self._problems)
            delivered_by_type = (
                dict(self.publisher.published_by_type) if self.publisher else dict(self._delivered_by_type)
            )
        return RuntimeStats(
            requests=requests,
            events_accepted=accepted,
            events_rejected=rejected,
            archived_records=self.archive.records_delivered if self.archive else 0,
            archive_files=self.archive.files_written if self.archive else 0,
            job=self._last_job_status,
            job_state=job_state,
            insights_by_type=delivered_by_type,
            insights_pending=self.publisher.pending_count
            if self.publisher
            else (
                self.insights_mapping.backlog
                if isinstance(self.insights_mapping, KafkaEventSourceMapping)
                else 0
            ),
            insights_done=self.publisher.done_count
            if self.publisher
            else (mapping.records_processed if mapping else 0),
            fanout_invocations=mapping.invocations if mapping else 0,
            fanout_errors=mapping.function_errors if mapping else 0,
            fanout_partial_failures=mapping.partial_failures if mapping else 0,
            fanout_discarded=mapping.records_discarded if mapping else 0,
            retry_queue_depth=self._queue_depth(self.resources.retry_queue_url if self.resources else None),
            dead_letter_depth=self._queue_depth(
                self.resources.dead_letter_queue_url if self.resources else None
            ),
            problems=problems,
        )

    def _queue_depth(self, url: str | None) -> int:
        if url is None or self.aws is None or self._moto is None:
            return 0
        try:
            attributes = self.aws.sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesDelayed",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
        except Exception:
            return 0
        return sum(int(value) for value in attributes.values())


STUCK_OUTPUT_SECONDS = 30.0


class JobOutputWatch:
    """What the job does that defeats the local runtime, seen from its files.

    - checkpoints complete but none lands in the job's `job.checkpoint.dir`: the job ignores that property
      and checkpoints elsewhere, so a restart cannot resume from them;
    - insights sit in one in-progress part file for long: the files sink rolls part files rarely, and a
      row-format part file is committed only on the first checkpoint after it rolled.
    """

    def __init__(self, insights: Path, checkpoint_dir: Path) -> None:
        self._insights = insights
        self._checkpoint_dir = checkpoint_dir
        self._first_seen: dict[str, float] = {}

    def problems(self, status: JobStatus, *, now: float | None = None) -> list[str]:
        now = time.monotonic() if now is None else now
        found = []
        if status.checkpoints_completed >= 3 and not completed_checkpoints(self._checkpoint_dir):
            found.append(
                f"the Flink job completes checkpoints, but none in {self._checkpoint_dir} (its job.checkpoint.dir): "
                "it checkpoints elsewhere, so a restart cannot resume where it stopped"
            )
        open_files = {p.name for p in self._insights.glob(".*inprogress*") if p.stat().st_size > 0}
        self._first_seen = {name: self._first_seen.get(name, now) for name in open_files}
        if any(now - seen > STUCK_OUTPUT_SECONDS for seen in self._first_seen.values()):
            found.append(
                f"insights have waited more than {STUCK_OUTPUT_SECONDS:.0f} s in an in-progress file in "
                f"{self._insights}: the job's files sink must roll part files about as often as it "
                "checkpoints, or nothing is committed and delivered"
            )
        return found
