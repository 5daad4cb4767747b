"""`python -m kappa` runs the CLI."""

from kappa.cli import main

main()
