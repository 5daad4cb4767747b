"""`kappa demo`: run the pipeline end to end on this machine with no AWS account, and watch it work."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.live import Live

from kappa.commands.local import LogBackend, LogOption, stop_on_signals
from kappa.commands.terminal import output_console
from kappa.local.demo_session import DEFAULT_DEMO_DIR, DemoError, DemoOptions, DemoSession
from kappa.local.demo_view import live_view, summary
from kappa.local.errors import RUNTIME_ERRORS, explain

console = output_console()


def demo(
    duration: Annotated[float, typer.Option(help="Seconds of simulated shoppers' traffic.", min=20)] = 120.0,
    users: Annotated[int, typer.Option(help="Simulated shoppers.", min=5)] = 60,
    rate: Annotated[float, typer.Option(help="Most events per second sent to the API.", min=1)] = 40.0,
    seed: Annotated[int, typer.Option(help="Simulator seed (same seed, same shoppers).")] = 7,
    data_dir: Annotated[
        Path, typer.Option(help="Where the demo's runtime keeps its files (cleared first).")
    ] = DEFAULT_DEMO_DIR,
    port: Annotated[int, typer.Option(help="Port of the local API (0 picks a free one).")] = 0,
    log: LogOption = LogBackend.kinesis,
) -> None:
    """Run the whole pipeline locally: simulated shoppers → API → log → Flink → signed webhooks."""
    options = DemoOptions(
        duration_seconds=duration,
        users=users,
        rate=rate,
        seed=seed,
        data_dir=data_dir,
        port=port,
        log=log.value,
    )
    with stop_on_signals() as stopping:
        session: DemoSession | None = None
        try:
            with console.status("starting the local runtime") as status:
                session = DemoSession(options, progress=status.update)
                info = session.start()
        except (*RUNTIME_ERRORS, DemoError) as error:
            if session is not None:
                session.stop()
            console.print(f"[red]kappa demo failed:[/red] {explain(error)}")
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            if session is not None:
                session.stop()
            console.print("[yellow]interrupted while starting; everything has been stopped[/yellow]")
            raise typer.Exit(code=130) from None
        stopping.interrupting = False
        try:
            with Live(live_view(session.snapshot(), info), console=console, refresh_per_second=2) as live:
                while session.simulator_running and not stopping.wait(0.5):
                    live.update(live_view(session.snapshot(), info))
                interrupted = stopping.event.is_set()
                with console.status(
                    "stopping" if interrupted else "letting the pipeline settle, then stopping"
                ):
                    final = session.finish(settle=not interrupted)
                live.update(live_view(final, info))
        except BaseException:
            session.stop()
            raise
    console.print(summary(final, info))
    if final.webhooks_verified == 0:
        problems = "; ".join(final.stats.problems) or f"see the logs in {info.data.logs}"
        console.print(f"[red]no webhooks arrived during the demo[/red]: {problems}")
        raise typer.Exit(code=1)
