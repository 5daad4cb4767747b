#!/usr/bin/env python3
"""CDK entry point: `python app.py` (or `cdk synth`) synthesizes every stack into cdk.out.

Reads `cdk.json` context itself, because a plain `python app.py` does not; `cdk -c env=prod ...` context
from the CLI is merged on top. A plain run takes the same `-c key=value` options, e.g.
`python app.py -c env=dev-msk` or `python app.py -c overrides='{"log": {"backend": "msk", ...}}'`
(`make synth SYNTH_CONTEXT="-c env=dev-msk"`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from stacks.application import build_app
from stacks.config import CDK_JSON, ConfigError


def parse_context(argv: list[str]) -> dict[str, str]:
    """`-c key=value` options (as the cdk CLI takes them) as a dict; exits with usage on a malformed one."""
    parser = argparse.ArgumentParser(description="Synthesize the Kappa Commerce CDK app into cdk.out")
    parser.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="context over cdk.json's, e.g. -c env=dev-msk or -c overrides='{\"log\": {...}}'",
    )
    pairs = parser.parse_args(argv).context
    malformed = [pair for pair in pairs if "=" not in pair or not pair.split("=", 1)[0]]
    if malformed:
        parser.error(f"context must be KEY=VALUE, got {malformed[0]!r}")
    return dict(pair.split("=", 1) for pair in pairs)


def main(argv: list[str] | None = None) -> None:
    context = {
        **json.loads(Path(CDK_JSON).read_text())["context"],
        **parse_context(sys.argv[1:] if argv is None else argv),
    }
    try:
        # Outside the cdk CLI (which sets CDK_OUTDIR) an App would synthesize into a temporary directory.
        app = build_app(context, outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
        app.synth()
    except ConfigError as error:
        sys.exit(f"configuration error: {error}")
    print(f"synthesized into {Path(app.outdir).resolve()}")


if __name__ == "__main__":
    main()
