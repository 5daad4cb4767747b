"""`kappa demo`: run the pipeline end to end on this machine with no AWS account."""

from __future__ import annotations

import typer
from rich.console import Console

console = Console()


def demo() -> None:
    """Run the whole pipeline locally and show live progress."""
    console.print("[yellow]The local runtime is not built yet: nothing to run.[/yellow]")
    raise typer.Exit(code=1)
