"""The consoles every `kappa` command prints through: messages are never cut at the terminal's width.

rich wraps long lines at the terminal width by default, which splits a one-line error in the middle of the
command it tells the user to run (`kappa local` / `up`) and makes the text depend on the terminal. With
`soft_wrap=True` a message is written as one line and the terminal wraps it for display, so it can be
copied whole; tables and panels still fit themselves to the width.
"""

from __future__ import annotations

from rich.console import Console


def output_console() -> Console:
    """Standard output: results, tables, progress of commands whose output is the point."""
    return Console(soft_wrap=True)


def error_console() -> Console:
    """Standard error: errors and progress of commands whose standard output is data."""
    return Console(stderr=True, soft_wrap=True)
