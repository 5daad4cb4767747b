"""One module per `kappa` command (group); each exposes typer-decorated functions that `kappa.cli` mounts."""
