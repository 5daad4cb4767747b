"""`kappa local up`: run the whole pipeline on this machine (no AWS account) until Ctrl-C."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from events.timefmt import format_rfc3339
from kappa.commands.terminal import output_console
from kappa.local.errors import RUNTIME_ERRORS, explain
from kappa.local.paths import DEFAULT_DATA_DIR
from kappa.local.runtime import LocalRuntime, RuntimeInfo, RuntimeOptions, RuntimeStats

app = typer.Typer(
    help="Run the pipeline locally: AWS stand-ins, the real Lambda handlers and the real Flink job."
)
console = output_console()

DataDirOption = Annotated[
    Path,
    typer.Option(
        "--data-dir", help="Where the runtime keeps everything (archive, insights, checkpoints, state)."
    ),
]
PortOption = Annotated[
    int, typer.Option("--port", help="Port of the local API on 127.0.0.1 (0 picks a free one).")
]
AwsPortOption = Annotated[
    int, typer.Option("--aws-port", help="Port of the AWS stand-in (moto) on 127.0.0.1 (0: free).")
]
EnvOption = Annotated[
    str | None, typer.Option("--env", help="Environment from cdk.json whose settings to use.")
]


class LogBackend(StrEnum):
    kinesis = "kinesis"
    kafka = "kafka"


LogOption = Annotated[
    LogBackend,
    typer.Option(
        "--log",
        help="The log: kinesis (moto streams) or kafka (a local Kafka broker, the production topology on MSK).",
    ),
]
CheckpointOption = Annotated[
    int,
    typer.Option(
        "--checkpoint-interval-ms", help="Flink checkpoint interval; insights are committed on checkpoint."
    ),
]


@app.command("up")
def up(
    port: PortOption = 8080,
    aws_port: AwsPortOption = 0,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    env: EnvOption = None,
    checkpoint_interval_ms: CheckpointOption = 500,
    log: LogOption = LogBackend.kinesis,
) -> None:
    """Start the local pipeline and keep it running until Ctrl-C (state survives a restart)."""
    options = RuntimeOptions(
        data_dir=data_dir,
        api_port=port,
        aws_port=aws_port,
        env_name=env,
        checkpoint_interval_ms=checkpoint_interval_ms,
        log=log.value,
    )
    with stop_on_signals() as stopping:
        try:
            with console.status("starting the local runtime") as status:
                runtime = LocalRuntime(options, progress=lambda message: status.update(message))
                info = runtime.start()
        except RUNTIME_ERRORS as error:
            console.print(f"[red]kappa local up failed:[/red] {explain(error)}")
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            console.print("[yellow]interrupted while starting; everything started has been stopped[/yellow]")
            raise typer.Exit(code=130) from None
        stopping.interrupting = False
        try:
            console.print(describe(info))
            with Live(status_table(runtime.stats()), console=console, refresh_per_second=1) as live:
                while not stopping.wait(1.0):
                    live.update(status_table(runtime.stats()))
        finally:
            with console.status("stopping: draining the raw stream to the archive, saving state"):
                runtime.stop()
            console.print(
                f"stopped; everything is kept in [bold]{info.data.root}[/bold] (start again to resume)"
            )


class SignalStop:
    """Set by SIGINT/SIGTERM; while `interrupting`, the first signal also raises KeyboardInterrupt."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.interrupting = True

    def handle(self, signum: int, frame: FrameType | None) -> None:
        first = not self.event.is_set()
        self.event.set()
        if self.interrupting and first:
            raise KeyboardInterrupt

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[SignalStop]:
    """Turn SIGINT/SIGTERM into an orderly stop (the runtime drains and saves instead of dying mid-write)."""
    stop = SignalStop()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, stop.handle)
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def describe(info: RuntimeInfo) -> Panel:
    """Where everything is: the endpoint, the keys, the files."""
    producer = info.producer_keys[0]
    lines = [
        f"[bold]API[/bold]            {info.api_url}   (POST /v1/events, /v1/webhooks…)",
        *(
            f"[bold]producer key[/bold]   {key.value}   ({key.name}, id {key.id})"
            for key in info.producer_keys
        ),
        f"[bold]admin key[/bold]      {info.admin_key.value}   (webhook management)",
        *log_lines(info),
        f"[bold]data[/bold]           {info.data.root}",
        f"  archive        {info.data.archive}",
        f"  insights       {info.version.insights}",
        f"  logs           {info.data.logs}",
        f"[bold]Flink job[/bold]      version [bold]{info.job_version}[/bold], {info.job_id} "
        + (f"(resumed from {info.restored_from.name})" if info.restored_from else "(fresh start)"),
        *job_version_notes(info),
        "",
        "try:",
        f"  curl -s -X POST {info.api_url}/v1/events -H 'x-api-key: {producer.value}' "
        "-H 'content-type: application/json' -d @events.json",
        f"  kappa simulate --endpoint {info.api_url}/v1/events --api-key {producer.value} --users 50",
        "",
        "Ctrl-C stops everything (state is kept; the next start resumes).",
    ]
    return Panel("\n".join(lines), title="kappa local runtime is up", border_style="green")


def log_lines(info: RuntimeInfo) -> list[str]:
    """Where the log is: moto's streams, or the local Kafka broker's topics."""
    if info.kafka_bootstrap_servers is None:
        return [
            f"[bold]AWS stand-in[/bold]   {info.aws_endpoint}   (moto; streams {info.raw_stream}, {info.insights_stream})"
        ]
    return [
        f"[bold]Kafka[/bold]          {info.kafka_bootstrap_servers}   (topics {info.raw_stream}, {info.insights_stream})",
        f"[bold]AWS stand-in[/bold]   {info.aws_endpoint}   (moto: tables, queues, keys)",
    ]


def job_version_notes(info: RuntimeInfo) -> list[str]:
    """Where the running job version comes from, and what a cut-over holds back."""
    switch = info.version.switch
    if switch is None:
        return ["  (cdk.json's processing.job_version; `kappa cutover V --data-dir` switches it)"]
    return [
        f"  cut over from {switch.previous_version} at {format_rfc3339(switch.switched_at)}; delivers its "
        f"insights from event time {format_rfc3339(switch.deliver_from)} on, except those already delivered"
    ]


def status_table(stats: RuntimeStats) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_row(
        f"events accepted [bold]{stats.events_accepted}[/bold] rejected {stats.events_rejected}",
        f"archived {stats.archived_records} in {stats.archive_files} files",
        f"job [bold]{stats.job_state}[/bold]" + (f" read {stats.job.source_records}" if stats.job else ""),
        f"insights {sum(stats.insights_by_type.values())} (pending {stats.insights_pending})",
        f"fan-out batches {stats.fanout_invocations} retrying {stats.retry_queue_depth} dead {stats.dead_letter_depth}",
    )
    for problem in stats.problems[-3:]:
        table.add_row(f"[red]{problem}[/red]")
    return table
