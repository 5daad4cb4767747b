#!/usr/bin/env python3
"""CDK entry point: `python app.py` (or `cdk synth`) synthesizes every stack into cdk.out.

Reads `cdk.json` context itself, because a plain `python app.py` does not; `cdk -c env=prod ...` context
from the CLI is merged on top.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from stacks.application import build_app
from stacks.config import CDK_JSON, ConfigError


def main() -> None:
    context = json.loads(Path(CDK_JSON).read_text())["context"]
    try:
        # Outside the cdk CLI (which sets CDK_OUTDIR) an App would synthesize into a temporary directory.
        app = build_app(context, outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
        app.synth()
    except ConfigError as error:
        sys.exit(f"configuration error: {error}")
    print(f"synthesized into {Path(app.outdir).resolve()}")


if __name__ == "__main__":
    main()
