"""Running Maven for the project's jars (the Flink connector uber-jar, the local Kafka broker's classpath).

One place knows how to call `mvn` quietly and how to turn its output into one line a user can act on.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class MavenError(RuntimeError):
    """Maven is missing or the build failed; the message quotes Maven's first real error."""


def first_error(output: str) -> str | None:
    """Maven's first `[ERROR]` line that says something (it prints blank `[ERROR]` lines between messages).

    >>> first_error("[INFO] x\\n[ERROR] \\n[ERROR] Could not resolve dependencies\\n")
    'Could not resolve dependencies'
    """
    # Maven (3.8 here) writes colour resets before its first line even with -Dstyle.color=never (its console setup).
    for line in _ANSI_ESCAPE.sub("", output).splitlines():
        text = line.removeprefix("[ERROR]").strip() if line.startswith("[ERROR]") else ""
        if text:
            return text[:300]
    return None


def run_maven(pom: Path, goals: Sequence[str], *, purpose: str, timeout: int = 600) -> None:
    """`mvn -q -B -f pom goals...`; raise `MavenError` naming `purpose` when Maven is missing or fails."""
    maven = shutil.which("mvn")
    if maven is None:
        raise MavenError(
            f"Maven (mvn) is not installed; it is needed to fetch {purpose} "
            "(apt-get install maven, or https://maven.apache.org/install.html)"
        )
    command = [maven, "-q", "-B", "-Dstyle.color=never", "-f", str(pom), *goals]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise MavenError(
            f"Maven timed out after {timeout} s fetching {purpose} (is Maven Central reachable?)"
        ) from None
    if result.returncode != 0:
        reason = first_error(result.stdout + result.stderr) or f"exit code {result.returncode}"
        raise MavenError(f"the Maven build of {purpose} failed{_hint(reason, pom)}: {reason}")


def copy_dependencies(
    pom: Path, target: Path, *, purpose: str, finish: Callable[[Path], None] = lambda directory: None
) -> Path:
    """The dependencies of `pom` copied into `target` (`dependency:copy-dependencies`), as one step: into a fresh
    directory beside it, completed by `finish(directory)` (unpack, stamp), then renamed to `target`, so that an
    interrupted fetch never looks complete. When another process finished first, its copy is kept. Raises
    `MavenError` naming `purpose`."""
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    run_maven(pom, ["dependency:copy-dependencies", f"-DoutputDirectory={partial}"], purpose=purpose)
    finish(partial)
    shutil.rmtree(target, ignore_errors=True)
    try:
        partial.rename(target)
    except OSError:  # another process finished first: use its copy
        shutil.rmtree(partial, ignore_errors=True)
    return target


_FETCH_FAILURES = ("could not resolve", "could not transfer", "non-resolvable", "unknown host", "connection")
_TEST_FAILURES = ("tests run:", "there are test failures")


def _hint(reason: str, pom: Path) -> str:
    """What to check for Maven's first error: the network when a fetch failed, the reports when a unit test did."""
    lowered = reason.lower()
    if any(failure in lowered for failure in _TEST_FAILURES):
        return f" (a unit test failed: its report is in {pom.parent / 'target' / 'surefire-reports'})"
    if any(failure in lowered for failure in _FETCH_FAILURES):
        return " (is Maven Central reachable?)"
    return ""
