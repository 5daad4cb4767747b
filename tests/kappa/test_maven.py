"""Maven's output turned into one line a user can act on."""

from __future__ import annotations

from kappa.maven import first_error


def test_the_first_error_is_found_behind_mavens_colour_resets() -> None:
    # GIVEN Maven's output as it comes with -q and -Dstyle.color=never: colour resets before the first [ERROR]
    output = (
        "\x1b[0m\x1b[0m[ERROR] Failed to execute goal on project kappa-flink-connectors: Could not resolve "
        "dependencies\n[ERROR] \n[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.\n"
    )
    # THEN the real error is quoted, not the advice that follows it
    assert first_error(output) == (
        "Failed to execute goal on project kappa-flink-connectors: Could not resolve dependencies"
    )
