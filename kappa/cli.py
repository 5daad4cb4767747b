"""The `kappa` command line: one typer app; each command group lives in its own module under kappa/commands."""

from __future__ import annotations

import typer

from kappa.commands import demo, local, plan, replay, simulate, webhooks

app = typer.Typer(
    name="kappa",
    help="Kappa Commerce: real-time shopper insights on AWS, and the same pipeline on your laptop.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("demo")(demo.demo)
app.command("plan")(plan.plan)
app.command("simulate")(simulate.simulate)
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(local.app, name="local")
app.command("replay")(replay.replay)
app.command("compare")(replay.compare)
app.command("cutover")(replay.cutover)


def main() -> None:
    app()
