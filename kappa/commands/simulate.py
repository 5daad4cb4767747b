"""`kappa simulate`: generate seeded shopper traffic into an NDJSON file (or stdout) or send it to the API live."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from events import format_rfc3339
from events.timefmt import utc_now
from kappa.commands.terminal import error_console
from kappa.simulate import (
    DEFAULT_START,
    Simulation,
    SimulationConfig,
    SimulationOptionError,
    parse_duration,
    parse_start,
    write_ndjson,
)
from kappa.simulate.sender import EndpointError, EventSender, SendReport

console = error_console()

# SimulationConfig field → the option a user types.
_OPTION_NAMES = {
    "users": "--users",
    "duration_seconds": "--duration",
    "start": "--start",
    "abandon_after_minutes": "--abandon-after",
    "max_disorder_seconds": "--max-disorder-seconds",
    "out_of_order_rate": "--out-of-order-rate",
    "duplicate_rate": "--duplicate-rate",
    "trends": "--trends",
    "time_scale": "--time-scale",
}


def simulate(
    seed: Annotated[int, typer.Option(help="Random seed: the same options give byte-identical output.")] = 1,
    users: Annotated[int, typer.Option(help="Number of distinct shoppers (about 11-12 events each).")] = 1000,
    duration: Annotated[str, typer.Option(help="Event-time span, e.g. 90s, 30m, 1h, 2d.")] = "1h",
    start: Annotated[
        str | None,
        typer.Option(
            help="Start of event time: RFC 3339 or 'now'. Default: 2026-01-01T00:00:00Z for files, now live."
        ),
    ] = None,
    abandon_after: Annotated[
        float, typer.Option(help="Minutes of cart inactivity after which a cart counts as abandoned.")
    ] = 30.0,
    time_scale: Annotated[
        float,
        typer.Option(help="Divide think times and session lengths by this (faster shoppers for demos)."),
    ] = 1.0,
    trends: Annotated[int, typer.Option(help="Number of products made to trend.")] = 3,
    max_disorder_seconds: Annotated[
        float, typer.Option(help="Late deliveries arrive at most this many seconds after their event time.")
    ] = 5.0,
    out_of_order_rate: Annotated[float, typer.Option(help="Share of events delivered late.")] = 0.01,
    duplicate_rate: Annotated[
        float, typer.Option(help="Share of events delivered twice (same event_id).")
    ] = 0.005,
    out: Annotated[
        str | None, typer.Option("--out", "-o", help="Write NDJSON here ('-' for stdout).")
    ] = None,
    truth: Annotated[Path | None, typer.Option(help="Write the planted ground truth (JSON) here.")] = None,
    endpoint: Annotated[
        str | None, typer.Option(help="Send live to this ingestion URL (…/v1/events) instead of a file.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="KAPPA_API_KEY", help="API key for --endpoint (header x-api-key).")
    ] = None,
    rate: Annotated[
        float, typer.Option(help="Most events per second of wall-clock time sent to --endpoint.")
    ] = 200.0,
) -> None:
    """Generate realistic, seeded shopper traffic with its ground truth (abandoned carts, affinities, trends)."""
    if (out is None) == (endpoint is None):
        raise typer.BadParameter(
            "give exactly one of --out FILE (or -) and --endpoint URL", param_hint="--out/--endpoint"
        )
    if endpoint is not None:
        if not endpoint.startswith(("http://", "https://")):
            raise typer.BadParameter(f"{endpoint!r} is not an http(s) URL", param_hint="--endpoint")
        if not api_key:
            raise typer.BadParameter("--endpoint needs --api-key (or KAPPA_API_KEY)", param_hint="--api-key")
        if rate <= 0:
            raise typer.BadParameter(f"must be more than 0 (got {rate:g})", param_hint="--rate")
    out_path = None if out in (None, "-") else Path(out)
    for path, hint in ((out_path, "--out"), (truth, "--truth")):
        if path is not None and not path.parent.is_dir():
            raise typer.BadParameter(f"folder {str(path.parent)!r} does not exist", param_hint=hint)
    config = _config(
        seed=seed,
        users=users,
        duration=duration,
        start=start or ("now" if endpoint else None),
        abandon_after=abandon_after,
        time_scale=time_scale,
        trends=trends,
        max_disorder_seconds=max_disorder_seconds,
        out_of_order_rate=out_of_order_rate,
        duplicate_rate=duplicate_rate,
    )
    simulation = Simulation(config)
    if endpoint is not None:
        assert api_key is not None
        _send(simulation, endpoint, api_key, rate)
    else:
        _write(simulation, out_path)
    if truth is not None:
        _write_atomically(truth, simulation.truth.to_json())
        console.print(f"Ground truth written to [bold]{truth}[/bold]")


def _config(
    *, duration: str, start: str | None, abandon_after: float, **options: float | int
) -> SimulationConfig:
    try:
        seconds = parse_duration(duration)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--duration") from None
    try:
        moment = DEFAULT_START if start is None else parse_start(start, now=utc_now())
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--start") from None
    try:
        return SimulationConfig(
            duration_seconds=seconds,
            start=moment,
            abandon_after_minutes=abandon_after,
            **options,  # type: ignore[arg-type]
        )
    except SimulationOptionError as error:
        raise typer.BadParameter(
            error.message, param_hint=_OPTION_NAMES.get(error.option, error.option)
        ) from None


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("event time {task.fields[at]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _write(simulation: Simulation, path: Path | None) -> None:
    config = simulation.config
    span = config.end_ms - config.start_ms
    with _progress() as progress:
        task = progress.add_task("generating", total=span, at=format_rfc3339(config.start_ms))

        def advance(lines: int, at_ms: int) -> None:
            progress.update(
                task,
                completed=at_ms - config.start_ms,
                description=f"{lines:,} events",
                at=format_rfc3339(at_ms),
            )

        if path is None:
            lines = write_ndjson(simulation.deliveries(), sys.stdout.buffer, on_progress=advance)
            sys.stdout.buffer.flush()
        else:
            temporary = path.with_name(f".{path.name}.tmp")
            with temporary.open("wb") as stream:
                lines = write_ndjson(simulation.deliveries(), stream, on_progress=advance)
            os.replace(temporary, path)
    truth = simulation.truth
    where = "stdout" if path is None else str(path)
    console.print(
        f"Wrote [bold]{lines:,}[/bold] events to [bold]{where}[/bold] "
        f"({truth.duplicates:,} duplicates, {truth.out_of_order:,} out of order) "
        f"from {truth.users:,} users over {truth.start} → {truth.end}: "
        f"{truth.purchases:,} purchases, {len(truth.abandoned_carts):,} abandoned carts, "
        f"{len(truth.trends)} trends, {len(truth.affinities)} affinity pairs."
    )


def _send(simulation: Simulation, endpoint: str, api_key: str, rate: float) -> None:
    config = simulation.config
    span = config.end_ms - config.start_ms
    console.print(
        f"Sending {config.users:,} shoppers' events for {_span(simulation)} to [bold]{endpoint}[/bold] "
        f"(at most {rate:g} events/s; events go out when their event time comes)"
    )
    with _progress() as progress:
        task = progress.add_task("sending", total=span, at=format_rfc3339(config.start_ms))

        def advance(report: SendReport, at_ms: int) -> None:
            progress.update(
                task,
                completed=min(span, max(0, at_ms - config.start_ms)),
                description=f"sent {report.sent:,} · accepted {report.accepted:,} · rejected {report.rejected:,}",
                at=format_rfc3339(at_ms),
            )

        sender = EventSender(endpoint, api_key, rate=rate, on_batch=advance)
        try:
            report = sender.send(simulation.deliveries())
        except EndpointError as error:
            _print_report(sender.report, endpoint)
            console.print(f"[red]Error:[/red] {error}")
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            _print_report(sender.report, endpoint)
            console.print("[yellow]Interrupted: the counts above cover what was sent.[/yellow]")
            raise typer.Exit(code=130) from None
    _print_report(report, endpoint)
    if report.rejected or report.failed:
        for rejection in report.rejections[:5]:
            console.print(f"  [yellow]{rejection['event_id']}[/yellow]: {rejection['error']}")
        raise typer.Exit(code=1)


def _span(simulation: Simulation) -> str:
    config = simulation.config
    return f"{format_rfc3339(config.start_ms)} → {format_rfc3339(config.end_ms)}"


def _print_report(report: SendReport, endpoint: str) -> None:
    console.print(
        f"Sent [bold]{report.sent:,}[/bold] events to [bold]{endpoint}[/bold]: "
        f"[green]{report.accepted:,} accepted[/green], {report.rejected:,} rejected, {report.failed:,} failed "
        f"({report.requests:,} requests, {report.retries:,} retries)"
    )


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
